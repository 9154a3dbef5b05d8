"""`python -m keras_captcha.training.relabel --labels L --pool DIR --out RUN`: the labelling page's background run.

Trains the default few-label command (`train --data L --unlabeled DIR`),
then reads every image of `DIR` with the new model and writes the readings
to `RUN/pool_readings.json`. It prints one JSON line per epoch (`round`,
`epoch`, `val_accuracy`) and a last one with `readings` (the file) and the
run's `val_accuracy`, or `error` (exit code 2).
"""

import argparse
import json
import pathlib
import sys

import keras

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.datasets import list_images
from keras_captcha.training.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train

READINGS_NAME = "pool_readings.json"


class JsonProgress(keras.callbacks.Callback):
    """Prints `{"round", "epoch", "val_accuracy"}` after every epoch."""

    def __init__(self):
        super().__init__()
        self.round = 0

    def on_train_begin(self, logs=None):
        self.round += 1

    def on_epoch_end(self, epoch, logs=None):
        accuracy = (logs or {}).get("val_accuracy")
        print(json.dumps({"round": self.round, "epoch": epoch + 1, "val_accuracy": accuracy}), flush=True)


def relabel(labels, pool, out, **schedule):
    """Trains on `labels` with `pool` unlabelled, reads `pool`; returns the readings file's path and the summary.

    `schedule` holds `TrainOptions` fields (`epochs`, `self_training_rounds`) that replace the defaults.
    """
    options = TrainOptions(unlabeled=str(pool), verbose=0, overwrite=True, **schedule)
    summary = train(labels, out, options, callbacks=[JsonProgress()])
    predictor = KerasPredictor(load_keras_model(summary["model"]))
    paths = list_images(pool, skip_bad=True)
    readings = [{"path": path, **reading.to_dict()} for path, reading in zip(paths, predictor.predict(paths))]
    written = pathlib.Path(out) / READINGS_NAME
    written.write_text(json.dumps({"charset": predictor.config.charset, "readings": readings}))
    return written, summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", required=True)
    parser.add_argument("--pool", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--self-training-rounds", type=int)
    args = parser.parse_args(argv)
    schedule = {name: getattr(args, name) for name in ("epochs", "self_training_rounds") if getattr(args, name)}
    try:
        written, summary = relabel(args.labels, args.pool, args.out, **schedule)
    except CaptchaError as error:
        print(json.dumps({"error": str(error)}), flush=True)
        return 2
    print(json.dumps({"readings": str(written), "val_accuracy": summary["val_accuracy"]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
