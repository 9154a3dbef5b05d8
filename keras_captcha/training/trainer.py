"""One training round: the schedule, tf.data batches, the recognizer and its trainer, `fit`, the saved model.

`train_round` is what `keras_captcha.training.run.train` runs once (or
once per self-training round): `epoch_passes`, `resolve_schedule`, `make_batches`,
`build_model`, `fit`, `finish`.
"""

import dataclasses
import importlib.util
import json
import math
import pathlib
import shutil
import statistics
import time

import keras

from keras_captcha.core import run_files
from keras_captcha.runtime.evaluation import score_results
from keras_captcha.training import distribute, warm_start
from keras_captcha.training.callbacks import build_callbacks
from keras_captcha.training.dataset import make_dataset
from keras_captcha.training.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.training.model import CaptchaRecognizer, build_training_model, set_blank_prior
from keras_captcha.training.options import epoch_passes, resolve_schedule
from keras_captcha.training.run_folder import epochs_run


def train_round(run, options, strategy, callbacks=(), started=None):
    """One training of a recognizer on `run`'s split, from `run.init` or the blank prior.

    `epoch_passes` and `resolve_schedule` (passes and epochs for the set's size;
    written with the config to `config.json`), `make_batches` (tf.data), `build_model` (recognizer
    and compiled trainer), `fit`, `finish` (saved model, score, summary,
    figures). Returns `(recognizer, summary)`.
    """
    started = time.perf_counter() if started is None else started
    passes = epoch_passes(options, len(run.train_samples), _global_batch_size(options, strategy))
    steps_per_epoch = _steps_per_epoch(run, options, strategy, passes)
    options = resolve_schedule(options, steps_per_epoch)
    (run.run_dir / run_files.CONFIG_JSON).write_text(json.dumps(
        {"model": run.config.to_dict(), "train": dataclasses.asdict(options), "epoch_passes": passes}, indent=2
    ))
    keras.utils.set_random_seed(options.seed)
    batches = make_batches(run, options, strategy, passes)
    recognizer, trainer = build_model(run, options, strategy, steps_per_epoch)
    history = fit(trainer, batches, run, options, callbacks)
    return recognizer, finish(recognizer, trainer, run, history, started)


def build_model(run, options, strategy, steps_per_epoch):
    """The recognizer, started from `run.init` (a path or a recognizer) or at the blank prior,
    and its compiled training model (its learning rate scheduled over `steps_per_epoch`)."""
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
                learning_rate_schedule(options, steps_per_epoch)
            )
        )
    return recognizer, trainer


def _global_batch_size(options, strategy):
    return options.batch_size * strategy.num_replicas_in_sync


def _steps_per_epoch(run, options, strategy, passes=1):
    return math.ceil(passes * len(run.train_samples) / _global_batch_size(options, strategy))


def make_batches(run, options, strategy, passes=1):
    """(training, validation) tf.data batches of the run's split, sharded for `strategy`;
    an epoch of training batches goes `passes` times over the training split."""
    train_batches = make_dataset(
        run.train_samples, run.config, _global_batch_size(options, strategy),
        shuffle=True, seed=options.seed, passes=passes,
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
            callbacks=build_callbacks(run.run_dir, options, len(run.validation_samples)) + list(callbacks),
            verbose=options.verbose,
            shuffle=False,  # the dataset reshuffles itself every epoch
        )


def finish(recognizer, trainer, run, history, started):
    """Saves the best epoch's (or, when the split was too small to pick one, the last
    epoch's) `model.keras`, scores it on the validation split,
    writes `summary.json` (and the figures with matplotlib); returns the summary."""
    run_dir = run.run_dir
    if (run_dir / run_files.BEST_WEIGHTS).exists():
        trainer.load_weights(run_dir / run_files.BEST_WEIGHTS)
    recognizer.save(run_dir / run_files.MODEL)
    # Every worker predicts and draws: predicting may run collective ops the others must join.
    readings = KerasPredictor(recognizer).predict([path for path, _ in run.validation_samples])
    report = score_results(run.validation_samples, readings)
    summary = {
        "val_accuracy": report["accuracy"],
        "val_cer": report["cer"],
        "epochs": epochs_run(run_dir, history),
        "seconds": round(time.perf_counter() - started, 1),
        "train_images": len(run.train_samples),
        "validation_images": len(run.validation_samples),
        "model": str(run.chief_run_dir / run_files.MODEL),
        "init": run.init if isinstance(run.init, str) else None,  # a recognizer: the previous round
    }
    (run_dir / run_files.SUMMARY_JSON).write_text(json.dumps(summary, indent=2))
    if importlib.util.find_spec("matplotlib"):
        from keras_captcha import viz  # the optional [viz] extra: matplotlib

        viz.write_run_figures(run_dir, samples=run.validation_samples, readings=readings)
    if run_dir != run.chief_run_dir:  # a non-chief worker's temporary folder
        shutil.rmtree(run_dir, ignore_errors=True)
    return summary


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
