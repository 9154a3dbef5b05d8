"""How often a run with no labels starts right: the start model's readings it takes as labels, checked against the truth.

    python benchmarks/start_labels.py --real henan_digits lzu_digits captcha_images_v2 rkn_securimage \\
        --seeds 101 102 103 [--pool 1000] [--out benchmarks/results/start_labels.json]

For each shared real set and seed: the pool a `--labels 0` run of
`benchmarks/real_styles.py` reads (the same test split left out, the same
draw), the samples `self_training.start_model_labels` takes from it, once as
it is and once with `pseudo_labels.STABILITY_SHIFTS` emptied (no shift
check), and the share of those labels that are right. Only the pool's hidden
labels are used; the test split is never read.
"""

import argparse
import json
import os
import pathlib
import statistics
import tempfile
from unittest import mock

from keras_captcha.labelling import pseudo_labels
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.self_training import start_model_labels

from real_styles import POOL_IMAGES, TEST_IMAGES, RealSet


def precision(samples, truth):
    """The share of `(path, text)` samples whose text is the label of the file the path links to."""
    return sum(truth[os.path.realpath(path)] == text for path, text in samples) / len(samples)


def measure(name, seed, pool, folder):
    """Both selections' label counts and precisions for one set and seed."""
    real = RealSet(name, TEST_IMAGES, folder)
    pool_dir, _ = real.training(seed, pool, 0, folder / f"{name}-{seed}")
    truth = {os.path.realpath(path): label for path, label in real.rest}
    options = TrainOptions(unlabeled=str(pool_dir))
    checked = start_model_labels(options)
    with mock.patch.object(pseudo_labels, "STABILITY_SHIFTS", ()):
        unchecked = start_model_labels(options)
    return {"set": name, "seed": seed, "pool": len(os.listdir(pool_dir)),
            "labels_stable": len(checked), "right_stable": precision(checked, truth),
            "labels_unchecked": len(unchecked), "right_unchecked": precision(unchecked, truth)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", nargs="+", default=["henan_digits", "lzu_digits", "captcha_images_v2", "rkn_securimage"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[101, 102, 103])
    parser.add_argument("--pool", type=int, default=POOL_IMAGES)
    parser.add_argument("--out", type=pathlib.Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.real:
            for seed in args.seeds:
                rows.append(measure(name, seed, args.pool, pathlib.Path(scratch)))
                print(json.dumps(rows[-1]), flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    print("| set | labels taken, no shift check | right | labels taken, stable only | right |")
    print("|---|---|---|---|---|")
    for name in args.real:
        mine = [row for row in rows if row["set"] == name]

        def median(key):
            return statistics.median(row[key] for row in mine)
        print(f"| {name} | {median('labels_unchecked'):.0f} | {median('right_unchecked'):.1%} "
              f"| {median('labels_stable'):.0f} | {median('right_stable'):.1%} |")


if __name__ == "__main__":
    main()
