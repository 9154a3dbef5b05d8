"""Helpers shared by the benchmark scripts: the data folder, timing callbacks, JSON output."""

import json
import os
import pathlib
import sys
import time

import keras


def data_dir():
    folder = os.environ.get("KERAS_CAPTCHA_DATA", "../shared/data/captcha_images_v2")
    if not pathlib.Path(folder).is_dir():
        sys.exit(f"set KERAS_CAPTCHA_DATA to the captcha_images_v2 folder (tried {folder})")
    return pathlib.Path(folder)


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


def emit(result):
    """Prints the benchmark's JSON result on stdout."""
    print(json.dumps(result, indent=2))
