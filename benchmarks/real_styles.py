"""Accuracy on styles no run trained on, against the number of labels: the shared real sets and held-out zoo styles.

    python benchmarks/real_styles.py --real captcha_images_v2 henan_digits lzu_digits rkn_securimage \\
        --styles colour_chars crossing_curves --labels 25 50 all --seeds 101 102 103 --ddddocr \\
        [--answer arithmetic] [--epochs N] [--learning-rate LR] [--rounds N] [--init MODEL|none] [--reader MODEL] [--height H] [--width W] [--dev] \\
        [--out benchmarks/results/real_styles.json] [--plot docs/real_styles.png]

For each style: a fixed test split of `--test` captchas that no run sees
(a real set, under KERAS_CAPTCHA_DATASETS: a split of its labels with seed
0; a zoo style: its own seeded stream), read first with no training by the
general reader (`exported/base/model.keras`, or `--reader MODEL`) and, with `--ddddocr`, by
ddddocr 1.6.1's own model (in its own virtualenv; its reading is lowercased
for sets whose labels have no capital letter); then both again with the
site's alphabet declared, as a user who knows the site uses digits would
(`--allowed`; ddddocr's `set_ranges`): a zoo style's own alphabet, or the
classes (digits, lowercase, uppercase) the real set's other labels touch,
the rule `train` widens labels by. Then for each seed and each
N of `--labels` (`all`: every label of a real set but the test split's, no
pool; 0: the pool alone, no `--data`) the default few-label command,
`train --data LABELS --unlabeled POOL` (`--pool` unlabelled captchas of the same style, with `--answer` when
given), its reading accuracy on the test split (a label with a character
the model lacks is a miss) and, for a model with an answer rule, its answer
accuracy. Each self-training round in the JSON also gives `pseudo_labels_right`, the share of
the pseudo-labels it trained on that are the pool image's true label. `--dev` measures on a development split instead, to choose a
default by: a zoo style's own "dev" stream, or `--test` more of a real
set's labels, set aside before its labels and pool are drawn (so the runs
differ from the test split's runs); never the test split. The JSON is
written after every run; the table (medians over the seeds) is printed at
the end (`--from-json` prints it, and `--plot` draws it, from earlier runs'
JSON files, a later file's runs of a style, reader and label count replacing an earlier one's).
"""

import argparse
import csv
import json
import os
import pathlib
import statistics
import tempfile
import time
import zlib

import numpy as np

from keras_captcha.cli.parser import init_value
from keras_captcha.core import run_files
from keras_captcha.core.answers import answer
from keras_captcha.core.assets import shipped_base
from keras_captcha.runtime.datasets import list_samples, split_samples, write_samples
from keras_captcha.runtime.evaluation import evaluate
from keras_captcha.runtime.metrics import score
from keras_captcha.training.alphabet import choose_charset
from keras_captcha.training.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train
from keras_captcha.zoo.generate import write_dataset
from keras_captcha.zoo.styles import STYLES

from common import ddddocr_python, ddddocr_read

#: The `--labels` value that trains on every label of a real set but its test split.
ALL = "all"
#: The zero-shot readers' names when told the site's alphabet.
DECLARED = "{}, alphabet declared"
#: The default `--test` and `--pool` sizes (`benchmarks/start_labels.py` reads the same pools).
TEST_IMAGES, POOL_IMAGES = 200, 1000


def _seed(*parts):
    return zlib.crc32("/".join(map(str, parts)).encode())


class ZooStyle:
    """A zoo style's test split, pools and labelled sets, each its own seeded stream."""

    def __init__(self, name, test, folder, dev=False):
        self.name, self.style = name, STYLES[name]
        split = "dev" if dev else "test"
        self.test = list_samples(write_dataset(folder / split, self.style, test, seed=_seed(name, split)))

    def alphabet(self, known):
        """The style's characters that `known` (a model's charset) holds."""
        return "".join(char for char in self.style.alphabet if char in known)

    def training(self, seed, pool, labels, folder):
        if labels == ALL:
            raise SystemExit(f"--labels {ALL} is for real sets; a zoo style has no end")
        pool_dir = folder / "pool"
        write_dataset(pool_dir, self.style, pool, seed=_seed(self.name, "pool", seed))
        truths = {pathlib.Path(path).name: label for path, label in list_samples(pool_dir)}
        (pool_dir / "labels.csv").unlink()  # the pool is unlabelled
        if not labels:
            return pool_dir, [], truths
        labelled = list_samples(write_dataset(folder / "labelled", self.style, labels, seed=_seed(self.name, "labels", seed)))
        return pool_dir, labelled, truths


class RealSet:
    """A shared real set: the test split fixed (seed 0), the labels and the pool drawn from the rest by seed."""

    def __init__(self, name, test, folder, dev=False):
        root = pathlib.Path(os.environ.get("KERAS_CAPTCHA_DATASETS", "../shared/data"))
        samples = list_samples(root / name)
        self.name = name
        self.rest, self.test = split_samples(samples, test / len(samples), seed=0)
        if dev:  # the test split stays out; the dev split is the next `test` of the rest
            self.rest, self.test = split_samples(self.rest, test / len(self.rest), seed=0)

    def alphabet(self, known):
        """Each character class the labels but the test split's touch, as far as `known` (a model's charset) holds it."""
        return "".join(char for char in choose_charset(self.rest, start_charset=known) if char in known)

    def training(self, seed, pool, labels, folder):
        pool_dir = folder / "pool"
        pool_dir.mkdir(parents=True)
        if labels == ALL:
            return pool_dir, self.rest, {}
        if labels:
            labelled, unlabelled = split_samples(self.rest, 1 - labels / len(self.rest), seed=seed)
        else:
            labelled, unlabelled = [], [self.rest[i] for i in np.random.default_rng(seed).permutation(len(self.rest))]
        truths = {}
        for index, (path, label) in enumerate(unlabelled[:pool]):
            name = f"{index:06d}{pathlib.Path(path).suffix}"
            os.symlink(os.path.abspath(path), pool_dir / name)
            truths[name] = label
        return pool_dir, labelled, truths


def accuracy_of(predictor, test, rule=None):
    """Reading (and with `rule`, answer) accuracy of `predictor` on the test samples; misses count unknown characters."""
    report = evaluate(predictor, test)
    result = {"accuracy": report["accuracy"], "test_images": report["n"],
              "lacking_characters": len(report["unknown_characters"]["paths"])}
    if rule:
        result["answer_accuracy"] = report["answer_accuracy"]
        result["test_labels_with_answers"] = sum(answer(label, rule) is not None for _, label in test)
    return result


def ddddocr_accuracy(python, test, allowed=None):
    """ddddocr's zero-shot accuracy on the test samples (lowercased when no label has a capital), reading only `allowed`."""
    readings = ddddocr_read(python, [path for path, _ in test], allowed)
    if not any(char.isupper() for _, label in test for char in label):
        readings = [text.lower() for text in readings]
    return {"accuracy": score([label for _, label in test], readings)[0], "test_images": len(test)}


def input_size(args):
    """The `TrainOptions.model` fields `--height` and `--width` ask for."""
    return {name: getattr(args, name) for name in ("height", "width") if getattr(args, name)}


def few_label_run(style, seed, labels, args, folder):
    pool_dir, labelled, truths = style.training(seed, args.pool, labels, folder)
    manifest = folder / "labelled.csv" if labelled else None  # none: the pool alone
    if manifest:
        write_samples(manifest, labelled)
    options = TrainOptions(unlabeled=str(pool_dir) if any(pool_dir.iterdir()) else None, verbose=0,
                           answer=args.answer, seed=seed, model=input_size(args), epochs=args.epochs,
                           learning_rate=args.learning_rate or TrainOptions.learning_rate,
                           self_training_rounds=TrainOptions.self_training_rounds if args.rounds is None else args.rounds,
                           init=args.init)
    started = time.perf_counter()
    summary = train(manifest, folder / "run", options)
    seconds = time.perf_counter() - started
    predictor = KerasPredictor(load_keras_model(summary["model"]))
    for round_summary in summary.get("self_training") or []:
        round_summary["pseudo_labels_right"] = pseudo_labels_right(folder / "run", round_summary["round"], truths)
    return {**accuracy_of(predictor, style.test, predictor.config.answer), "seconds": round(seconds, 1),
            "labelled": len(labelled), "height": predictor.config.height, "width": predictor.config.width,
            "val_accuracy": summary["val_accuracy"], "self_training": summary.get("self_training")}


def pseudo_labels_right(run_dir, index, truths):
    """The share of round `index`'s pseudo-labels (`run_dir`'s self-training folders; the
    last round's is the run's own) that are the pool image's true label; None without any."""
    round_dir = run_dir / run_files.SELF_TRAINING_DIR / f"round{index}"
    csv_path = (round_dir if round_dir.is_dir() else run_dir) / run_files.PSEUDO_LABELS_CSV
    # Read as `write_samples` wrote it (a header, then the pool's paths): `list_samples` would
    # resolve a real set's pool links to the set's own file names, which `truths` does not know.
    rows = list(csv.reader(csv_path.read_text(encoding="utf-8").splitlines()))[1:] if csv_path.exists() else []
    pseudo = [(pathlib.Path(path).name, label) for path, label in rows]
    pseudo = [(name, label) for name, label in pseudo if name in truths]
    if not pseudo:
        return None
    return round(sum(truths[name] == label for name, label in pseudo) / len(pseudo), 4)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", nargs="*", default=[], help="zoo styles (keras_captcha.zoo.styles.STYLES)")
    parser.add_argument("--real", nargs="*", default=[], help="shared real sets under KERAS_CAPTCHA_DATASETS")
    parser.add_argument("--labels", nargs="*", default=["25", "50"], help=f"label counts, or {ALL}")
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    parser.add_argument("--test", type=int, default=TEST_IMAGES)
    parser.add_argument("--pool", type=int, default=POOL_IMAGES)
    parser.add_argument("--answer", help="the answer rule of the runs (arithmetic)")
    parser.add_argument("--epochs", type=int, help="the runs' epochs (train --epochs; default: the schedule's own)")
    parser.add_argument("--learning-rate", type=float, help="the runs' peak learning rate (train --learning-rate)")
    parser.add_argument("--rounds", type=int, help="the runs' self-training rounds (train --self-training-rounds)")
    parser.add_argument("--init", metavar="MODEL|none", type=init_value, default=TrainOptions.init,
                        help="the runs' start (train --init; default: the command's own choice)")
    parser.add_argument("--dev", action="store_true", help="measure on a development split, not the test split")
    parser.add_argument("--height", type=int, help="the runs' input height (train --height)")
    parser.add_argument("--width", type=int, help="the runs' input width (train --width; default: the start model's, widened for long labels)")
    parser.add_argument("--reader", type=pathlib.Path, help="the zero-shot general reader (default: the shipped base)")
    parser.add_argument("--ddddocr", action="store_true", help="also read the test splits with ddddocr 1.6.1")
    parser.add_argument("--out", default="benchmarks/results/real_styles.json")
    parser.add_argument("--plot", help="write the figure (matplotlib) to this PNG")
    parser.add_argument("--from-json", nargs="+", metavar="JSON",
                        help="only print the table (and --plot) of these runs; a later file's runs of a style, "
                        "reader and label count replace an earlier file's")
    args = parser.parse_args()
    if args.from_json:
        results = newest_runs([json.loads(pathlib.Path(path).read_text()) for path in args.from_json])
        print(table(results))
        if args.plot:
            plot(results, args.plot)
        return
    label_counts = [count if count == ALL else int(count) for count in args.labels]
    python = ddddocr_python() if args.ddddocr else None
    general = KerasPredictor(load_keras_model(args.reader or shipped_base()))
    results = []

    def record(result):
        results.append(result)
        pathlib.Path(args.out).write_text(json.dumps(results, indent=1))
        print(json.dumps(result), flush=True)

    with tempfile.TemporaryDirectory() as scratch:
        jobs = [(ZooStyle, "zoo", name) for name in args.styles] + [(RealSet, "real", name) for name in args.real]
        for make, kind, name in jobs:
            style = make(name, args.test, pathlib.Path(scratch, name), args.dev)
            row = {"style": name, "kind": kind, **({"split": "dev"} if args.dev else {})}
            record({**row, "reader": "general reader", "labels": 0,
                    **accuracy_of(general, style.test, general.config.answer)})
            alphabet = style.alphabet(general.config.charset)
            declared = KerasPredictor(general.model, allowed=alphabet)
            record({**row, "reader": DECLARED.format("general reader"), "labels": 0, "alphabet": alphabet,
                    **accuracy_of(declared, style.test, general.config.answer)})
            if python:
                record({**row, "reader": "ddddocr", "labels": 0, **ddddocr_accuracy(python, style.test)})
                record({**row, "reader": DECLARED.format("ddddocr"), "labels": 0, "alphabet": alphabet,
                        **ddddocr_accuracy(python, style.test, alphabet)})
            for labels in label_counts:
                for seed in args.seeds if labels != ALL else args.seeds[:1]:
                    with tempfile.TemporaryDirectory() as run_scratch:
                        result = few_label_run(style, seed, labels, args, pathlib.Path(run_scratch))
                    record({**row, "reader": "few-label", "labels": labels, "seed": seed, **result})
    print(table(results))
    if args.plot:
        plot(results, args.plot)


def newest_runs(files):
    """The runs of the `files` (lists of results, oldest first); where two files hold runs of the
    same style, reader and label count, only the later file's."""
    newest = {_group_key(r): index for index, results in enumerate(files) for r in results}
    return [r for index, results in enumerate(files) for r in results if newest[_group_key(r)] == index]


def _group_key(result):
    """What the table and the figure group runs by: style, reader and label count."""
    return result["style"], result["reader"], result["labels"]


def _groups(results):
    groups = {}
    for result in results:
        groups.setdefault(_group_key(result), []).append(result)
    return groups


def table(results):
    """Markdown: one row per style, reader and label count, the medians over the seeds."""
    lines = ["| style | reader | labels | reading accuracy | answer accuracy | seeds | seconds a run |",
             "|---|---|---|---|---|---|---|"]
    for (style, reader, labels), runs in _groups(results).items():
        answers = [r["answer_accuracy"] for r in runs if "answer_accuracy" in r]
        seconds = [r["seconds"] for r in runs if "seconds" in r]
        lines.append(
            f"| {style} | {reader} | {labels} | {statistics.median(r['accuracy'] for r in runs):.1%} | "
            f"{f'{statistics.median(answers):.1%}' if answers else '-'} | {len(runs)} | "
            f"{f'{statistics.median(seconds):.0f}' if seconds else '-'} |"
        )
    return "\n".join(lines)


def plot(results, path):
    """One panel per style: few-label accuracy against labels (medians), the zero-shot readers as lines."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    styles = list(dict.fromkeys(r["style"] for r in results))
    figure, axes = pyplot.subplots(1, len(styles), figsize=(3.2 * len(styles), 3), squeeze=False, sharey=True)
    groups = _groups(results)
    for axis, style in zip(axes[0], styles):
        counts = [(labels, runs) for (s, reader, labels), runs in groups.items() if s == style and reader == "few-label"]
        top = max([c for c, _ in counts if c != ALL] + [1])
        least = min([c for c, _ in counts if c not in (ALL, 0)] + [2])
        positions = {ALL: top * 4, 0: least / 2}  # on the log axis: "all" past the largest, 0 before the least
        numeric = sorted((positions.get(labels, labels), labels, runs) for labels, runs in counts)
        if numeric:
            axis.plot([x for x, _, _ in numeric],
                      [statistics.median(r["accuracy"] for r in runs) for _, _, runs in numeric],
                      "o-", label="keras-captcha, labels + pool")
            axis.set_xscale("log")
            axis.set_xticks([x for x, _, _ in numeric], [str(labels) for _, labels, _ in numeric])
            axis.minorticks_off()
        for reader, line in (("general reader", "--"), ("ddddocr", ":"),
                             (DECLARED.format("general reader"), "-."), (DECLARED.format("ddddocr"), "-.")):
            runs = groups.get((style, reader, 0))
            if runs:
                axis.axhline(runs[0]["accuracy"], linestyle=line, color="grey" if "ddddocr" in reader else "C1",
                             label=f"{reader}, no training", linewidth=1 if "declared" in reader else 1.5)
        axis.set_title(style, fontsize=9)
        axis.set_xlabel("labels")
        axis.set_ylim(0, 1.02)
    axes[0][0].set_ylabel("accuracy on unseen test images")
    handles = {label: handle for axis in axes[0] for handle, label in zip(*axis.get_legend_handles_labels())}
    figure.legend(handles.values(), handles.keys(), fontsize=7, loc="lower center", ncol=len(handles))
    figure.tight_layout(rect=(0, 0.08, 1, 1))  # the legend below the panels covers none of them
    figure.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
