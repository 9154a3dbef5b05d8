"""Inference speed and size of an exported model folder, and the TF-free runtime end to end.

    KERAS_CAPTCHA_DATA=../shared/data/captcha_images_v2 python benchmarks/inference.py [exported]

Prints JSON:
* batch throughput (images/s, both cores, one batch of `--batch` images) of
  the Keras model and of the SavedModel's `serving_default`;
* for each TFLite and ONNX variant its file size and the bare model's
  single-image latency on one thread (median of `--runs` calls after
  warm-up, through `keras_captcha.runtime.litert` or `keras_captcha.runtime.onnx`,
  quantisation included), and the runtime end to end: an image file on
  disk -> text (read, decode, preprocess, run, CTC-decode), one thread,
  median over `--runs` reads cycling through the dataset's files (the
  ddddocr file: its bare run on the gray image ddddocr feeds it, at
  the size its `charsets.json` names);
* `cli_predict`: `keras-captcha predict IMAGE` with the shipped model, as a
  user runs it: wall seconds (median of 5 runs) and peak memory (MB).
"""

import argparse
import pathlib
import statistics
import subprocess
import sys
import time

import tensorflow as tf

from keras_captcha.core.card import CARD_NAME, read_card
from keras_captcha.core.timing import median_ms
from keras_captcha.core.variants import VARIANTS
from keras_captcha.export.savedmodel import DIR_NAME
from keras_captcha.runtime.datasets import list_samples
from keras_captcha.runtime.images import read_pixels
from keras_captcha.runtime.loading import open_predictor
from keras_captcha.runtime.preprocess import resize_bilinear, to_gray
from keras_captcha.training.dataset import load_images
from keras_captcha.training.keras_predictor import load_keras_model

from common import data_dir, emit


def images_per_second(predict, images, repeats):
    """Images a second of `predict(images)`, one batch, median of `repeats` calls after a traced warm-up."""
    return round(len(images) / (median_ms(predict, [images], repeats) / 1000), 1)


def end_to_end_ms(predictor, paths, runs, warmup=20):
    """Median ms of `predictor.predict(path)` (file -> text), cycling through `paths`."""
    return median_ms(predictor.predict, paths, runs, warmup)


#: Runs the CLI as its console script does, then reports the process's peak resident memory
#: (VmHWM, which exec resets; ru_maxrss would count the forking parent's pages).
CLI_CODE = """
import sys
from keras_captcha.cli import main
code = main(sys.argv[1:])
peak = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
print(peak.split()[1], file=sys.stderr)
sys.exit(code)
"""


def cli_predict(image, repeats=5):
    """Wall seconds and peak RSS (MB) of `keras-captcha predict IMAGE`, medians of one process each."""
    seconds, peaks_kb = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", CLI_CODE, "predict", str(image)], check=True, capture_output=True, text=True
        )
        seconds.append(time.perf_counter() - started)
        peaks_kb.append(int(result.stderr.split()[-1]))
    return {
        "wall_seconds": round(statistics.median(seconds), 3),
        "peak_memory_mb": round(statistics.median(peaks_kb) / 1024, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="exported", help="an `export` output folder")
    parser.add_argument("--keras-model", help="the .keras model exported (default: runs/shipped/model.keras)",
                        default="runs/shipped/model.keras")
    parser.add_argument("--runs", type=int, default=300, help="timed single-image calls per variant")
    parser.add_argument("--batch", type=int, default=512, help="images per batch-throughput call")
    args = parser.parse_args()
    folder = pathlib.Path(args.folder)
    card = read_card(folder / CARD_NAME)
    paths = [path for path, _ in list_samples(data_dir())]
    cli = cli_predict(paths[0])
    recognizer = load_keras_model(args.keras_model)
    assert recognizer.config == card.config, "the .keras model is not the exported one"
    images = load_images((paths * (args.batch // len(paths) + 1))[: args.batch], recognizer.config)

    serving = tf.saved_model.load(str(folder / DIR_NAME)).signatures["serving_default"]
    result = {
        "batch_images": len(images),
        "keras_images_per_second": images_per_second(
            lambda x: recognizer.predict(x, batch_size=len(x), verbose=0), images, 5
        ),
        "savedmodel_images_per_second": images_per_second(
            lambda x: serving(images=tf.constant(x)), images, 5
        ),
        "variants": {},
        "cli_predict": cli,
    }
    for name, variant in card.data["variants"].items():
        path = folder / variant["file"]
        entry = {"kilobytes": round(path.stat().st_size / 1024, 1), "validation_accuracy": variant["accuracy"]}
        if VARIANTS[name].client == "ddddocr":
            from keras_captcha.runtime.onnx import open_session  # the [onnx] extra

            session = open_session(path)
            width, height = variant["image"]  # the size its charsets.json names, whatever the data's
            gray = resize_bilinear(to_gray(read_pixels(paths[0])), height, width)[None, None, ..., 0]
            entry["single_image_ms_1_thread"] = median_ms(
                lambda x: session.run(None, {session.get_inputs()[0].name: x}), [gray], args.runs, warmup=20
            )
        else:
            runtime = open_predictor(path, num_threads=1)
            bare = median_ms(runtime.run, [images[0]], args.runs, warmup=20)
            whole = end_to_end_ms(runtime, paths, args.runs)
            entry.update(
                single_image_ms_1_thread=bare,
                file_to_text_ms_1_thread=whole,
                file_to_text_over_model=round(whole / bare, 2),
            )
        result["variants"][name] = entry
    emit(result)


if __name__ == "__main__":
    main()
