"""One writer per kind of exported file: it converts, writes and runs the file as its users do.

`WRITERS[variant.format, variant.client]` is called by
`keras_captcha.export.exporter.export` for each variant; a writer returns
`Written`, the texts the file read on the validation images, which the
exporter compares with the Keras model's.
"""

import collections
import json
import pathlib
import typing

import numpy as np

from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.variants import DDDDOCR_CHARSETS
from keras_captcha.export import flatbuffer, tflite_convert
from keras_captcha.runtime import decode
from keras_captcha.runtime.images import read_pixels
from keras_captcha.runtime.litert import LiteRTPredictor
from keras_captcha.runtime.preprocess import to_gray

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
    runner = LiteRTPredictor(path, card=card)
    outputs = [runner.run(image) for image in images]
    texts = [r.text for r in runner.decode(np.concatenate([o["probabilities"] for o in outputs]))]
    if "label_ids" in outputs[0]:  # the decoded variant's in-graph decoding must spell the same
        graph_texts = [card.config.vocabulary.decode(output["label_ids"][0]) for output in outputs]
        if graph_texts != texts:
            raise CaptchaError(f"export: {path.name}'s label_ids disagree with decoding its probabilities")
    return Written(texts, ops, runner.run, images[0])


def _write_onnx(recognizer, variant, path, card, images, keras_probabilities, **_):
    """Converts and writes our `.onnx` variant, run with onnxruntime through `OnnxPredictor`."""
    from keras_captcha.export import onnx_convert  # the optional [onnx] extra: onnx, tf2onnx, onnxruntime
    from keras_captcha.runtime.onnx import OnnxPredictor

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
    the gray comes from `keras_captcha.runtime.preprocess`, so the check isolates the
    graph: the validation images of that size must read as the Keras model reads them.
    """
    from keras_captcha.export import onnx_convert  # the optional [onnx] extra: onnx, tf2onnx, onnxruntime
    from keras_captcha.runtime.onnx import open_session

    config = recognizer.config
    grays = [to_gray(read_pixels(p), config.normalisation)[..., 0] for p, _ in samples]
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
