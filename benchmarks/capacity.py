"""What limits a hard zoo style with plenty of labels: the network's size, its input height, its start.

    python benchmarks/capacity.py [--style boxed_arithmetic] [--labels 3000] [--dev 300] \\
        [--networks default_from_base base_scratch wide_scratch height48_from_base] [--out JSON]

Draws `--labels` labelled captchas of `--style` and a development split of
`--dev` (their own seeded streams, not `real_styles.py`'s test or dev
streams), trains each network of `--networks` on the labels with
`keras_captcha.training.run.train` (no pool), and reads the development
split: exact reading accuracy and, for an arithmetic style, answer accuracy.
Each model is then written as the int8 TFLite file `export` makes (its own
writer, calibrated on the labelled images, without the check that the file
reads 99.5% of images as the Keras model does) for its size, single-image
latency on one thread, and its reading and agreement on the development
split: the per-site budget is 150 KB and 0.5 ms. One training at a time; prints one
JSON object and writes it to `--out` after every network.
"""

import argparse
import json
import pathlib
import tempfile

from keras_captcha.core.assets import shipped_base
from keras_captcha.core.card import ModelCard, build_card
from keras_captcha.core.timing import median_ms
from keras_captcha.core.variants import VARIANTS
from keras_captcha.export.exporter import CALIBRATION_IMAGES, LATENCY_RUNS
from keras_captcha.export.writers import WRITERS
from keras_captcha.runtime.datasets import list_samples
from keras_captcha.runtime.evaluation import evaluate
from keras_captcha.runtime.metrics import score
from keras_captcha.runtime.preprocess import preprocess_batch
from keras_captcha.training.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train
from keras_captcha.training.warm_start import read_init_config
from keras_captcha.zoo.generate import write_dataset
from keras_captcha.zoo.styles import STYLES

from common import cpu, emit

#: The network's `CaptchaConfig` fields; with the input size, the model facts each run reports.
NETWORK_KEYS = ("conv_filters", "projection_units", "rnn_units")
CONFIG_KEYS = ("height", "width") + NETWORK_KEYS
#: The base's network is the general reader's (read from `exported/base/model.keras`), which every
#: run of the default command keeps; "wide" doubles its convolutions and widens its top.
BASE_NETWORK = {key: getattr(read_init_config(shipped_base()), key) for key in NETWORK_KEYS}
#: The runs compared: `TrainOptions` fields.
NETWORKS = {
    "default_from_base": {},
    "height48_from_base": {"model": {"height": 48}},
    "base_scratch": {"init": None, "epochs": 40, "model": BASE_NETWORK},
    "wide_scratch": {"init": None, "epochs": 40,
                     "model": {"conv_filters": (32, 64, 96), "projection_units": 96, "rnn_units": 64}},
}
#: Seeds of the labelled and development streams (any seeds other than real_styles.py's).
LABELS_SEED, DEV_SEED = 777, 778


def read_split(recognizer, samples):
    """Reading accuracy of a model on `samples`, and answer accuracy for a model with a rule."""
    report = evaluate(KerasPredictor(recognizer), samples)
    return {key: report[key] for key in ("accuracy", "answer_accuracy") if key in report}


def int8_file(recognizer, path, samples, calibration_samples):
    """The int8 TFLite file `export` would write, through its own writer but without its
    agreement check: its KB, single-image latency on one thread (ms, median of
    `LATENCY_RUNS`), reading accuracy on `samples` and share of them read as the Keras model reads."""
    images = preprocess_batch([image for image, _ in samples], recognizer.config)
    calibration_images = preprocess_batch([image for image, _ in calibration_samples], recognizer.config)
    card = ModelCard(recognizer.config, build_card(recognizer.config, len(samples)), None)
    written = WRITERS["tflite", "keras_captcha"](
        recognizer, VARIANTS["int8"], path, card=card, images=images, calibration_images=calibration_images
    )
    keras_predictor = KerasPredictor(recognizer)
    keras_texts = [reading.text for reading in keras_predictor.decode(keras_predictor.probabilities(images))]
    labels = [label for _, label in samples]
    return {
        "int8_kb": round(path.stat().st_size / 1000, 1),
        "int8_latency_ms": median_ms(written.run, [written.image], LATENCY_RUNS),
        "int8_accuracy": score(labels, written.texts)[0],
        "int8_agreement_with_keras": score(keras_texts, written.texts)[0],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", default="boxed_arithmetic", choices=sorted(STYLES))
    parser.add_argument("--labels", type=int, default=3000)
    parser.add_argument("--dev", type=int, default=300)
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=list(NETWORKS))
    parser.add_argument("--out", help="write the JSON here too")
    args = parser.parse_args()
    style = STYLES[args.style]
    answer_rule = "arithmetic" if style.arithmetic else None
    result = {"style": args.style, "labels": args.labels, "dev_images": args.dev, "cpu": cpu(), "runs": {}}
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        labelled = write_dataset(folder / "labels", style, args.labels, seed=LABELS_SEED)
        dev = list_samples(write_dataset(folder / "dev", style, args.dev, seed=DEV_SEED))
        calibration = list_samples(labelled)[:CALIBRATION_IMAGES]
        for name in args.networks:
            options = TrainOptions(verbose=0, answer=answer_rule, **NETWORKS[name])
            summary = train(labelled, folder / name, options)
            recognizer = load_keras_model(summary["model"])
            result["runs"][name] = {
                **read_split(recognizer, dev),
                "config": {key: getattr(recognizer.config, key) for key in CONFIG_KEYS},
                "parameters": recognizer.count_params(),
                "epochs": summary["epochs"], "train_seconds": summary["seconds"],
                **int8_file(recognizer, folder / f"{name}.tflite", dev, calibration),
            }
            if args.out:
                pathlib.Path(args.out).write_text(json.dumps(result, indent=2))
    emit(result)


if __name__ == "__main__":
    main()
