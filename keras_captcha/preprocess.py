"""The image contract, without TensorFlow: image files -> checked pixels -> the model's input.

Every reader of images goes through here: the TF-free runtime, the server,
the sample listing of training and evaluation. `keras_captcha.data` holds
the tf.data twin of `preprocess`, and the tests pin the two together.
What the steps are is data, `keras_captcha.config.Normalisation`, saved in
the model card so that other clients (the browser, a phone) follow it too.
"""

import functools
import io
import os
import pathlib
import warnings

import numpy as np
from PIL import Image

from keras_captcha.config import Normalisation
from keras_captcha.errors import CaptchaError

#: Largest image accepted, in pixels: a guard against decompression bombs.
MAX_IMAGE_PIXELS = 4096 * 4096
#: Formats TensorFlow's `decode_image` reads as this module does (BMP: see `open_image`).
FORMATS = ("PNG", "JPEG", "GIF", "BMP")
#: Uncompressed 8-bit gray, 24- and 32-bit BMP pixel layouts, the ones TensorFlow decodes alike.
BMP_LAYOUTS = ("L", "BGR", "BGRX", "BGRA")
DEFAULT_NORMALISATION = Normalisation()


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
    except Image.UnidentifiedImageError:
        empty = not source if isinstance(source, bytes) else os.path.getsize(source) == 0
        reason = "empty file" if empty else f"not a {', '.join(FORMATS)} file"
        raise CaptchaError(f"{name}: not a readable image ({reason})") from None
    except Exception as error:  # Pillow raises many types for truncated or hostile bytes
        raise CaptchaError(f"{name}: not a readable image ({_one_line(error)})") from None
    return image


def _one_line(error):
    return " ".join(str(error).split()) or type(error).__name__


def check_image(path):
    """Raises `CaptchaError` naming `path` unless it is a whole, sanely sized image
    that this module and TensorFlow's `decode_image` read alike."""
    open_image(path, path).close()


def read_pixels(source, name=None):
    """A path, encoded bytes, a PIL image or an array -> (height, width, channels) uint8/float.

    Palette, 1-bit and 16-bit images become 8-bit like TensorFlow's decoder
    makes them; GIFs give their first frame. Errors name `name`, or the path.
    """
    if isinstance(source, np.ndarray):
        return source[..., None] if source.ndim == 2 else source
    if isinstance(source, (str, pathlib.Path)):
        name = name or str(source)
        try:
            source = pathlib.Path(source).read_bytes()
        except OSError as error:
            raise CaptchaError(f"{name}: {error.strerror or error}") from None
    if isinstance(source, bytes):
        image = open_image(source, name or "image bytes")
    elif isinstance(source, Image.Image):
        image, name = source, name or "PIL image"
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


def to_gray(pixels, normalisation=DEFAULT_NORMALISATION):
    """(h, w, 1|2|3|4) uint8 or [0, 1] float -> (h, w, 1) float32 gray, alpha over the background.

    Works channel by channel: a whole-image float copy is large enough for
    the allocator to map fresh pages on every call, which cost more than the
    arithmetic (157 against 30 us for a 200x50 RGBA captcha).
    """
    pixels = np.asarray(pixels)
    channels = pixels.shape[-1]
    if channels not in (1, 2, 3, 4):
        raise CaptchaError(f"expected 1 to 4 channels, got an array of shape {pixels.shape}")
    scale = np.float32(1 / 255) if pixels.dtype == np.uint8 else np.float32(1)
    if channels >= 3:
        red, green, blue = np.asarray(normalisation.gray_weights, np.float32) * scale
        gray = pixels[..., 0] * red + pixels[..., 1] * green + pixels[..., 2] * blue
    else:
        gray = pixels[..., 0] * scale
    if channels % 2 == 0:
        alpha = pixels[..., -1] * scale
        gray = gray * alpha + np.float32(normalisation.background) * (1 - alpha)
    return gray.astype(np.float32, copy=False)[..., None]


@functools.lru_cache(maxsize=64)
def triangle_weights(in_size, out_size):
    """(out_size, in_size) float32 weights of TensorFlow's antialiased bilinear resize.

    The triangle kernel widens by the downscaling factor and each row is
    normalised, as in TensorFlow's ScaleAndTranslate kernel. Cached: every
    captcha of a site has the same size. The array is read-only.
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
    weights.flags.writeable = False
    return weights


def resize_bilinear(image, height, width):
    """(h, w, c) float32 -> (height, width, c) float32, as `tf.image.resize(..., antialias=True)` bilinear.

    The resize is separable: `rows @ channel @ columns.T`, two small matrix
    products, in float64 and rounded once to float32, so that any client
    summing in another order (the browser page) gets the same float32 values.
    """
    rows, columns = _float64_weights(image.shape[0], height), _float64_weights(image.shape[1], width, True)
    planes = [rows @ image[..., c].astype(np.float64) @ columns for c in range(image.shape[-1])]
    return np.stack(planes, axis=-1).astype(np.float32)


@functools.lru_cache(maxsize=64)
def _float64_weights(in_size, out_size, transposed=False):
    weights = triangle_weights(in_size, out_size).astype(np.float64)
    weights = np.ascontiguousarray(weights.T) if transposed else weights
    weights.flags.writeable = False
    return weights


def preprocess(source, height, width, normalisation=DEFAULT_NORMALISATION, name=None):
    """Any image source -> (height, width, 1) float32, as training saw it; errors name `name`."""
    gray = to_gray(read_pixels(source, name), normalisation)
    resized = resize_bilinear(gray, height, width)
    return np.clip(resized, *normalisation.value_range, out=resized)


def preprocess_batch(sources, config, names=None):
    """Image sources -> (n, config.height, config.width, 1) float32 for a model of `config`.

    `names` (one per source) name the images in errors; paths name themselves.
    """
    names = names or [None] * len(sources)
    return np.stack([
        preprocess(source, config.height, config.width, config.normalisation, name)
        for source, name in zip(sources, names)
    ])
