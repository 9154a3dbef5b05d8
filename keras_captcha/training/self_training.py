"""Self-training (`train --unlabeled DIR`): rounds on the labels plus the surest pseudo-labels.

A first round learns from the labelled images alone and reads the
unlabelled ones; each further round trains on the labelled images plus the
readings it is surest of, of those that a small shift of the image does not
change (`keras_captcha.labelling.pseudo_labels`). Where the start model (the
general reader) reads more of the pool steadily than a round's model, that
round forgot what the start knew: the start model's readings teach the next
round, which starts from the start model again, and the rounds from then on
fine-tune at a lower learning rate (`START_TAUGHT_RATE`). The
rounds before the last are run folders of their own under `self_training/`;
the last is the run folder itself. A killed run resumes after its last
finished round. A run with no labels at all takes the start model's surest
readings of the pool for them (`start_model_labels`).
"""

import dataclasses
import json
import time

from keras_captcha.core import run_files
from keras_captcha.core.answers import rule_for_labels
from keras_captcha.core.errors import CaptchaError
from keras_captcha.labelling import pseudo_labels
from keras_captcha.runtime.datasets import write_samples
from keras_captcha.runtime.preprocess import preprocess_batch
from keras_captcha.training import distribute
from keras_captcha.training.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.training.options import choose_init
from keras_captcha.training.run_folder import prepare_run, write_split
from keras_captcha.training.trainer import train_round

#: The share of the pool whose start model readings a run with no labels takes as its labels.
START_LABELS_FRACTION = 0.25
#: The peak learning rate of the rounds from the one the start model taught on, as a share of the
#: run's: the style is one the start reads, and a gentler rate forgets less of it (benchmarks/RESULTS.md).
START_TAUGHT_RATE = 1 / 3


def start_model_labels(options):
    """`(path, text)` samples for a run with no labelled images: the start model's
    surest readings of the pool `options.unlabeled`.

    Of the readings of the pool's common lengths (`pseudo_labels.common_lengths`),
    within `options.charset` when declared, with an answer under
    `options.answer` when named, and stable under a small shift
    (`pseudo_labels.stable_readings`), the surest `START_LABELS_FRACTION` of
    the pool. The later rounds then read the rest as with labels. Raises
    `CaptchaError` when there is no model to start from or no such reading.
    """
    init = choose_init(options)
    if not init:
        raise CaptchaError(f"{options.unlabeled}: a run with no labelled images (no --data) starts from a "
                           "trained model: the general reader (drop --init none, --height, --width) or --init MODEL")
    rule = rule_for_labels(options.answer, [])
    pool = pseudo_labels.unlabelled_pool(options.unlabeled, [], options.skip_bad)
    recognizer = load_keras_model(init)
    readings, stable = pseudo_labels.stable_readings(
        KerasPredictor(recognizer), preprocess_batch(pool, recognizer.config)
    )
    usable = pseudo_labels.teachable(readings, options.charset, rule)
    lengths = pseudo_labels.common_lengths([reading.text for reading, ok in zip(readings, usable) if ok])
    keep = [ok and steady for ok, steady in zip(usable, stable)]
    samples = pseudo_labels.most_confident(pool, readings, lengths, START_LABELS_FRACTION, keep)
    if len(samples) < 2:
        raise CaptchaError(f"{options.unlabeled}: the start model {init} reads too few of its images to learn from; "
                           "label a few (--data)")
    return samples


def self_train(run, options, strategy, callbacks, started):
    """`train_round` on the labelled split, then `options.self_training_rounds` more, each on
    the labelled training images plus the pseudo-labels of the round before.

    Each round starts from the last one's weights and learns its readings,
    unless the start model `run.init` has more teachable readings of the pool
    (`_teachable_readings`): then from the start model's weights and readings,
    and from then on at `START_TAUGHT_RATE` of the learning rate.
    Validation stays the labelled split. A round folder already holding its
    model (a resumed run) is read instead of trained again. Returns the last
    round's summary with `self_training`: per round, its pseudo-labels, its
    validation accuracy and, but for the last, whose readings taught the next
    (`teacher`: "round" or "start").
    """
    lengths = {len(label) for _, label in run.train_samples + run.validation_samples}
    task = distribute.read_task(options.strategy)
    rounds, pseudo, init, start = [], [], run.init, None
    images = preprocess_batch(run.unlabelled, run.config)  # decoded once, read every round
    for index in range(options.self_training_rounds + 1):
        if index == options.self_training_rounds:
            round_run = run._replace(init=init)
        else:
            chief_dir = run.chief_run_dir / run_files.SELF_TRAINING_DIR / f"round{index}"
            round_run = run._replace(
                chief_run_dir=chief_dir, run_dir=distribute.write_dir(chief_dir, task), init=init
            )
        round_run = round_run._replace(train_samples=sorted(run.train_samples + pseudo))
        round_options = options
        if "start" in [r.get("teacher") for r in rounds]:
            round_options = dataclasses.replace(options, learning_rate=options.learning_rate * START_TAUGHT_RATE)
        recognizer, summary = (
            _finished_round(round_run) or _new_round(round_run, pseudo, round_options, strategy, callbacks)
        )
        rounds.append(
            {"round": index, "pseudo_labels": len(pseudo), "val_accuracy": summary["val_accuracy"]}
        )
        if index < options.self_training_rounds:
            teacher, init = _teachable_readings(KerasPredictor(recognizer), images, lengths, run.config), recognizer
            if run.init is not None:
                if start is None:  # read once, at the start model's own input size
                    start_model = KerasPredictor(load_keras_model(run.init))
                    start_images = preprocess_batch(run.unlabelled, start_model.config)
                    start = _teachable_readings(start_model, start_images, lengths, run.config)
                if sum(start[1]) > sum(teacher[1]):  # the round forgot what the start model read
                    teacher, init = start, run.init
            rounds[-1]["teacher"] = "round" if init is recognizer else "start"
            fraction = (index + 1) / options.self_training_rounds
            readings, keep = teacher
            pseudo = pseudo_labels.most_confident(run.unlabelled, readings, lengths, fraction, keep)
    summary.update(
        seconds=round(time.perf_counter() - started, 1), init=run.init,
        unlabelled_images=len(run.unlabelled), self_training=rounds,
    )
    (run.run_dir / run_files.SUMMARY_JSON).write_text(json.dumps(summary, indent=2))
    return summary


def _teachable_readings(predictor, images, lengths, config):
    """`(readings, keep)`: `predictor`'s readings of the pool `images` (n, height, width, 1), and per
    image whether the reading may teach: stable under a shift (`pseudo_labels.stable_readings`),
    within `config`'s charset and answer rule, of one of `lengths`."""
    readings, stable = pseudo_labels.stable_readings(predictor, images)
    usable = pseudo_labels.teachable(readings, config.charset, config.answer)
    return readings, [ok and steady and len(r.text) in lengths for ok, steady, r in zip(usable, stable, readings)]


def _finished_round(run):
    """`(recognizer, summary)` of a round whose folder holds its model (a resumed run), else None."""
    if not (run.chief_run_dir / run_files.MODEL).exists():
        return None
    return (
        load_keras_model(run.chief_run_dir / run_files.MODEL),
        json.loads((run.chief_run_dir / run_files.SUMMARY_JSON).read_text()),
    )


def _new_round(run, pseudo, options, strategy, callbacks):
    run_dir = prepare_run(run.run_dir, overwrite=False)
    write_split(run_dir, run.train_samples, run.validation_samples)
    write_samples(run_dir / run_files.PSEUDO_LABELS_CSV, pseudo)
    return train_round(run, options, strategy, callbacks)
