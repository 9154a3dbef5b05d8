"""Trains the general reader (`exported/base/model.keras`) on the style zoo alone: no image anyone labelled.

    pip install -e ".[train]"
    apt-get install fonts-dejavu fonts-liberation fonts-freefont-ttf fonts-urw-base35 fonts-noto-core ...
    python tools/train_general_reader.py --out runs/general --per-style 6000 --mixed 60000 --epochs 10
    # or go on training a reader trained before, on a freshly drawn zoo (session 18's try, not shipped):
    python tools/train_general_reader.py --out runs/general-v4 --images runs/general-v4-images \
        --per-style 5000 --mixed 55000 --seed 1 --epochs 14 --learning-rate 2e-3 --init exported/base/model.keras
    cp runs/general/model.keras exported/base/model.keras
    python tools/export_general_reader.py

Draws `--per-style` captchas of every zoo preset except `zoo.styles.HELD_OUT`
(the styles the benchmarks measure it on as unseen) and `--mixed` of
`zoo.styles.MIXED`, each knob sampled anew per image, in every font of the
machine; then trains `NETWORK` on them with `keras_captcha.training.run.train`.
The few-label command starts from the result (`training.options.choose_init`),
so its network is the one a site's model ships with: it is sized to the
per-site budget (150 KB and 0.5 ms as int8), not to the base's.
"""

import argparse
import pathlib
import sys

from keras_captcha.cli.parser import init_value
from keras_captcha.runtime.datasets import list_samples, write_samples
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train
from keras_captcha.zoo.fonts import font_paths
from keras_captcha.zoo.generate import write_dataset
from keras_captcha.zoo.styles import HELD_OUT, MIXED, STYLES

#: The general reader's network (`CaptchaConfig` fields): the default's, a third wider at the top.
NETWORK = {"conv_filters": (16, 32, 48), "projection_units": 64, "rnn_units": 48}


def draw_training_set(folder, per_style, mixed, seed):
    """Writes the zoo images under `folder`, one subfolder per style; returns the joint manifest."""
    folder = pathlib.Path(folder)
    styles = [style for name, style in STYLES.items() if name not in HELD_OUT]
    rows = []
    for offset, (style, count) in enumerate([(style, per_style) for style in styles] + [(MIXED, mixed)]):
        rows += list_samples(write_dataset(folder / style.name, style, count, seed=seed + offset))
        print(f"drew {count} {style.name}", file=sys.stderr)
    write_samples(folder / "labels.csv", rows)
    return folder / "labels.csv"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/general")
    parser.add_argument("--images", default="runs/general-images", help="folder for the drawn captchas")
    parser.add_argument("--per-style", type=int, default=6000)
    parser.add_argument("--mixed", type=int, default=60000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=4e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", type=init_value, default="none",
                        help="a model.keras to go on training (a reader trained before); none: from scratch")
    args = parser.parse_args()
    manifest = pathlib.Path(args.images, "labels.csv")
    if not manifest.is_file():
        manifest = draw_training_set(args.images, args.per_style, args.mixed, args.seed)
    print(f"training on {manifest} ({len(font_paths())} fonts)", file=sys.stderr)
    options = TrainOptions(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                           seed=args.seed, init=args.init, model=NETWORK, validation_fraction=0.02, verbose=2)
    print(train(manifest, args.out, options))


if __name__ == "__main__":
    main()
