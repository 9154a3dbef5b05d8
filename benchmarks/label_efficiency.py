"""Accuracy on unseen captchas against the number of labelled images, three ways of training.

    KERAS_CAPTCHA_DATA=../shared/data/captcha_images_v2 python benchmarks/label_efficiency.py \\
        --labels 25 50 100 200 400 all --seeds 101 102 103 --plot docs/label_efficiency.png

Each seed holds out `--test` captchas of the shared set that no training
sees, labelled or not; the rest is the pool. For each number of labels it
draws that many captchas of the pool (seeded) as the labelled folder and
copies the rest of the pool, renamed, into an unlabelled folder, then trains
with the default `keras-captcha train` options, one mode at a time:

- `scratch`: `train --data LABELLED --init none`;
- `semi`: `train --data LABELLED --unlabeled POOL --init none`;
- `pretrained`: `train --data LABELLED --unlabeled POOL --init BASE` (`--base`,
  by default the shipped base, which is also where `train` starts a set this
  small without `--init`: this mode is the default command).

and reads the held-out captchas with the saved model: exact-match accuracy,
and the run's wall seconds. With `all` labels there is no unlabelled pool,
so `semi` is `scratch` and `pretrained` is `--init BASE` alone. Prints JSON
with every run and the medians over seeds (also to `--json` after each run),
and with `--table` the README's markdown table; `--from-json FILE...` redraws
the plot and the table from such JSON files, merged, without training.
"""

import argparse
import json
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

from keras_captcha.core.assets import shipped_base
from keras_captcha.runtime.datasets import list_samples, write_samples
from keras_captcha.runtime.evaluation import score_results
from keras_captcha.training.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train

from common import data_dir, emit

MODES = ("scratch", "semi", "pretrained")


def draw(listed, labels, seed, test):
    """(labelled, unlabelled, held-out) samples for one seed and number of labels."""
    order = np.random.default_rng(seed).permutation(len(listed))
    held_out = sorted(listed[i] for i in order[:test])
    pool = [listed[i] for i in order[test:]]
    count = len(pool) if labels == "all" else int(labels)
    return sorted(pool[:count]), sorted(pool[count:]), held_out


def run(listed, labels, seed, mode, args, scratch):
    labelled, unlabelled, held_out = draw(listed, labels, seed, args.test)
    folder = scratch / f"{labels}_{seed}"
    if not folder.exists():
        folder.mkdir()
        write_samples(folder / "labelled.csv", labelled)
        (folder / "unlabelled").mkdir()
        for index, (path, _) in enumerate(unlabelled):  # renamed: the label is not in the name
            shutil.copy(path, folder / "unlabelled" / f"u{index:04d}.png")
    options = TrainOptions(seed=seed, verbose=0, init=args.base if mode == "pretrained" else None)
    if mode != "scratch" and unlabelled:
        options.unlabeled = str(folder / "unlabelled")
    started = time.perf_counter()
    summary = train(folder / "labelled.csv", folder / f"run_{mode}", options)
    seconds = time.perf_counter() - started
    # score_results, not evaluate: a held-out label may hold a character no drawn label has,
    # which the model cannot read (a miss), not a reason to stop
    readings = KerasPredictor(load_keras_model(summary["model"])).predict([path for path, _ in held_out])
    report = score_results(held_out, readings)
    return {
        "mode": mode, "labels": labels, "seed": seed, "held_out": len(held_out),
        "accuracy": round(report["accuracy"], 4), "seconds": round(seconds, 1),
        "rounds": summary.get("self_training"),
    }


def medians(runs):
    table = {}
    for r in runs:
        table.setdefault(r["mode"], {}).setdefault(str(r["labels"]), []).append(r)
    return {
        mode: {
            labels: {
                "accuracy": statistics.median(r["accuracy"] for r in group),
                "seconds": statistics.median(r["seconds"] for r in group),
                "runs": len(group),
            }
            for labels, group in by_labels.items()
        }
        for mode, by_labels in table.items()
    }


def plot(result, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = {"scratch": "from scratch", "semi": "semi-supervised", "pretrained": "pretrained + semi-supervised"}
    figure, axes = plt.subplots(figsize=(6, 4))
    for mode, by_labels in result["medians"].items():
        points = sorted(
            (result["pool"] if labels == "all" else int(labels), row["accuracy"] * 100)
            for labels, row in by_labels.items()
        )
        axes.plot(*zip(*points), marker="o", label=names[mode])
    axes.set_xscale("log")
    ticks = sorted({x for line in axes.get_lines() for x in line.get_xdata()})
    axes.set_xticks(ticks, [str(int(x)) for x in ticks])
    axes.minorticks_off()
    axes.set_xlabel("labelled captchas")
    axes.set_ylabel(f"exact match on {result['held_out']} unseen captchas (%)")
    axes.set_title(f"Median of seeds {', '.join(map(str, result['seeds']))}")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(out, dpi=120)


def table(result):
    """The README's markdown table: median accuracy (each seed's) and median seconds per mode."""
    modes = [mode for mode in MODES if mode in result["medians"]]
    names = {"scratch": "from scratch", "semi": "semi-supervised", "pretrained": "pretrained + semi-supervised (default)"}
    lines = [
        "| labelled | " + " | ".join(names[mode] for mode in modes) + " |",
        "|---" * (len(modes) + 1) + "|",
    ]
    labels_order = sorted(
        {str(r["labels"]) for r in result["runs"]}, key=lambda labels: result["pool"] if labels == "all" else int(labels)
    )
    for labels in labels_order:
        cells = []
        for mode in modes:
            runs = [r for r in result["runs"] if r["mode"] == mode and str(r["labels"]) == labels]
            if not runs:
                cells.append("")
                continue
            row = result["medians"][mode][labels]
            each = ", ".join(f"{r['accuracy']:.1%}" for r in runs)
            cells.append(f"**{row['accuracy']:.1%}** ({each}), {row['seconds']:.0f} s")
        name = f"all {result['pool']}" if labels == "all" else labels
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", nargs="+", default=["25", "50", "100", "200", "400", "all"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--base", default=str(shipped_base()), help="model the pretrained mode starts from")
    parser.add_argument("--test", type=int, default=200, help="captchas held out of every training")
    parser.add_argument("--plot", help="write the curves to this PNG")
    parser.add_argument("--json", help="write the JSON result here too, after every run")
    parser.add_argument("--table", action="store_true", help="print the README's markdown table too")
    parser.add_argument(
        "--from-json", nargs="+", help="train nothing: redraw --plot and --table from these JSON results, merged"
    )
    args = parser.parse_args()
    if args.from_json:
        results = [json.loads(pathlib.Path(path).read_text()) for path in args.from_json]
        runs = [r for result in results for r in result["runs"]]
        seeds = sorted({r["seed"] for r in runs})
        result = dict(results[0], seeds=seeds, runs=runs, medians=medians(runs))
        if args.plot:
            plot(result, args.plot)
        print(table(result))
        return
    listed = list_samples(data_dir())
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        for labels in args.labels:
            for seed in args.seeds:
                for mode in args.modes:
                    runs.append(run(listed, labels, seed, mode, args, pathlib.Path(scratch)))
                    print(runs[-1], flush=True, file=sys.stderr)
                    result = {
                        "seeds": args.seeds, "held_out": args.test, "pool": len(listed) - args.test,
                        "runs": runs, "medians": medians(runs),
                    }
                    if args.json:
                        pathlib.Path(args.json).write_text(json.dumps(result, indent=2))
    if args.plot:
        plot(result, args.plot)
    emit(result)
    if args.table:
        print(table(result))


if __name__ == "__main__":
    main()
