"""Builds the pretrained base model (`exported/base/model.keras`) from synthetic captchas alone.

    pip install -e ".[train]" captcha==0.7.1
    python tools/pretrain_base.py --out runs/base --images 20000 --epochs 8
    cp runs/base/model.keras exported/base/model.keras

Draws `--images` captchas with the PyPI `captcha` package (warped, rotated
characters, noise dots and a curve, random colours) from digits and lowercase
letters, 4 to 7 characters long, in its DroidSansMono plus every DejaVu and
Liberation TrueType font found under /usr/share/fonts, at sizes from 120x40
to 220x70; then trains the default network on them with `keras_captcha.training.trainer`
(`train --init` starts from the result). No real captcha is used.
"""

import argparse
import pathlib
import random
import string
import sys
import tempfile

import captcha
from captcha.image import ImageCaptcha

from keras_captcha.runtime.datasets import write_samples
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train

CHARSET = string.digits + string.ascii_lowercase
LENGTHS = (4, 5, 6, 7)
FONT_FAMILIES = ("dejavu", "liberation")


def fonts():
    found = [str(pathlib.Path(captcha.__file__).parent / "data" / "DroidSansMono.ttf")]
    for family in FONT_FAMILIES:
        found += sorted(str(p) for p in pathlib.Path("/usr/share/fonts/truetype", family).glob("*.ttf"))
    return found


def draw_synthetic(folder, count, seed):
    """Writes `count` synthetic captchas into `folder` with a `labels.csv`; returns its path."""
    rng = random.Random(seed)
    random.seed(seed)  # ImageCaptcha draws its noise and warps from the `random` module
    font_files = fonts()
    generators = {}
    rows = []
    for index in range(count):
        width, height = rng.randrange(120, 221, 10), rng.randrange(40, 71, 10)
        font = rng.choice(font_files)
        key = (width, height, font)
        if key not in generators:
            sizes = tuple(int(height * scale) for scale in (0.7, 0.8, 0.9))
            generators[key] = ImageCaptcha(width, height, fonts=[font], font_sizes=sizes)
        text = "".join(rng.choice(CHARSET) for _ in range(rng.choice(LENGTHS)))
        path = folder / f"{index:06d}.png"
        generators[key].generate_image(text).save(path)
        rows.append((str(path), text))
    write_samples(folder / "labels.csv", rows)
    return folder / "labels.csv"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/base")
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        manifest = draw_synthetic(pathlib.Path(scratch), args.images, args.seed)
        print(f"drew {args.images} synthetic captchas with {len(fonts())} fonts", file=sys.stderr)
        summary = train(manifest, args.out, TrainOptions(epochs=args.epochs, seed=args.seed, verbose=2))
    print(summary)


if __name__ == "__main__":
    main()
