"""Export: a trained `.keras` model -> a verified SavedModel, TFLite and ONNX files and a model card.

    from keras_captcha.export import export
    card = export("runs/captcha/model.keras", "exported")

The variants are the records of `keras_captcha.variants.VARIANTS`. Every
file is checked before the folder appears: each runs in its own runtime on
the validation images and must decode the same text as the Keras model (on
every image, or on the variant's `required_agreement` share). The folder is
written beside `out` and swapped in at the end, so a failed or killed export
leaves the previous one as it was.
"""

import collections
import contextlib
import json
import os
import pathlib
import shutil
import tempfile
import time
import typing

import numpy as np

from keras_captcha import data, decode, flatbuffer, preprocess, savedmodel, tflite_convert
from keras_captcha.card import CARD_NAME, ModelCard, build_card, write_card
from keras_captcha.errors import CaptchaError
from keras_captcha.keras_predictor import KerasPredictor, load_keras_model
from keras_captcha.lite import LiteRecognizer
from keras_captcha.loading import has_extra
from keras_captcha.samples import list_samples
from keras_captcha.variants import DDDDOCR_CHARSETS, VARIANTS

LATENCY_RUNS = 100
CALIBRATION_IMAGES = 200


#: Largest probability difference from the Keras model an unquantized ONNX file may show.
ONNX_TOLERANCE = 1e-4


class Written(typing.NamedTuple):
    """One exported file, run on the validation images: the texts it read (of the images at
    `checked` indices; None: all), its ops, a run function and an input to time it, extra card fields."""

    texts: list
    ops: dict
    run: typing.Callable
    image: np.ndarray
    checked: typing.Optional[list] = None
    extra: dict = {}


def _write_tflite(recognizer, variant, path, card, images, calibration_images, **_):
    """Converts and writes a `.tflite` variant, run as its users run it (LiteRT)."""
    tflite_bytes = tflite_convert.convert(recognizer, variant, calibration_images)
    ops = flatbuffer.list_ops(tflite_bytes)
    flatbuffer.check_ops(variant.name, ops)
    path.write_bytes(tflite_bytes)
    runner = LiteRecognizer(path, card=card)
    outputs = [runner.run(image) for image in images]
    texts = [r.text for r in runner.decode(np.concatenate([o["probabilities"] for o in outputs]))]
    if "label_ids" in outputs[0]:  # the decoded variant's in-graph decoding must spell the same
        graph_texts = [card.config.vocabulary.decode(output["label_ids"][0]) for output in outputs]
        if graph_texts != texts:
            raise CaptchaError(f"export: {path.name}'s label_ids disagree with decoding its probabilities")
    return Written(texts, ops, runner.run, images[0])


def _write_onnx(recognizer, variant, path, card, images, keras_probabilities, **_):
    """Converts and writes our `.onnx` variant, run with onnxruntime through `OnnxPredictor`."""
    from keras_captcha import onnx_convert  # the optional [onnx] extra: onnx, tf2onnx, onnxruntime
    from keras_captcha.onnx_runtime import OnnxPredictor

    onnx_bytes = onnx_convert.convert(recognizer, variant)
    path.write_bytes(onnx_bytes)
    runner = OnnxPredictor(path, card=card)
    probabilities = runner.probabilities(images)
    _check_close(variant, probabilities, keras_probabilities)
    return Written([r.text for r in runner.decode(probabilities)], onnx_convert.list_ops(onnx_bytes),
                   runner.run, images[0])


def _write_ddddocr(recognizer, variant, path, card, images, keras_probabilities, samples, **_):
    """Writes the ddddocr pair (model and `charsets.json`) and runs it as ddddocr feeds it.

    ddddocr hands the model its gray image at the `charsets.json` size; here
    the gray comes from `keras_captcha.preprocess`, so the check isolates the
    graph: the validation images of that size must read as the Keras model reads them.
    """
    from keras_captcha import onnx_convert  # the optional [onnx] extra: onnx, tf2onnx, onnxruntime
    from keras_captcha.onnx_runtime import open_session

    config = recognizer.config
    grays = [preprocess.to_gray(preprocess.read_pixels(p), config.normalisation)[..., 0] for p, _ in samples]
    source_size = collections.Counter((g.shape[1], g.shape[0]) for g in grays).most_common(1)[0][0]
    onnx_bytes = onnx_convert.convert(recognizer, variant, source_size)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(onnx_bytes)
    charsets = onnx_convert.ddddocr_charsets(config.vocabulary, source_size)
    (path.parent / DDDDOCR_CHARSETS).write_text(json.dumps(charsets, ensure_ascii=False))
    session = open_session(path)

    def run(gray):
        return session.run(None, {onnx_convert.DDDDOCR_INPUT: gray[None, None]})[0]

    same_size = [index for index, gray in enumerate(grays) if (gray.shape[1], gray.shape[0]) == source_size]
    probabilities = np.exp(np.concatenate([run(grays[index]) for index in same_size]))
    _check_close(variant, probabilities, keras_probabilities[same_size])
    texts = [r.text for r in decode.greedy_decode(probabilities, config.vocabulary)]
    extra = {
        "charsets": str(pathlib.PurePosixPath(variant.file).with_name(DDDDOCR_CHARSETS)),
        "image": list(source_size),
        "images_checked": len(same_size),
    }
    return Written(texts, onnx_convert.list_ops(onnx_bytes), run, grays[same_size[0]], same_size, extra)


#: (variant.format, variant.client) -> the function that converts, writes and runs the file
WRITERS = {
    ("tflite", "keras_captcha"): _write_tflite,
    ("onnx", "keras_captcha"): _write_onnx,
    ("onnx", "ddddocr"): _write_ddddocr,
}


def _check_close(variant, probabilities, expected):
    difference = float(np.abs(probabilities - expected).max())
    if difference > ONNX_TOLERANCE:
        raise CaptchaError(
            f"export: the {variant.name} model's probabilities differ from the Keras model's by "
            f"{difference:.2g} (at most {ONNX_TOLERANCE} allowed)"
        )


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


def available_variants():
    """The names of the variants whose tools are installed: the ONNX ones need the `[onnx]` extra."""
    return [name for name, variant in VARIANTS.items() if variant.format != "onnx" or has_extra("onnx")]


def export(model_path, out_dir, validation_samples=None, calibration_samples=None, variants=None):
    """Exports `model_path` into `out_dir`; returns the model card dict.

    The samples default to the `validation.csv` and `train.csv` a training run
    wrote beside the model; `variants` (names) default to `available_variants()`. Raises
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
    keras_probabilities = keras_predictor.probabilities(validation_images)
    keras_texts = [r.text for r in keras_predictor.decode(keras_probabilities)]
    card = build_card(config, len(validation_samples))
    card["reference"] = dict(zip(("accuracy", "cer"), decode.score(targets, keras_texts)))

    with atomic_directory(out_dir) as staging:
        for name in variants or available_variants():
            variant = VARIANTS[name]
            path = staging / variant.file
            write = WRITERS[variant.format, variant.client]
            written = write(
                recognizer, variant, path, card=ModelCard(config, card, None), images=validation_images,
                samples=validation_samples, calibration_images=calibration_images,
                keras_probabilities=keras_probabilities,
            )
            checked = range(len(targets)) if written.checked is None else written.checked
            expected = [keras_texts[i] for i in checked]
            agreement = float(np.mean([a == b for a, b in zip(written.texts, expected)]))
            if agreement < variant.required_agreement:
                raise CaptchaError(
                    f"export: the {name} model decodes {agreement:.1%} of the validation "
                    f"images like the Keras model; it needs {variant.required_agreement:.1%}"
                )
            accuracy, cer = decode.score([targets[i] for i in checked], written.texts)
            card["variants"][name] = {
                "file": variant.file,
                "bytes": path.stat().st_size,
                "accuracy": accuracy,
                "cer": cer,
                "agreement_with_keras": agreement,
                "latency_ms": latency_ms(written.run, written.image),
                "ops": written.ops,
                **written.extra,
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
