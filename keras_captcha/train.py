"""Training: a data folder -> a run folder holding `model.keras` and its logs.

    from keras_captcha.train import TrainOptions, train
    result = train("data/captcha_images_v2", "runs/first", TrainOptions(epochs=30))
    print(result["val_accuracy"], result["model"])

Everything a run writes goes into its folder: the split's file lists
(`train.csv`, `validation.csv`), `config.json`, `history.csv`, TensorBoard
`logs/` (when tensorboard is installed), the best weights, a `backup/` that lets a killed run resume with the
same command, and at the end `model.keras` (the inference model) and
`summary.json`. Under `multiworker` only the chief writes the run folder
(`keras_captcha.distribute`).

With `unlabeled` (`train --unlabeled DIR`) a run self-trains: a first round
learns from the labelled images alone, reads the unlabelled ones, and each
further round trains on the labelled images plus the readings it is sure of
(`keras_captcha.pseudo_labels`). The rounds before the last are run folders
of their own under `self_training/`; the last is the run folder itself. With
`init` (`train --init MODEL`) the first round starts from a trained model
(`keras_captcha.warm_start`).
"""

import csv
import dataclasses
import importlib.util
import json
import math
import pathlib
import shutil
import statistics
import time
import typing

import keras

from keras_captcha import distribute, pseudo_labels, samples, warm_start
from keras_captcha.config import CaptchaConfig
from keras_captcha.data import make_dataset
from keras_captcha.errors import CaptchaError
from keras_captcha.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.model import CaptchaRecognizer, build_training_model, set_blank_prior
from keras_captcha.predictor import score_results
from keras_captcha.preprocess import preprocess_batch

MODEL_NAME = "model.keras"
#: Epochs of a run on the full 936-image set (27 steps each at batch 32).
DEFAULT_EPOCHS = 20
#: Fewest optimizer steps of a run whose epochs are not given: the full set's 20 x 27, so a small
#: labelled set trains as long as the full one instead of for 20 epochs of 2 steps.
MIN_STEPS = 540
#: The metric that picks the best epoch and stops training.
MONITOR = "val_loss"
BACKUP_DIR = "backup"
#: The folder of a self-training run that holds the rounds before the last.
SELF_TRAINING_DIR = "self_training"
#: `TrainOptions.init` that lets `choose_init` pick the start.
AUTO_INIT = "auto"


@dataclasses.dataclass
class TrainOptions:
    """How to train; the network sizes are in `model` (a dict of `CaptchaConfig` fields).

    `epochs=None` (the default) adapts the schedule to the dataset's size:
    `DEFAULT_EPOCHS`, or more epochs for a small set, so that every run takes
    at least `MIN_STEPS` optimizer steps; `patience` and `min_epochs` then
    stretch by the same factor (`resolve_schedule`). A given `epochs` is kept.

    `batch_size` is per replica: a step of `strategy` (`default`, `mirrored`
    or `multiworker`, see `keras_captcha.distribute`) sees `batch_size` times
    the number of replicas.

    `unlabeled` (a folder of images, any names) adds `self_training_rounds`
    rounds that train on the labelled images plus the surest pseudo-labels:
    round k of n takes the surest k/n of the unlabelled images. `init` (a
    `.keras` model) starts from a trained model's weights, its output mapped
    by character; None starts from scratch; `AUTO_INIT` (the default) lets
    `choose_init` pick.
    """

    epochs: typing.Optional[int] = None
    batch_size: int = 32
    learning_rate: float = 6e-3
    warmup_fraction: float = 0.15
    patience: int = 10
    min_epochs: int = 10
    validation_fraction: float = 0.1
    seed: int = 0
    skip_bad: bool = False
    overwrite: bool = False
    verbose: int = 2
    strategy: str = "default"
    model: dict = dataclasses.field(default_factory=dict)
    unlabeled: typing.Optional[str] = None
    self_training_rounds: int = 3
    init: typing.Optional[str] = AUTO_INIT


def resolve_schedule(options, steps_per_epoch):
    """`options` with `epochs` set (see `TrainOptions`), and `patience` and `min_epochs`
    stretched by the factor the epochs grew by over `DEFAULT_EPOCHS`."""
    if options.epochs is not None:
        return options
    epochs = max(DEFAULT_EPOCHS, math.ceil(MIN_STEPS / steps_per_epoch))
    stretch = epochs / DEFAULT_EPOCHS
    return dataclasses.replace(
        options,
        epochs=epochs,
        patience=math.ceil(options.patience * stretch),
        min_epochs=math.ceil(options.min_epochs * stretch),
    )


def learning_rate_schedule(options, steps_per_epoch):
    """One cycle: linear warm-up from 0 to `learning_rate` over `warmup_fraction`
    of the steps, then cosine decay to 2% of it.

    The warm-up fraction was chosen in benchmarks/RESULTS.md (15% against 5% and 30%).
    """
    total_steps = options.epochs * steps_per_epoch
    warmup_steps = max(int(options.warmup_fraction * total_steps), 1)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(total_steps - warmup_steps, 1),
        alpha=0.02,
        warmup_target=options.learning_rate,
        warmup_steps=warmup_steps,
    )


def prepare_run(run_dir, overwrite):
    """Creates `run_dir`; refuses a finished run unless `overwrite`. Returns the path.

    A killed run's `history.csv` keeps only the epochs its backup completed,
    so the resumed run logs each epoch once.
    """
    run_dir = pathlib.Path(run_dir)
    if (run_dir / MODEL_NAME).exists() and not overwrite:
        raise CaptchaError(
            f"{run_dir} already holds a finished run ({MODEL_NAME}); "
            "choose another --out or pass --overwrite"
        )
    if overwrite:
        stale_files = (
            BACKUP_DIR, "best.weights.h5", "history.csv", "logs", MODEL_NAME, "summary.json",
            SELF_TRAINING_DIR,
        )
        for stale in stale_files:
            _remove(run_dir / stale)
    run_dir.mkdir(parents=True, exist_ok=True)
    _keep_backed_up_epochs(run_dir / "history.csv", _backed_up_epochs(run_dir / BACKUP_DIR))
    return run_dir


def _remove(path):
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _backed_up_epochs(backup_dir):
    """Epochs completed according to a `BackupAndRestore` folder (0 when there is none)."""
    metadata = backup_dir / "training_metadata.json"
    if not metadata.is_file():
        return 0
    try:
        return int(json.loads(metadata.read_text())["epoch"])
    except (ValueError, KeyError, TypeError):
        return 0


def _keep_backed_up_epochs(history_csv, epochs):
    """Drops the rows of epochs >= `epochs` (killed before their backup) from a CSV log."""
    if not history_csv.exists():
        return
    with open(history_csv, newline="") as file:
        reader = csv.DictReader(file)
        rows = [row for row in reader if row.get("epoch", "").isdigit() and int(row["epoch"]) < epochs]
        fields = reader.fieldnames
    if not rows:
        history_csv.unlink()
        return
    with open(history_csv, "w", newline="") as file:
        writer = csv.DictWriter(file, fields)
        writer.writeheader()
        writer.writerows(rows)


def _best_logged(history_csv, monitor):
    """The best (lowest) value of `monitor` in a resumed run's CSV log, or +inf."""
    if not history_csv.exists():
        return math.inf
    with open(history_csv, newline="") as file:
        values = [float(row[monitor]) for row in csv.DictReader(file) if row.get(monitor)]
    return min(values, default=math.inf)


def build_callbacks(run_dir, options):
    """The callbacks of a run: checkpoint, early stop, CSV log, resume, TensorBoard logs.

    The CSV row of an epoch is written before its backup, so a kill between
    the two leaves a row that `prepare_run` drops on resume.
    """
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            run_dir / "best.weights.h5",
            monitor=MONITOR,
            mode="min",
            save_best_only=True,
            save_weights_only=True,
            initial_value_threshold=_best_logged(run_dir / "history.csv", MONITOR),
        ),
        keras.callbacks.EarlyStopping(
            monitor=MONITOR,
            mode="min",
            patience=options.patience,
            start_from_epoch=options.min_epochs,
        ),
        keras.callbacks.CSVLogger(run_dir / "history.csv", append=True),
        # double_checkpoint: a kill while the weights are written falls back to the previous epoch
        keras.callbacks.BackupAndRestore(run_dir / BACKUP_DIR, double_checkpoint=True),
    ]
    if importlib.util.find_spec("tensorboard"):  # TensorFlow 2.21 no longer ships it
        callbacks.append(
            keras.callbacks.TensorBoard(run_dir / "logs", write_graph=False, profile_batch=0)
        )
    return callbacks


class RunData(typing.NamedTuple):
    """What `prepare_data` gives the later steps: the folders, the split, the model's config,
    the unlabelled images (paths) and the model to start from (a `.keras` path or a recognizer)."""

    run_dir: pathlib.Path
    chief_run_dir: pathlib.Path
    train_samples: list
    validation_samples: list
    config: CaptchaConfig
    unlabelled: typing.Sequence = ()
    init: typing.Any = None


def train(data_dir, run_dir, options=None, callbacks=()):
    """Trains a captcha model on the images in `data_dir`, writing `run_dir`.

    The steps: `prepare_data` (folders, checked samples, split, config,
    unlabelled pool), then `train_round` once, or once per round of
    `self_train` with `options.unlabeled`. `callbacks` are extra Keras
    callbacks, run after the run's own.

    Returns a summary dict: `val_accuracy`, `val_cer` (of the saved model on
    the validation split), `epochs`, `seconds`, `model` (path of the saved
    inference model), the sample counts, and for self-training the rounds.
    Raises `CaptchaError` for bad data or a finished `run_dir`.
    """
    options = options or TrainOptions()
    started = time.perf_counter()
    run = prepare_data(data_dir, run_dir, options)
    strategy = distribute.make_strategy(options.strategy)  # before any TensorFlow op
    if options.unlabeled:
        return self_train(run, options, strategy, callbacks, started)
    return train_round(run, options, strategy, callbacks, started)[1]


def prepare_data(data_dir, run_dir, options):
    """Prepares the folder this process writes and splits the checked samples; returns `RunData`.

    Writes `train.csv` and `validation.csv` into it. Lists the unlabelled
    pool (`options.unlabeled`) and reads the config of `options.init`.
    """
    task = distribute.read_task(options.strategy)
    chief_run_dir = pathlib.Path(run_dir)
    listed = samples.list_samples(data_dir, skip_bad=options.skip_bad)
    charset = samples.derive_charset(label for _, label in listed)
    train_samples, validation_samples = samples.split_samples(
        listed, options.validation_fraction, options.seed
    )
    init = choose_init(options, len(train_samples))
    if init:
        config = warm_start.init_config(init, charset, options.model)
    else:
        config = CaptchaConfig(charset=charset, **options.model)
    unlabelled = []
    if options.unlabeled:
        unlabelled = pseudo_labels.unlabelled_pool(options.unlabeled, listed, options.skip_bad)
    run_dir = prepare_run(distribute.write_dir(chief_run_dir, task), options.overwrite)
    samples.write_samples(run_dir / "train.csv", train_samples)
    samples.write_samples(run_dir / "validation.csv", validation_samples)
    return RunData(run_dir, chief_run_dir, train_samples, validation_samples, config, unlabelled, init)


def choose_init(options, train_images):
    """The model a run starts from: `options.init`, or for `AUTO_INIT` the shipped
    pretrained base when the set is small and the network the default one, else None (scratch).

    Small: fewer than `MIN_STEPS / DEFAULT_EPOCHS` steps an epoch at
    `options.batch_size`, the sets whose schedule `resolve_schedule` stretches.
    The full 936-image set is not small and trains from scratch: from the base
    it is no better (benchmarks/RESULTS.md), and 50 to 400 labels are far better.
    """
    if options.init != AUTO_INIT:
        return options.init or None
    small = math.ceil(train_images / options.batch_size) * DEFAULT_EPOCHS < MIN_STEPS
    base = warm_start.shipped_base()
    return str(base) if small and base and not options.model else None


def train_round(run, options, strategy, callbacks=(), started=None):
    """One training of a recognizer on `run`'s split, from `run.init` or the blank prior.

    `resolve_schedule` (epochs for the set's size; written with the config
    to `config.json`), `make_batches` (tf.data), `build_model` (recognizer
    and compiled trainer), `fit`, `finish` (saved model, score, summary,
    figures). Returns `(recognizer, summary)`.
    """
    started = time.perf_counter() if started is None else started
    options = resolve_schedule(options, _steps_per_epoch(run, options, strategy))
    (run.run_dir / "config.json").write_text(
        json.dumps({"model": run.config.to_dict(), "train": dataclasses.asdict(options)}, indent=2)
    )
    keras.utils.set_random_seed(options.seed)
    batches = make_batches(run, options, strategy)
    recognizer, trainer = build_model(run, options, strategy)
    history = fit(trainer, batches, run, options, callbacks)
    return recognizer, finish(recognizer, trainer, run, history, started)


def self_train(run, options, strategy, callbacks, started):
    """`train_round` on the labelled split, then `options.self_training_rounds` more, each on
    the labelled training images plus the pseudo-labels of the round before.

    Each round starts from the last one's weights; validation stays the
    labelled split. A round folder already holding its model (a resumed run)
    is read instead of trained again. Returns the last round's summary with
    `self_training`: per round, its pseudo-labels and validation accuracy.
    """
    lengths = {len(label) for _, label in run.train_samples + run.validation_samples}
    task = distribute.read_task(options.strategy)
    rounds, pseudo, init = [], [], run.init
    images = preprocess_batch(run.unlabelled, run.config)  # decoded once, read every round
    for index in range(options.self_training_rounds + 1):
        if index == options.self_training_rounds:
            round_run = run._replace(init=init)
        else:
            chief_dir = run.chief_run_dir / SELF_TRAINING_DIR / f"round{index}"
            round_run = run._replace(
                chief_run_dir=chief_dir, run_dir=distribute.write_dir(chief_dir, task), init=init
            )
        round_run = round_run._replace(train_samples=sorted(run.train_samples + pseudo))
        recognizer, summary = (
            _finished_round(round_run) or _new_round(round_run, pseudo, options, strategy, callbacks)
        )
        rounds.append(
            {"round": index, "pseudo_labels": len(pseudo), "val_accuracy": summary["val_accuracy"]}
        )
        if index < options.self_training_rounds:
            predictor = KerasPredictor(recognizer)
            readings = predictor.decode(predictor.probabilities(images))
            fraction = (index + 1) / options.self_training_rounds
            pseudo = pseudo_labels.most_confident(run.unlabelled, readings, lengths, fraction)
            init = recognizer
    summary.update(
        seconds=round(time.perf_counter() - started, 1), init=run.init,
        unlabelled_images=len(run.unlabelled), self_training=rounds,
    )
    (run.run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _finished_round(run):
    """`(recognizer, summary)` of a round whose folder holds its model (a resumed run), else None."""
    if not (run.chief_run_dir / MODEL_NAME).exists():
        return None
    return (
        load_keras_model(run.chief_run_dir / MODEL_NAME),
        json.loads((run.chief_run_dir / "summary.json").read_text()),
    )


def _new_round(run, pseudo, options, strategy, callbacks):
    run_dir = prepare_run(run.run_dir, overwrite=False)
    samples.write_samples(run_dir / "train.csv", run.train_samples)
    samples.write_samples(run_dir / "validation.csv", run.validation_samples)
    samples.write_samples(run_dir / "pseudo_labels.csv", pseudo)
    return train_round(run, options, strategy, callbacks)


def build_model(run, options, strategy):
    """The recognizer, started from `run.init` (a path or a recognizer) or at the blank prior,
    and its compiled training model."""
    with strategy.scope():
        recognizer = CaptchaRecognizer(run.config, name="captcha_recognizer")
        if run.init is None:
            set_blank_prior(recognizer, statistics.mean(len(label) for _, label in run.train_samples))
        else:
            init = load_keras_model(run.init) if isinstance(run.init, (str, pathlib.Path)) else run.init
            warm_start.copy_weights(init, recognizer)
        trainer = build_training_model(recognizer)
        trainer.compile(
            optimizer=keras.optimizers.Adam(
                learning_rate_schedule(options, _steps_per_epoch(run, options, strategy))
            )
        )
    return recognizer, trainer


def _global_batch_size(options, strategy):
    return options.batch_size * strategy.num_replicas_in_sync


def _steps_per_epoch(run, options, strategy):
    return math.ceil(len(run.train_samples) / _global_batch_size(options, strategy))


def make_batches(run, options, strategy):
    """(training, validation) tf.data batches of the run's split, sharded for `strategy`."""
    train_batches = make_dataset(
        run.train_samples, run.config, _global_batch_size(options, strategy),
        shuffle=True, seed=options.seed,
    )
    validation_batches = make_dataset(run.validation_samples, run.config, 64)
    return distribute.shard_by_data(train_batches), distribute.shard_by_data(validation_batches)


def fit(trainer, batches, run, options, callbacks=()):
    """`trainer.fit` on (training, validation) `batches` with the run's callbacks; returns the History."""
    train_batches, validation_batches = batches
    with distribute.fit_context(options.strategy):
        return trainer.fit(
            train_batches,
            validation_data=validation_batches,
            epochs=options.epochs,
            callbacks=build_callbacks(run.run_dir, options) + list(callbacks),
            verbose=options.verbose,
            shuffle=False,  # the dataset reshuffles itself every epoch
        )


def finish(recognizer, trainer, run, history, started):
    """Saves the best weights' `model.keras`, scores it on the validation split,
    writes `summary.json` (and the figures with matplotlib); returns the summary."""
    run_dir = run.run_dir
    if (run_dir / "best.weights.h5").exists():
        trainer.load_weights(run_dir / "best.weights.h5")
    recognizer.save(run_dir / MODEL_NAME)
    # Every worker predicts and draws: predicting may run collective ops the others must join.
    readings = KerasPredictor(recognizer).predict([path for path, _ in run.validation_samples])
    report = score_results(run.validation_samples, readings)
    summary = {
        "val_accuracy": report["accuracy"],
        "val_cer": report["cer"],
        "epochs": _epochs_run(run_dir, history),
        "seconds": round(time.perf_counter() - started, 1),
        "train_images": len(run.train_samples),
        "validation_images": len(run.validation_samples),
        "model": str(run.chief_run_dir / MODEL_NAME),
        "init": run.init if isinstance(run.init, str) else None,  # a recognizer: the previous round
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    if importlib.util.find_spec("matplotlib"):
        from keras_captcha import viz  # the optional [viz] extra: matplotlib

        viz.write_run_figures(run_dir, samples=run.validation_samples, readings=readings)
    if run_dir != run.chief_run_dir:  # a non-chief worker's temporary folder
        shutil.rmtree(run_dir, ignore_errors=True)
    return summary


def _epochs_run(run_dir, history):
    """Epochs completed over every attempt of the run (resumed runs included)."""
    with open(run_dir / "history.csv", newline="") as file:
        logged = sum(1 for _ in csv.DictReader(file))
    return logged or len(history.epoch)
