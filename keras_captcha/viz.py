"""Figures for exploring a dataset, a training run and a model's predictions.

Needs matplotlib (`pip install "keras-captcha[viz]"`); only import this module
when it is installed. Every function returns a `matplotlib.figure.Figure`
built without pyplot, so nothing is shown or kept open behind your back:
display it in a notebook or `figure.savefig("name.png")` (written with Agg).

    from keras_captcha import viz
    viz.training_curves("runs/captcha/history.csv").savefig("curves.png")
"""

import collections
import csv
import math
import pathlib

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from keras_captcha.core import run_files
from keras_captcha.runtime import decode
from keras_captcha.runtime.datasets import list_samples
from keras_captcha.runtime.loading import open_predictor
from keras_captcha.runtime.metrics import NOTHING, align

#: The metrics of `history.csv` that `training_curves` draws, one panel each.
CURVES = (
    ("loss", "CTC loss"),
    ("accuracy", "exact-match accuracy"),
    ("cer", "character error rate"),
)
MISTAKE_COLOR = "tab:red"


def read_history(path):
    """A Keras `CSVLogger` file -> `{metric: [value per epoch]}`."""
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else ())}


def training_curves(history):
    """Loss, accuracy and CER per epoch, training and validation, side by side.

    `history` is a run's `history.csv` path or a `{metric: [values]}` dict
    (`keras.callbacks.History.history`, `read_history`). Returns a figure of
    three axes.
    """
    if not isinstance(history, dict):
        history = read_history(history)
    figure = Figure(figsize=(12, 3.4), layout="constrained")
    for axes, (metric, title) in zip(figure.subplots(1, len(CURVES)), CURVES):
        for prefix, label in (("", "training"), ("val_", "validation")):
            values = history.get(prefix + metric, [])
            axes.plot(range(1, len(values) + 1), values, marker=".", label=label)
        axes.set(title=title, xlabel="epoch")
        axes.grid(alpha=0.3)
        if metric != "loss":
            highest = max([1.02, *history.get(metric, []), *history.get("val_" + metric, [])])
            axes.set_ylim(-0.02, highest)
    figure.axes[0].legend()
    return figure


def _image_grid(count, columns, tile_size=(2.6, 1.0)):
    """A figure with `count` image axes (no ticks) in rows of `columns`; spare axes hidden."""
    columns = max(min(columns, count), 1)
    rows = max(math.ceil(count / columns), 1)
    figure_size = (columns * tile_size[0], rows * tile_size[1] + 0.4)
    figure = Figure(figsize=figure_size, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for spare in axes[count:]:
        spare.set_visible(False)
    for image_axes in axes:
        image_axes.set_xticks([])
        image_axes.set_yticks([])
    return figure, axes[:count]


def _show_file(axes, path):
    with Image.open(path) as image:
        axes.imshow(np.asarray(image.convert("RGB")))


def sample_grid(samples, columns=4, limit=16):
    """The first `limit` `(path, label)` samples as they are on disk, titled by label."""
    samples = list(samples)[:limit]
    figure, axes = _image_grid(len(samples), columns)
    for image_axes, (path, label) in zip(axes, samples):
        _show_file(image_axes, path)
        image_axes.set_title(label, fontsize=10, family="monospace")
    return figure


def prediction_grid(samples, readings, columns=4, limit=16):
    """Images titled with their reading and confidence; mistakes first, in red.

    `samples` are `(path, target)` pairs and `readings` the matching
    `keras_captcha.runtime.decode.Reading`s (`predictor.predict(paths)`). A correct reading
    is titled "text (confidence)", a mistake "target -> prediction
    (confidence)" in red. The figure title counts the mistakes among all
    samples; the grid shows `limit` of them, the mistakes first.
    """
    rows = [
        (path, target, reading.text, reading.confidence)
        for (path, target), reading in zip(samples, readings)
    ]
    mistakes = [row for row in rows if row[1] != row[2]]
    shown = (mistakes + [row for row in rows if row[1] == row[2]])[:limit]
    figure, axes = _image_grid(len(shown), columns)
    for image_axes, (path, target, text, confidence) in zip(axes, shown):
        _show_file(image_axes, path)
        if text == target:
            image_axes.set_title(f"{text} ({confidence:.2f})", fontsize=10, family="monospace")
        else:
            image_axes.set_title(
                f"{target} -> {text} ({confidence:.2f})",
                fontsize=10,
                family="monospace",
                color=MISTAKE_COLOR,
            )
    right = len(rows) - len(mistakes)
    figure.suptitle(f"{right} of {len(rows)} read right; mistakes first, in red")
    return figure


def label_histograms(labels):
    """Two bar charts: how many labels have each length, and how often each character occurs."""
    lengths = collections.Counter(len(label) for label in labels)
    characters = collections.Counter("".join(labels))
    figure = Figure(figsize=(12, 3.2), layout="constrained")
    length_axes, character_axes = figure.subplots(1, 2, width_ratios=(1, 3))
    length_axes.bar(list(lengths), list(lengths.values()))
    length_axes.set(
        title="label length", xlabel="characters", ylabel="labels", xticks=sorted(lengths)
    )
    charset = sorted(characters)
    character_axes.bar(charset, [characters[char] for char in charset])
    character_axes.set(title="character frequency", xlabel="character", ylabel="occurrences")
    return figure


def confusion_counts(targets, predictions, charset):
    """Counts how each target character was read, over `align`ed pairs.

    Returns `(symbols, counts)`: `symbols` is `charset` plus `NOTHING` and
    `counts[i, j]` (int, (len(charset) + 1) squared) the number of times
    target character `symbols[i]` was read as `symbols[j]`. The diagonal holds
    the right readings; the `NOTHING` column missed characters, the `NOTHING`
    row extra ones.
    """
    symbols = list(charset) + [NOTHING]
    index = {symbol: i for i, symbol in enumerate(symbols)}
    counts = np.zeros((len(symbols), len(symbols)), dtype=int)
    for target, prediction in zip(targets, predictions):
        for target_char, predicted_char in align(target, prediction):
            counts[index[target_char], index[predicted_char]] += 1
    return symbols, counts


def confusion_figure(targets, predictions, charset):
    """Per-character confusion matrix of predicted texts (see `confusion_counts`).

    Cells are coloured by the share of the target character's readings and
    the mistakes (off-diagonal cells) are annotated with their counts.
    """
    symbols, counts = confusion_counts(targets, predictions, charset)
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    size = 2.5 + 0.32 * len(symbols)
    figure = Figure(figsize=(size + 1, size), layout="constrained")
    axes = figure.subplots()
    cells = axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i, j in zip(*np.nonzero(counts)):
        if i != j:
            axes.text(
                j, i, counts[i, j], ha="center", va="center", fontsize=8, color=MISTAKE_COLOR
            )
    ticks = range(len(symbols))
    axes.set_xticks(ticks, symbols, family="monospace")
    axes.set_yticks(ticks, symbols, family="monospace")
    mistakes = counts.sum() - np.trace(counts)
    axes.set(
        xlabel="read as",
        ylabel="target character",
        title=f"{mistakes} character mistakes in {len(targets)} texts ({NOTHING}: missed or extra)",
    )
    figure.colorbar(cells, ax=axes, label="share of the target character's readings")
    return figure


def ctc_heatmap(image, probabilities, vocabulary, target=None):
    """Per-step class probabilities under the image they were read from.

    image: (height, width, 1) float32 in [0, 1], the model's input.
    probabilities: (time_steps, num_classes), the model's output for it;
    `vocabulary` (the model's `config.vocabulary`) names the classes.
    The image is stretched over the time steps so both share the x axis; the
    steps where greedy decoding emits a character are marked on both.
    """
    probabilities = np.asarray(probabilities)
    time_steps, classes = probabilities.shape
    reading = decode.greedy_decode(probabilities[None], vocabulary)[0]
    figure = Figure(figsize=(10, 2 + 0.22 * classes), layout="constrained")
    image_axes, heat_axes = figure.subplots(2, 1, sharex=True, height_ratios=(1, 0.3 * classes))
    image_axes.imshow(
        image[..., 0],
        cmap="gray",
        vmin=0,
        vmax=1,
        aspect="auto",
        extent=(0, time_steps, image.shape[0], 0),
    )
    image_axes.set_yticks([])
    heat = heat_axes.imshow(
        probabilities.T,
        cmap="viridis",
        vmin=0,
        vmax=1,
        aspect="auto",
        interpolation="nearest",
        extent=(0, time_steps, classes - 0.5, -0.5),
    )
    heat_axes.set_yticks(range(classes), vocabulary.class_names, family="monospace", fontsize=8)
    best, emitted = decode.best_path(probabilities)
    for step in np.flatnonzero(emitted):
        character = vocabulary.character(best[step])
        image_axes.axvline(step + 0.5, color=MISTAKE_COLOR, linewidth=0.8)
        image_axes.text(step + 0.5, 0, character, color=MISTAKE_COLOR, ha="center", va="bottom")
        heat_axes.plot(
            step + 0.5, best[step], "o", markersize=9, fillstyle="none", color=MISTAKE_COLOR
        )
    pixels_per_step = image.shape[1] // time_steps
    heat_axes.set(xlabel=f"time step ({pixels_per_step} input columns each)", ylabel="class")
    heat_axes.set_xlim(0, time_steps)
    title = f"read {reading.text!r} (confidence {reading.confidence:.2f})"
    if target is not None:
        title = f"target {target!r}, {title}"
    image_axes.set_title(title, pad=16)
    figure.colorbar(heat, ax=[image_axes, heat_axes], label="probability")
    return figure


def write_run_figures(run_dir, predictor=None, samples=None, limit=16, readings=None):
    """Writes `training_curves.png` and `validation_predictions.png` into `run_dir`.

    `samples` default to the run's `validation.csv`. `readings`, their
    `Reading`s, are made by `predictor` (default: the run's `model.keras`)
    unless given. Returns the two paths.
    """
    run_dir = pathlib.Path(run_dir)
    samples = samples if samples is not None else list_samples(run_dir / run_files.VALIDATION_CSV)
    if readings is None:
        predictor = predictor or open_predictor(run_dir / run_files.MODEL)
        readings = predictor.predict([path for path, _ in samples])
    curves_path = run_dir / run_files.CURVES_PNG
    predictions_path = run_dir / run_files.PREDICTIONS_PNG
    training_curves(run_dir / run_files.HISTORY_CSV).savefig(curves_path, dpi=100)
    prediction_grid(samples, readings, limit=limit).savefig(predictions_path, dpi=100)
    return curves_path, predictions_path
