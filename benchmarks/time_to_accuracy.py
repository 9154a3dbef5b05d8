"""Time to 99% validation accuracy: the default `keras-captcha train` vs the keras.io recipe.

    KERAS_CAPTCHA_DATA=../shared/data/captcha_images_v2 python benchmarks/time_to_accuracy.py [--init MODEL|none]

Both train one after the other in this process on the same seeded 90/10 split
of the shared dataset (2 CPU cores here). The default run is the library's
`train()` with default options, timed from the call (data listing, model build
and tracing included) to the end of the first epoch whose validation accuracy
reaches the target, and then to its saved model. The reference is the keras.io
"OCR model for reading captchas" recipe: 200x50 input, Conv 32 and 64 with 2x2
pooling, Dense 64, dropout 0.2, BiLSTM 128 and 64 with dropout 0.25, Adam 1e-3,
batch 16, stopped once it reaches the target. `--runs` pairs (3 by default)
alternate the two; the JSON holds every run and the medians.

Throughput is reported twice, as medians over the epochs after the first:
`train_images_per_second` counts the training steps alone (epoch start to the
start of validation), `epoch_images_per_second` whole epochs (validation,
checkpoints and logs included).
"""

import argparse
import json
import math
import statistics
import sys
import tempfile
import time

import keras

from keras_captcha.cli.parser import init_value
from keras_captcha.core.config import CaptchaConfig
from keras_captcha.runtime import datasets
from keras_captcha.training.dataset import make_dataset
from keras_captcha.training.loss import CTCLoss
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train

from common import data_dir, emit


class TimeToAccuracy(keras.callbacks.Callback):
    """Records the wall time and epoch at which `val_accuracy` first reaches `target`.

    Times count from `started` (a `time.perf_counter()` value); with
    `stop=True` training stops there.
    """

    def __init__(self, started, target=0.99, stop=False):
        super().__init__()
        self.started, self.target, self.stop = started, target, stop
        self.epoch_seconds, self.hit = [], None
        # per epoch: seconds of the training steps alone (until validation starts)
        self.train_loop_seconds, self._epoch_began = [], None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_began = time.perf_counter()

    def on_test_begin(self, logs=None):
        if self._epoch_began is not None:  # validation inside fit, not a separate evaluate
            self.train_loop_seconds.append(time.perf_counter() - self._epoch_began)
            self._epoch_began = None

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self.started
        self.epoch_seconds.append(elapsed)
        if self.hit is None and logs.get("val_accuracy", 0.0) >= self.target:
            self.hit = {"epoch": epoch + 1, "seconds": round(elapsed, 1)}
            if self.stop:
                self.model.stop_training = True


def reference_model(config):
    """The keras.io captcha OCR model on (50, 200, 1) images, with our CTC endpoint."""
    image = keras.Input((config.height, config.width, 1), name="image")
    labels = keras.Input((None,), dtype="int32", name="labels")
    x = keras.layers.Permute((2, 1, 3))(image)  # the example feeds width first
    x = keras.layers.Conv2D(32, 3, activation="relu", padding="same", kernel_initializer="he_normal")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(64, 3, activation="relu", padding="same", kernel_initializer="he_normal")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Reshape((config.width // 4, (config.height // 4) * 64))(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    x = keras.layers.Dropout(0.2)(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(128, return_sequences=True, dropout=0.25))(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=True, dropout=0.25))(x)
    probabilities = keras.layers.Dense(config.num_classes, activation="softmax")(x)
    outputs = CTCLoss()(labels, probabilities)
    return keras.Model({"image": image, "labels": labels}, outputs)


def run_reference(folder, seed, max_epochs):
    started = time.perf_counter()
    samples = datasets.list_samples(folder)
    train_samples, validation_samples = datasets.split_samples(samples, 0.1, seed)
    config = CaptchaConfig(
        charset=datasets.derive_charset(label for _, label in samples),
        height=50, width=200, conv_filters=(32, 64), conv_pools=((2, 2), (2, 2)),
    )
    keras.utils.set_random_seed(seed)
    model = reference_model(config)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    timer = TimeToAccuracy(started, stop=True)
    model.fit(
        make_dataset(train_samples, config, 16, shuffle=True, seed=seed),
        validation_data=make_dataset(validation_samples, config, 64),
        epochs=max_epochs, callbacks=[timer], verbose=0, shuffle=False,
    )
    return summarise(timer, len(train_samples))


def run_default(folder, seed, init):
    started = time.perf_counter()
    timer = TimeToAccuracy(started)
    with tempfile.TemporaryDirectory() as run_dir:
        summary = train(folder, run_dir, TrainOptions(seed=seed, verbose=0, init=init), callbacks=[timer])
    result = summarise(timer, summary["train_images"])
    result.update(
        whole_run_seconds=summary["seconds"],
        epochs=summary["epochs"],
        saved_model_val_accuracy=summary["val_accuracy"],
        saved_model_val_cer=summary["val_cer"],
    )
    return result


def summarise(timer, train_images):
    durations = [b - a for a, b in zip(timer.epoch_seconds, timer.epoch_seconds[1:])]
    steady = statistics.median(durations) if durations else math.nan
    # the first epoch also traces the graphs and fills the image cache
    train_loop = statistics.median(timer.train_loop_seconds[1:] or [math.nan])
    return {
        "first_99_epoch": timer.hit and timer.hit["epoch"],
        "first_99_seconds": timer.hit and timer.hit["seconds"],
        "epochs_run": len(timer.epoch_seconds),
        "seconds_per_epoch": round(steady, 2),
        "epoch_images_per_second": round(train_images / steady, 1),
        "train_images_per_second": round(train_images / train_loop, 1),
    }


def run_pair(folder, args):
    """One default run, then (unless skipped) the reference on the same split."""
    result = {"default": run_default(folder, args.seed, args.init)}
    print(json.dumps(result), file=sys.stderr, flush=True)  # kept if the reference fails
    if not args.skip_reference:
        result["reference_keras_io"] = run_reference(folder, args.seed, args.reference_max_epochs)
        ours = result["default"]["first_99_seconds"]
        theirs = result["reference_keras_io"]["first_99_seconds"]
        result["reference_over_default"] = round(theirs / ours, 2) if ours and theirs else None
    return result


def medians(runs):
    """The median of every number over the runs, per model, and of the ratio."""
    summary = {}
    for key in ("default", "reference_keras_io"):
        if key in runs[0]:
            summary[key] = {
                field: statistics.median(run[key][field] for run in runs)
                for field in runs[0][key]
                if all(isinstance(run[key][field], (int, float)) for run in runs)
            }
    ratios = [run.get("reference_over_default") for run in runs]
    if all(ratios) and "reference_keras_io" in runs[0]:
        summary["reference_over_default"] = statistics.median(ratios)
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="split and initialisation seed")
    parser.add_argument("--runs", type=int, default=3, help="default/reference pairs to run")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--reference-max-epochs", type=int, default=60)
    parser.add_argument("--init", metavar="MODEL|none", type=init_value, default=TrainOptions.init,
                        help="the default run's start (train --init; default: the command's own choice)")
    args = parser.parse_args()
    folder = data_dir()
    runs = [run_pair(folder, args) for _ in range(args.runs)]
    emit({"seed": args.seed, "median": medians(runs), "runs": runs})


if __name__ == "__main__":
    main()
