"""The edge graph's GRU forms side by side: each TFLite variant built with each GRU form.

    python benchmarks/gru_forms.py [--model exported/base/model.keras] [--variants int8 float32] [--rounds 3]
    python benchmarks/gru_forms.py --height 48 --width 96     # the default network at another input size

Without `--model`, the default network with its initial weights, at
`--height` x `--width` (the speed and size do not depend on the weights;
the agreement does). Calibrates and
checks on `--images` captchas of the zoo's mixed style (generated, seeded),
or with `--data DIR` on the first `--images` images of a folder.
Per variant and form: the file's KB, its op count, the bare single-image
latency on one thread (median of `--runs` calls, through the TF-free
runtime, written and read by the export's own TFLite writer; the median of `--rounds` rounds, the forms
taking turns within a round so that the machine's drift hits them alike),
and the share of images whose greedy text equals the Keras model's. A
variant that keeps its input convolution in float32 is also built quantized
all through, as `NAME_integer_input_conv`.
Prints one JSON object, with the CPU's name and whether it has AVX512 or
VNNI (int8 kernels are much faster with them).
"""

import argparse
import dataclasses
import pathlib
import statistics
import tempfile

from keras_captcha.core.card import ModelCard, build_card
from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.timing import median_ms
from keras_captcha.core.variants import GRU_FORMS, VARIANTS
from keras_captcha.export.writers import WRITERS
from keras_captcha.runtime.datasets import list_images
from keras_captcha.runtime.preprocess import preprocess_batch
from keras_captcha.training.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.training.model import CaptchaRecognizer
from keras_captcha.zoo.generate import captcha
from keras_captcha.zoo.styles import MIXED
from keras_captcha.zoo.text import DIGITS, LOWER

from common import cpu, emit


def _with_integer_input_conv(names):
    """(name, Variant) for each named variant, and for one whose input convolution stays float
    (`float_input_conv`) the same quantized all through as `NAME_integer_input_conv`."""
    for name in names:
        yield name, VARIANTS[name]
        if VARIANTS[name].float_input_conv:
            yield f"{name}_integer_input_conv", dataclasses.replace(VARIANTS[name], float_input_conv=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras model (default: the default network, untrained)")
    parser.add_argument("--variants", nargs="+", default=["int8", "float32", "dynamic_range"],
                        choices=[name for name, variant in VARIANTS.items() if variant.format == "tflite"])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--data", help="calibrate and check on this folder's images instead of the zoo's")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--height", type=int, default=CaptchaConfig.height, help="without --model: the input height")
    parser.add_argument("--width", type=int, default=CaptchaConfig.width, help="without --model: the input width")
    args = parser.parse_args()
    recognizer = load_keras_model(args.model) if args.model else CaptchaRecognizer(
        CaptchaConfig(charset=DIGITS + LOWER, height=args.height, width=args.width))
    sources = (list_images(args.data)[: args.images] if args.data
               else [captcha(MIXED, 7, index)[0] for index in range(args.images)])
    images = preprocess_batch(sources, recognizer.config)
    keras_predictor = KerasPredictor(recognizer)
    reference = [reading.text for reading in keras_predictor.decode(keras_predictor.probabilities(images))]
    card = ModelCard(recognizer.config, build_card(recognizer.config, len(images)), None)
    network = f"default network, initial weights, input {args.height}x{args.width}"
    result = {"model": args.model or network, "images": args.data or "zoo mixed",
              "cpu": cpu(), "variants": {}}
    with tempfile.TemporaryDirectory() as folder:
        runs = {}
        for name, variant in _with_integer_input_conv(args.variants):
            for form in GRU_FORMS:
                variant = dataclasses.replace(variant, gru=form)
                path = pathlib.Path(folder, f"{name}_{form}.tflite")
                # the export's own writer: converts, checks the ops, writes, and reads `images` with LiteRT
                written = WRITERS["tflite", "keras_captcha"](
                    recognizer, variant, path, card=card, images=images, calibration_images=images
                )
                runs[name, form] = written.run
                result["variants"].setdefault(name, {})[form] = {
                    "kb": round(path.stat().st_size / 1024, 1), "ops": sum(written.ops.values()),
                    "agreement": sum(a == b for a, b in zip(written.texts, reference)) / len(reference), "ms": [],
                }
        for _ in range(args.rounds):
            for (name, form), run in runs.items():
                result["variants"][name][form]["ms"].append(median_ms(run, images, args.runs, warmup=20))
        for forms in result["variants"].values():
            for row in forms.values():
                row["median_ms"] = statistics.median(row["ms"])
    emit(result)


if __name__ == "__main__":
    main()
