"""Export: a trained `.keras` model -> a verified SavedModel, model files and a model card.

    from keras_captcha.export import export
    card = export("runs/captcha/model.keras", "exported")

The variants are the records of `keras_captcha.variants.VARIANTS`. Every
file is checked before the folder appears: each runs in its own runtime on
the validation images and must decode the same text as the Keras model (on
every image, or on the variant's `required_agreement` share). The folder is
written beside `out` and swapped in at the end, so a failed or killed export
leaves the previous one as it was.
"""

import contextlib
import os
import pathlib
import shutil
import tempfile
import time

import numpy as np

from keras_captcha import data, decode, flatbuffer, savedmodel, tflite_convert
from keras_captcha.card import CARD_NAME, ModelCard, build_card, write_card
from keras_captcha.errors import CaptchaError
from keras_captcha.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.lite import LiteRecognizer
from keras_captcha.samples import list_samples
from keras_captcha.variants import VARIANTS

LATENCY_RUNS = 100
CALIBRATION_IMAGES = 200


def _read_lite(path, card, images):
    """Greedy texts of one `.tflite` file on `images`, run as its users run it, and its runner.

    For a decoded variant, its in-graph `label_ids` must spell the same texts.
    """
    runner = LiteRecognizer(path, card=card)
    outputs = [runner.run(image) for image in images]
    texts = [r.text for r in runner.decode(np.concatenate([o["probabilities"] for o in outputs]))]
    if "label_ids" in outputs[0]:
        graph_texts = [card.config.vocabulary.decode(output["label_ids"][0]) for output in outputs]
        if graph_texts != texts:
            raise CaptchaError(f"export: {path.name}'s label_ids disagree with decoding its probabilities")
    return texts, runner


def latency_ms(run, image, runs=LATENCY_RUNS, warmup=1):
    """Median wall time in ms of one `run(image)` call, after `warmup` calls."""
    for _ in range(warmup):
        run(image)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run(image)
        times.append(time.perf_counter() - started)
    return round(float(np.median(times)) * 1000, 4)


def export(model_path, out_dir, validation_samples=None, calibration_samples=None, variants=None):
    """Exports `model_path` into `out_dir`; returns the model card dict.

    The samples default to the `validation.csv` and `train.csv` a training run
    wrote beside the model; `variants` (names) default to every one. Raises
    `CaptchaError` naming the variant that fails its checks; `out_dir` is then
    left as it was.
    """
    model_path = pathlib.Path(model_path)
    recognizer = load_keras_model(model_path)
    config = recognizer.config
    validation_samples = validation_samples or _run_samples(model_path, "validation.csv")
    calibration_samples = calibration_samples or _run_samples(model_path, "train.csv")
    for path, label in validation_samples:
        config.check_characters(label, path)
    validation_images = data.load_images([p for p, _ in validation_samples], config)
    calibration_images = data.load_images(
        [p for p, _ in calibration_samples[:CALIBRATION_IMAGES]], config
    )
    targets = [label for _, label in validation_samples]
    keras_predictor = KerasPredictor(recognizer)
    keras_texts = [r.text for r in keras_predictor.decode(keras_predictor.probabilities(validation_images))]
    card = build_card(config, len(validation_samples))
    card["reference"] = dict(zip(("accuracy", "cer"), decode.score(targets, keras_texts)))

    with atomic_directory(out_dir) as staging:
        for name in variants or VARIANTS:
            variant = VARIANTS[name]
            tflite_bytes = tflite_convert.convert(recognizer, variant, calibration_images)
            ops = flatbuffer.list_ops(tflite_bytes)
            flatbuffer.check_ops(name, ops)
            (staging / variant.file).write_bytes(tflite_bytes)
            texts, runner = _read_lite(staging / variant.file, ModelCard(config, card, None), validation_images)
            agreement = float(np.mean([a == b for a, b in zip(texts, keras_texts)]))
            if agreement < variant.required_agreement:
                raise CaptchaError(
                    f"export: the {name} model decodes {agreement:.1%} of the validation "
                    f"images like the Keras model; it needs {variant.required_agreement:.1%}"
                )
            accuracy, cer = decode.score(targets, texts)
            card["variants"][name] = {
                "file": variant.file,
                "bytes": len(tflite_bytes),
                "accuracy": accuracy,
                "cer": cer,
                "agreement_with_keras": agreement,
                "latency_ms": latency_ms(runner.run, validation_images[0]),
                "ops": ops,
            }
        write_card(card, staging / CARD_NAME)
        savedmodel.save(recognizer, staging / savedmodel.DIR_NAME, staging / CARD_NAME)
        savedmodel.check(staging / savedmodel.DIR_NAME, validation_images, keras_texts, validation_samples)
    return card


def _run_samples(model_path, name):
    path = model_path.parent / name
    if not path.is_file():
        raise CaptchaError(
            f"{model_path}: no {name} beside it (a training run writes one); pass --data DIR"
        )
    return list_samples(path)


@contextlib.contextmanager
def atomic_directory(out_dir):
    """Yields a staging folder beside `out_dir` that replaces it only on success."""
    out_dir = pathlib.Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        yield staging
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # mkdtemp makes it private
        previous = None
        if out_dir.exists():
            previous = out_dir.with_name(f".{out_dir.name}.previous-{os.getpid()}")
            os.replace(out_dir, previous)
        os.replace(staging, out_dir)
        if previous is not None:
            shutil.rmtree(previous)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
