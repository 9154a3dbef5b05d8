"""Accuracy on unseen captchas against the number of labelled images (from scratch so far).

    KERAS_CAPTCHA_DATA=../shared/data/captcha_images_v2 python benchmarks/label_efficiency.py \\
        --labels 50 100 --seeds 101 102 103

For each number of labels and each seed, draws that many captchas of the
shared set (seeded), trains the default `keras-captcha train` on them alone
(its own 90/10 split; the schedule adapts to the set's size), and reads every
captcha that was not drawn with the saved model: exact-match accuracy on
those unseen captchas, wall seconds of the training. Prints JSON with each
run and the median over seeds for each number of labels. The semi-supervised
and pretrained modes of issue 13 are not built yet.
"""

import argparse
import pathlib
import statistics
import tempfile

import numpy as np

from common import data_dir, emit
from keras_captcha.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.predictor import evaluate
from keras_captcha.samples import list_samples, write_samples
from keras_captcha.train import TrainOptions, train


def run(listed, labels, seed, scratch):
    order = np.random.default_rng(seed).permutation(len(listed))
    drawn = sorted(listed[i] for i in order[:labels])
    unseen = sorted(listed[i] for i in order[labels:])
    manifest = scratch / f"labelled_{labels}_{seed}.csv"
    write_samples(manifest, drawn)
    summary = train(manifest, scratch / f"run_{labels}_{seed}", TrainOptions(seed=seed, verbose=0))
    report = evaluate(KerasPredictor(load_keras_model(summary["model"])), unseen)
    return {
        "labels": labels, "seed": seed, "unseen": len(unseen), "unseen_accuracy": round(report["accuracy"], 4),
        "epochs": summary["epochs"], "train_seconds": summary["seconds"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, nargs="+", default=[25, 50, 100, 200, 400])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    args = parser.parse_args()
    listed = list_samples(data_dir())
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        for labels in args.labels:
            for seed in args.seeds:
                runs.append(run(listed, labels, seed, pathlib.Path(scratch)))
    medians = {
        labels: statistics.median(r["unseen_accuracy"] for r in runs if r["labels"] == labels)
        for labels in args.labels
    }
    emit({"mode": "from scratch", "runs": runs, "median_unseen_accuracy": medians})


if __name__ == "__main__":
    main()
