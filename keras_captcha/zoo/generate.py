"""Many zoo captchas: seeded streams, a folder with a `labels.csv` (written in parallel), a contact sheet.

    write_dataset("zoo/dark", STYLES["dark_background"], count=5000, seed=1)   # then: train --data zoo/dark

Image `i` of a seed is always the same, whichever process draws it: each
image has its own generator, seeded from `(seed, i)`.
"""

import concurrent.futures
import os
import pathlib

import numpy as np
from PIL import Image, ImageDraw

from keras_captcha.runtime.datasets import MANIFEST_NAME, write_samples
from keras_captcha.zoo.draw import draw, encode
from keras_captcha.zoo.styles import STYLES

SUFFIXES = {"PNG": ".png", "JPEG": ".jpg"}


def captcha(style, seed, index):
    """Image `index` of `seed` in `style`: `(image, label, encoding)` (see `draw.draw`)."""
    return draw(style, np.random.default_rng([seed, index]))


def generate(style, count, seed=0, start=0):
    """Yields `(image, label)` for images `start` to `start + count - 1` of `seed`."""
    for index in range(start, start + count):
        image, label, _ = captcha(style, seed, index)
        yield image, label


def _write_range(folder, style, seed, start, stop):
    rows = []
    for index in range(start, stop):
        image, label, encoding = captcha(style, seed, index)
        path = pathlib.Path(folder) / f"{index:07d}{SUFFIXES[encoding['format']]}"
        path.write_bytes(encode(image, encoding))
        rows.append((str(path), label))
    return rows


def write_dataset(folder, style, count, seed=0, processes=None):
    """Draws `count` captchas of `style` into `folder` (created) with a `labels.csv`; returns its path.

    The files are numbered (`0000000.png`, ...: names say nothing of the labels);
    `processes` (default: the cores) draw in parallel.
    """
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    processes = processes or os.cpu_count() or 1
    bounds = np.linspace(0, count, processes + 1).astype(int)
    with concurrent.futures.ProcessPoolExecutor(processes) as pool:
        parts = pool.map(_write_range, [folder] * processes, [style] * processes, [seed] * processes,
                         bounds[:-1], bounds[1:])
        rows = [row for part in parts for row in part]
    write_samples(folder / MANIFEST_NAME, rows)
    return folder / MANIFEST_NAME


def contact_sheet(styles=None, per_style=6, seed=0, tile=(200, 64)):
    """One row per style of `per_style` captchas, each scaled into `tile`, its name on the left: an RGB image."""
    styles = list((styles or STYLES).values())
    label_width, gap = 130, 4
    sheet = Image.new("RGB", (label_width + per_style * (tile[0] + gap), len(styles) * (tile[1] + gap)), "white")
    pen = ImageDraw.Draw(sheet)
    for row, style in enumerate(styles):
        top = row * (tile[1] + gap)
        pen.text((4, top + tile[1] // 2 - 6), style.name, fill="black")
        for column, (image, _) in enumerate(generate(style, per_style, seed)):
            image = image.convert("RGB")
            image.thumbnail(tile)
            sheet.paste(image, (label_width + column * (tile[0] + gap), top + (tile[1] - image.size[1]) // 2))
    return sheet
