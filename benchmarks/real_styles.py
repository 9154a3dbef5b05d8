"""Accuracy on a style no run trained on, against the number of labels: zoo styles and the shared real sets.

    python benchmarks/real_styles.py --styles boxed_arithmetic --labels 50 200 --seeds 101 102 103 \\
        [--answer arithmetic] [--out benchmarks/results/real_styles.json]
    python benchmarks/real_styles.py --real henan_digits --labels 25 50 ...   (KERAS_CAPTCHA_DATASETS)

For each style and seed: a fixed test split of `--test` captchas that no
run sees (zoo: its own seed; a real set: a seeded split of its labels.csv),
a pool of `--pool` unlabelled captchas, and `N` labelled ones for each N of
`--labels`; then the default few-label command (`train --data LABELS
--unlabeled POOL`, with `--answer` when given) and its reading accuracy on
the test split, and its answer accuracy for a model with an answer rule.
The JSON is written after every run; the table is printed at the end
(medians over the seeds).
"""

import argparse
import json
import os
import pathlib
import statistics
import tempfile
import time
import zlib

from keras_captcha.core.answers import answer
from keras_captcha.runtime.datasets import list_samples, split_samples, write_samples
from keras_captcha.runtime.evaluation import evaluate
from keras_captcha.training.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train
from keras_captcha.zoo.generate import write_dataset
from keras_captcha.zoo.styles import STYLES


def _seed(*parts):
    return zlib.crc32("/".join(map(str, parts)).encode())


def zoo_split(style_name, seed, test, pool, labels, folder):
    """(test samples, pool folder, labelled samples) of a zoo style: each its own seeded stream."""
    style = STYLES[style_name]
    test_samples = list_samples(write_dataset(folder / "test", style, test, seed=_seed(style_name, "test")))
    pool_dir = folder / "pool"
    write_dataset(pool_dir, style, pool, seed=_seed(style_name, "pool", seed))
    (pool_dir / "labels.csv").unlink()  # the pool is unlabelled
    labelled = list_samples(write_dataset(folder / "labelled", style, labels, seed=_seed(style_name, "labels", seed)))
    return test_samples, pool_dir, labelled


def real_split(name, seed, test, pool, labels, folder):
    """(test samples, pool folder, labelled samples) of a shared real set: the test split fixed, the rest by seed."""
    root = pathlib.Path(os.environ.get("KERAS_CAPTCHA_DATASETS", "../shared/data"))
    samples = list_samples(root / name)
    rest, test_samples = split_samples(samples, test / len(samples), seed=0)
    labelled, unlabelled = split_samples(rest, 1 - labels / len(rest), seed=seed) if labels < len(rest) else (rest, [])
    pool_dir = folder / "pool"
    pool_dir.mkdir(parents=True)
    for index, (path, _) in enumerate(unlabelled[:pool]):
        os.symlink(path, pool_dir / f"{index:06d}{pathlib.Path(path).suffix}")
    return test_samples, pool_dir, labelled


def one_run(split, args, folder):
    test_samples, pool_dir, labelled = split
    manifest = folder / "labelled.csv"
    write_samples(manifest, labelled)
    options = TrainOptions(unlabeled=str(pool_dir) if any(pool_dir.iterdir()) else None, verbose=0,
                           answer=args.answer)
    started = time.perf_counter()
    summary = train(manifest, folder / "run", options)
    seconds = time.perf_counter() - started
    predictor = KerasPredictor(load_keras_model(summary["model"]))
    known = set(predictor.config.charset)
    scored = [(path, label) for path, label in test_samples if set(label) <= known]
    report = evaluate(predictor, scored) if scored else {"accuracy": 0.0, "n": 0}
    missed = len(test_samples) - len(scored)  # labels with characters the model lacks: misses
    result = {"accuracy": report["accuracy"] * len(scored) / len(test_samples), "seconds": round(seconds, 1),
              "test_images": len(test_samples), "lacking_characters": missed}
    if args.answer:
        result["answer_accuracy"] = report.get("answer_accuracy", 0.0) * len(scored) / len(test_samples)
        result["test_labels_with_answers"] = sum(answer(label, predictor.config.answer) is not None
                                                 for _, label in test_samples)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", nargs="*", default=[], help="zoo styles (keras_captcha.zoo.styles.STYLES)")
    parser.add_argument("--real", nargs="*", default=[], help="shared real sets under KERAS_CAPTCHA_DATASETS")
    parser.add_argument("--labels", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    parser.add_argument("--test", type=int, default=200)
    parser.add_argument("--pool", type=int, default=1000)
    parser.add_argument("--answer", help="the answer rule of the runs (arithmetic)")
    parser.add_argument("--out", default="benchmarks/results/real_styles.json")
    args = parser.parse_args()
    results = []
    jobs = [("zoo", name) for name in args.styles] + [("real", name) for name in args.real]
    for kind, name in jobs:
        for labels in args.labels:
            for seed in args.seeds:
                with tempfile.TemporaryDirectory() as scratch:
                    folder = pathlib.Path(scratch)
                    splitter = zoo_split if kind == "zoo" else real_split
                    result = one_run(splitter(name, seed, args.test, args.pool, labels, folder), args, folder)
                results.append({"style": name, "kind": kind, "labels": labels, "seed": seed, **result})
                pathlib.Path(args.out).write_text(json.dumps(results, indent=1))
                print(json.dumps(results[-1]), flush=True)
    print(table(results))


def table(results):
    """Markdown: one row per style and label count, the medians over the seeds."""
    keys = sorted({(r["style"], r["labels"]) for r in results})
    lines = ["| style | labels | reading accuracy | answer accuracy | seconds a run |", "|---|---|---|---|---|"]
    for style, labels in keys:
        runs = [r for r in results if (r["style"], r["labels"]) == (style, labels)]
        answers = [r["answer_accuracy"] for r in runs if "answer_accuracy" in r]
        lines.append(
            f"| {style} | {labels} | {statistics.median(r['accuracy'] for r in runs):.1%} | "
            f"{f'{statistics.median(answers):.1%}' if answers else '-'} | "
            f"{statistics.median(r['seconds'] for r in runs):.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
