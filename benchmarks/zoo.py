"""Style zoo speed: captchas a second, each style on one core, and the mixed style into a folder on every core.

    python benchmarks/zoo.py [--count 10000] [--sheet docs/zoo.png]

Per style: `--per-style` captchas drawn and encoded in this process, and
the share of them with a glyph more than 30% off the canvas (a label naming
a character no one can read; measured apart from the timing). Then
`write_dataset` of `--count` mixed captchas (files and `labels.csv`) with one
process per core. `--sheet` also writes the contact sheet of every style.
Prints one JSON object.
"""

import argparse
import os
import tempfile
import time

from keras_captcha.testing import glyph_cuts
from keras_captcha.zoo.draw import encode
from keras_captcha.zoo.generate import captcha, contact_sheet, write_dataset
from keras_captcha.zoo.styles import MIXED, STYLES

from common import emit


def per_second(style, count):
    started = time.perf_counter()
    for index in range(count):
        image, _, encoding = captcha(style, 0, index)
        encode(image, encoding)
    return round(count / (time.perf_counter() - started), 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--per-style", type=int, default=500)
    parser.add_argument("--sheet", help="write the contact sheet here (a PNG)")
    args = parser.parse_args()
    styles = [*STYLES.values(), MIXED]
    result = {"one_core": {style.name: per_second(style, args.per_style) for style in styles},
              "glyph_cut_share": {style.name: sum(cut > 0.3 for cut in glyph_cuts(style, args.per_style)) / args.per_style
                                  for style in styles}}
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        write_dataset(folder, MIXED, args.count, seed=1)
        seconds = time.perf_counter() - started
    result["mixed_into_a_folder"] = {"captchas": args.count, "processes": os.cpu_count(),
                                     "seconds": round(seconds, 2), "per_second": round(args.count / seconds, 1)}
    if args.sheet:
        contact_sheet({**STYLES, MIXED.name: MIXED}).save(args.sheet)
    emit(result)


if __name__ == "__main__":
    main()
