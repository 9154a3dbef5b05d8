"""A TensorFlow-free runtime for exported `.tflite` captcha models.

Needs numpy, pillow and ai-edge-litert only (`pip install "keras-captcha[lite]"`):

    from keras_captcha.lite import LiteRecognizer
    recognizer = LiteRecognizer("exported/captcha_int8.tflite")
    text, confidence, uncertain = recognizer.predict("captcha.png")

The model card (`model_card.json` beside the model) supplies the charset, the
input size and the normalisation; preprocessing here reproduces the training
pipeline's (`keras_captcha.data.decode_image`) in NumPy.
"""

import io
import json
import os
import pathlib
import sys
import typing
import warnings

import numpy as np
from PIL import Image

from keras_captcha import decode
from keras_captcha.config import BLANK_INDEX
from keras_captcha.errors import CaptchaError

CARD_NAME = "model_card.json"
SHIPPED_MODEL = "captcha_int8.tflite"
#: ITU-R 601 luma weights, as the training pipeline uses.
GRAY_WEIGHTS = np.array([0.2989, 0.587, 0.114], dtype=np.float32)
#: Largest image accepted, in pixels: a guard against decompression bombs.
MAX_IMAGE_PIXELS = 4096 * 4096
#: Formats TensorFlow's `decode_image` reads as this runtime does (BMP: see `open_image`).
FORMATS = ("PNG", "JPEG", "GIF", "BMP")
#: Uncompressed 8-bit gray, 24- and 32-bit BMP pixel layouts, the ones TensorFlow decodes alike.
BMP_LAYOUTS = ("L", "BGR", "BGRX", "BGRA")


class Prediction(typing.NamedTuple):
    text: str
    confidence: float
    uncertain: bool


def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - the fallback the export issue allows
        try:
            from tensorflow.lite import Interpreter
        except ImportError:
            raise CaptchaError(
                "running .tflite models needs ai-edge-litert: pip install 'keras-captcha[lite]'"
            ) from None
    return Interpreter


def open_image(source, name):
    """A file path or encoded bytes -> a loaded PIL image both decoders read the same way.

    Raises `CaptchaError` naming `name` for an empty, truncated or unreadable
    file, a format outside `FORMATS` and an image over `MAX_IMAGE_PIXELS`
    (read from the header, before anything is decoded). Pixels are taken
    as stored, without applying an EXIF orientation, as TensorFlow does.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise CaptchaError(
                f"{name}: {width}x{height} image is larger than the {MAX_IMAGE_PIXELS}-pixel limit"
            )
        if image.format not in FORMATS:
            raise CaptchaError(
                f"{name}: {image.format} images are not supported; use {', '.join(FORMATS)}"
            )
        if image.format == "BMP" and (
            image.info.get("compression") != 0
            or not image.tile
            or image.tile[0].args[0] not in BMP_LAYOUTS
        ):
            raise CaptchaError(
                f"{name}: only uncompressed 8-bit gray, 24- and 32-bit BMP images are "
                "supported; save it as PNG"
            )
        image.load()
    except CaptchaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise CaptchaError(
            f"{name}: image is larger than the {MAX_IMAGE_PIXELS}-pixel limit (Pillow refused it)"
        ) from None
    except Exception as error:  # Pillow raises many types for hostile bytes
        empty = not source if isinstance(source, bytes) else os.path.getsize(source) == 0
        raise CaptchaError(f"{name}: not a readable image ({'empty file' if empty else error})") from None
    return image


def read_image(source):
    """A path, encoded bytes, a PIL image or an array -> (height, width, channels) uint8/float.

    Palette, 1-bit and 16-bit images become 8-bit like TensorFlow's decoder
    makes them; GIFs give their first frame.
    """
    if isinstance(source, np.ndarray):
        return source[..., None] if source.ndim == 2 else source
    name = "image bytes"
    if isinstance(source, (str, pathlib.Path)):
        name = str(source)
        try:
            source = pathlib.Path(source).read_bytes()
        except OSError as error:
            raise CaptchaError(f"{name}: {error.strerror or error}") from None
    if isinstance(source, bytes):
        image = open_image(source, name)
    elif isinstance(source, Image.Image):
        image, name = source, "PIL image"
    else:
        raise CaptchaError(f"cannot read an image from a {type(source).__name__}")
    return _pixels(image, name)


def _pixels(image, name):
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        return (np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8)[..., None]
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode in ("1", "CMYK", "YCbCr", "F"):
        image = image.convert("L" if mode in ("1", "F") else "RGB")
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        raise CaptchaError(f"{name}: unsupported image mode {image.mode}")
    pixels = np.asarray(image)
    return pixels[..., None] if pixels.ndim == 2 else pixels


def to_gray(pixels):
    """(h, w, 1|2|3|4) uint8 or [0, 1] float -> (h, w, 1) float32 gray, alpha over white."""
    pixels = np.asarray(pixels)
    image = pixels.astype(np.float32) / 255.0 if pixels.dtype == np.uint8 else pixels.astype(np.float32)
    channels = image.shape[-1]
    if channels not in (1, 2, 3, 4):
        raise CaptchaError(f"expected 1 to 4 channels, got an array of shape {pixels.shape}")
    alpha = image[..., -1:] if channels % 2 == 0 else np.ones_like(image[..., :1])
    color = image[..., : channels - (channels % 2 == 0)]
    gray = (color * GRAY_WEIGHTS).sum(-1, keepdims=True) if color.shape[-1] == 3 else color
    return gray * alpha + (1.0 - alpha)


def _triangle_weights(in_size, out_size):
    """(out_size, in_size) weights of TensorFlow's antialiased bilinear resize.

    The triangle kernel widens by the downscaling factor and each row is
    normalised, as in TensorFlow's ScaleAndTranslate kernel.
    """
    inv_scale = np.float32(in_size) / np.float32(out_size)
    kernel_scale = max(inv_scale, np.float32(1.0))
    weights = np.zeros((out_size, in_size), dtype=np.float32)
    for x in range(out_size):
        sample = (np.float32(x) + np.float32(0.5)) * inv_scale
        start = int(np.clip(np.ceil(sample - kernel_scale - 0.5), 0, in_size - 1))
        end = int(np.clip(np.floor(sample + kernel_scale - 0.5), 0, in_size - 1)) + 1
        source = np.arange(start, end, dtype=np.float32)
        row = np.maximum(0.0, 1.0 - np.abs((source + 0.5 - sample) / kernel_scale))
        weights[x, start:end] = row / row.sum() if row.sum() > 0 else row
    return weights


def resize_bilinear(image, height, width):
    """(h, w, c) float32 -> (height, width, c), as `tf.image.resize(..., antialias=True)` bilinear."""
    rows = _triangle_weights(image.shape[0], height)
    columns = _triangle_weights(image.shape[1], width)
    return np.einsum("yh,hwc,xw->yxc", rows, image.astype(np.float32), columns).astype(np.float32)


def preprocess(source, height, width):
    """Any image source -> (height, width, 1) float32 in [0, 1], as training saw it."""
    return np.clip(resize_bilinear(to_gray(read_image(source)), height, width), 0.0, 1.0)


def shipped_model():
    """Path of the int8 model shipped in `exported/`, from a checkout or an installed copy."""
    for folder in (
        pathlib.Path(__file__).resolve().parent.parent / "exported",
        pathlib.Path(sys.prefix) / "share" / "keras-captcha" / "exported",
    ):
        if (folder / SHIPPED_MODEL).is_file() and (folder / CARD_NAME).is_file():
            return folder / SHIPPED_MODEL
    raise CaptchaError("no --model given and no shipped model is installed (exported/)")


def find_card(model_path):
    """The model card beside `model_path` (`model_card.json`), as a dict."""
    card_path = pathlib.Path(model_path).with_name(CARD_NAME)
    if not card_path.is_file():
        raise CaptchaError(
            f"{model_path}: no {CARD_NAME} beside it; the charset and input size come from it"
        )
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        if not (
            isinstance(card["charset"], str)
            and isinstance(card["input"]["height"], int)
            and isinstance(card["input"]["width"], int)
            and isinstance(card["model"], dict)
        ):
            raise TypeError("a field has the wrong type")
    except (OSError, ValueError, KeyError, TypeError) as error:
        reason = f"no {error}" if isinstance(error, KeyError) else error
        raise CaptchaError(f"{card_path}: not a keras_captcha model card ({reason})") from None
    return card


class LiteRecognizer:
    """Runs one exported `.tflite` captcha model with its model card.

    `allowed` restricts decoding to a subset of the charset; `beam_width`
    (> 1) switches from greedy to beam-search decoding; results whose
    confidence is below `threshold` are marked uncertain.
    """

    def __init__(self, model_path, card=None, num_threads=1, allowed=None, beam_width=1, threshold=0.0):
        self.model_path = pathlib.Path(model_path)
        if not self.model_path.is_file():
            raise CaptchaError(f"{model_path}: no such model file")
        card = card if card is not None else find_card(self.model_path)
        self.charset = card["charset"]
        self.height, self.width = card["input"]["height"], card["input"]["width"]
        if card.get("blank_index", BLANK_INDEX) != BLANK_INDEX:
            raise CaptchaError(f"{model_path}: the model card's blank index is not {BLANK_INDEX}")
        self.allowed, self.beam_width, self.threshold = allowed, beam_width, threshold
        if allowed is not None:
            decode.restrict(np.zeros((1, len(self.charset) + 1)), self.charset, allowed)
        try:
            self.interpreter = _interpreter_class()(
                model_path=str(self.model_path), num_threads=num_threads
            )
            self.runner = self.interpreter.get_signature_runner()
        except (ValueError, RuntimeError) as error:
            raise CaptchaError(f"{model_path}: not a loadable TFLite model ({error})") from None
        self._inputs = self.runner.get_input_details()
        self._outputs = self.runner.get_output_details()
        expected_input = (1, self.height, self.width, 1)
        probabilities = self._outputs.get("probabilities")
        if (
            list(self._inputs) != ["image"]
            or tuple(self._inputs["image"]["shape"]) != expected_input
            or probabilities is None
            or probabilities["shape"][-1] != len(self.charset) + 1
        ):
            shapes = {name: tuple(d["shape"]) for name, d in {**self._inputs, **self._outputs}.items()}
            raise CaptchaError(
                f"{model_path}: has tensors {shapes}, but its model card describes image "
                f"{expected_input} -> probabilities (1, steps, {len(self.charset) + 1}): "
                "wrong model or card"
            )

    def run(self, image):
        """One (height, width, 1) float32 image -> every output of the model, as float/int arrays."""
        details = self._inputs["image"]
        batch = image[None].astype(np.float32)
        if details["dtype"] != np.float32:
            scale, zero_point = details["quantization"]
            info = np.iinfo(details["dtype"])
            batch = np.clip(np.round(batch / scale + zero_point), info.min, info.max)
        outputs = self.runner(image=batch.astype(details["dtype"]))
        for name, value in outputs.items():
            scale, zero_point = self._outputs[name]["quantization"]
            if value.dtype in (np.int8, np.uint8) and scale:
                outputs[name] = (value.astype(np.float32) - zero_point) * scale
        return outputs

    def probabilities(self, image):
        """One (height, width, 1) float32 image -> (time_steps, classes) float32."""
        return self.run(image)["probabilities"][0]

    def decode(self, probabilities):
        """(batch, time_steps, classes) -> list of `Prediction`."""
        if self.allowed is not None:
            probabilities = decode.restrict(probabilities, self.charset, self.allowed)
        if self.beam_width > 1:
            results = decode.beam_search_decode(probabilities, self.charset, self.beam_width)
        else:
            results = decode.greedy_decode(probabilities, self.charset)
        return [Prediction(text, conf, conf < self.threshold) for text, conf in results]

    def predict(self, images):
        """Reads one image (path, bytes, PIL image, array) or a list of them.

        Returns a `Prediction(text, confidence, uncertain)`, or a list of them
        for a list input.
        """
        single = not isinstance(images, (list, tuple))
        sources = [images] if single else list(images)
        probabilities = np.stack(
            [self.probabilities(preprocess(source, self.height, self.width)) for source in sources]
        )
        results = self.decode(probabilities)
        return results[0] if single else results
