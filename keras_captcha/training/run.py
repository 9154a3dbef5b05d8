"""A training run: a data folder -> a run folder holding `model.keras` and its logs.

    from keras_captcha.training import TrainOptions, train
    result = train("data/captcha_images_v2", "runs/first", TrainOptions(epochs=30))
    print(result["val_accuracy"], result["model"])

Everything a run writes goes into its folder (the names are
`keras_captcha.core.run_files`): the split's file lists (`train.csv`,
`validation.csv`), `config.json`, `history.csv`, TensorBoard `logs/` (when
tensorboard is installed), the best weights, a `backup/` that lets a killed
run resume with the same command, and at the end `model.keras` (the
inference model) and `summary.json`. Under `multiworker` only the chief
writes the run folder (`keras_captcha.training.distribute`).

With `unlabeled` (`train --unlabeled DIR`) a run self-trains
(`keras_captcha.training.self_training`). With `init` (`train --init MODEL`)
the first round starts from a trained model (`keras_captcha.training.warm_start`).
"""

import pathlib
import time
import typing

from keras_captcha.core.answers import rule_for_labels
from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.errors import CaptchaError
from keras_captcha.labelling import pseudo_labels
from keras_captcha.runtime import datasets
from keras_captcha.training import alphabet, distribute, warm_start
from keras_captcha.training.input_width import width_for_labels
from keras_captcha.training.options import TrainOptions, choose_init
from keras_captcha.training.run_folder import prepare_run, write_split
from keras_captcha.training.self_training import self_train, start_model_labels
from keras_captcha.training.trainer import train_round


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

    `data_dir` None with `options.unlabeled`: a run with no labels, which
    starts from the start model's surest readings of the pool
    (`keras_captcha.training.self_training.start_model_labels`).

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
    strategy = distribute.make_strategy(options.strategy)  # before any TensorFlow op
    run = prepare_data(data_dir, run_dir, options)
    if options.unlabeled:
        return self_train(run, options, strategy, callbacks, started)
    return train_round(run, options, strategy, callbacks, started)[1]


def prepare_data(data_dir, run_dir, options):
    """Prepares the folder this process writes and splits the checked samples; returns `RunData`.

    Writes `train.csv` and `validation.csv` into it. Lists the unlabelled
    pool (`options.unlabeled`) and reads the config of `options.init`. The
    input width, unless asked for, is the start's (or the default's), widened
    for long labels (`keras_captcha.training.input_width`).
    """
    task = distribute.read_task(options.strategy)
    chief_run_dir = pathlib.Path(run_dir)
    if not 0 < options.validation_fraction < 1:
        raise CaptchaError(f"--validation-split {options.validation_fraction}: expected a fraction above 0 and below 1 "
                           "(a run validates on one image at least)")
    if data_dir is not None:
        listed = datasets.list_samples(data_dir, skip_bad=options.skip_bad)
        if len(listed) < 2:
            raise CaptchaError(f"{data_dir}: one labelled image; a run needs two at least (one to validate on)")
    elif options.unlabeled:
        listed = start_model_labels(options)
    else:
        raise CaptchaError("no labelled images: name a folder of them, or an unlabelled pool to learn from alone")
    train_samples, validation_samples = datasets.split_samples(
        listed, options.validation_fraction, options.seed
    )
    rule = rule_for_labels(options.answer, listed)
    init = choose_init(options)
    if init:
        start = warm_start.read_init_config(init)
        charset = alphabet.choose_charset(listed, options.charset, start.charset)
        config = warm_start.init_config(init, start, charset, options.model).replace(answer=rule)
    else:
        charset = alphabet.choose_charset(listed, options.charset)
        config = CaptchaConfig(charset=charset, answer=rule, **options.model)
    if "width" not in options.model:
        config = config.replace(width=width_for_labels(listed, config.width, config.pool_factor(1)))
    unlabelled = []
    if options.unlabeled:
        unlabelled = pseudo_labels.unlabelled_pool(options.unlabeled, listed, options.skip_bad)
    run_dir = prepare_run(distribute.write_dir(chief_run_dir, task), options.overwrite)
    write_split(run_dir, train_samples, validation_samples)
    return RunData(run_dir, chief_run_dir, train_samples, validation_samples, config, unlabelled, init)
