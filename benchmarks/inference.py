"""Inference speed and size of an exported model folder.

    KERAS_CAPTCHA_DATA=../shared/data/captcha_images_v2 python benchmarks/inference.py [exported]

Prints JSON: batch throughput (images/s, both cores, one batch of `--batch`
images for each) of the Keras model and of the SavedModel's `serving_default`, and for each TFLite variant its file
size and single-image latency on one thread (median of `--runs` calls after
warm-up, through `keras_captcha.lite`, quantisation included).
"""

import argparse
import json
import pathlib
import statistics
import time

import tensorflow as tf

from common import data_dir, emit
from keras_captcha import data, lite
from keras_captcha.export import latency_ms
from keras_captcha.predict import load_keras_model


def images_per_second(predict, images, repeats):
    predict(images)  # warm-up and tracing
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        predict(images)
        seconds.append(time.perf_counter() - started)
    return round(len(images) / statistics.median(seconds), 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="exported", help="an `export` output folder")
    parser.add_argument("--keras-model", help="the .keras model exported (default: runs/shipped/model.keras)",
                        default="runs/shipped/model.keras")
    parser.add_argument("--runs", type=int, default=300, help="timed single-image calls per variant")
    parser.add_argument("--batch", type=int, default=512, help="images per batch-throughput call")
    args = parser.parse_args()
    folder = pathlib.Path(args.folder)
    card = json.loads((folder / lite.CARD_NAME).read_text())
    config_height, config_width = card["input"]["height"], card["input"]["width"]
    samples = data.list_samples(data_dir())
    paths = [path for path, _ in samples]
    recognizer = load_keras_model(args.keras_model)
    images = data.load_images((paths * (args.batch // len(paths) + 1))[: args.batch], recognizer.config)
    assert images.shape[1:3] == (config_height, config_width)

    serving = tf.saved_model.load(str(folder / "saved_model")).signatures["serving_default"]
    result = {
        "batch_images": len(images),
        "keras_images_per_second": images_per_second(
            lambda x: recognizer.predict(x, batch_size=len(x), verbose=0), images, 5
        ),
        "savedmodel_images_per_second": images_per_second(
            lambda x: serving(images=tf.constant(x)), images, 5
        ),
        "tflite": {},
    }
    for name, variant in card["variants"].items():
        result["tflite"][name] = {
            "kilobytes": round((folder / variant["file"]).stat().st_size / 1024, 1),
            "single_image_ms_1_thread": latency_ms(
                lite.LiteRecognizer(folder / variant["file"], num_threads=1), images[0], args.runs, warmup=20
            ),
            "validation_accuracy": variant["accuracy"],
        }
    emit(result)


if __name__ == "__main__":
    main()
