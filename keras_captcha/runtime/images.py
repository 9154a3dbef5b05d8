"""Image files and bytes -> checked pixel arrays, as TensorFlow's decoder reads them.

The first step of the image contract (`keras_captcha.runtime.preprocess`
does the rest): a file is opened, its size checked before it is decoded, and
its pixels taken as 8-bit channels. Training's file checks use `check_image`.
"""

import base64
import binascii
import io
import os
import pathlib
import warnings

import numpy as np
from PIL import Image

from keras_captcha.core.errors import CaptchaError

#: Largest image accepted, in pixels: a guard against decompression bombs.
MAX_IMAGE_PIXELS = 4096 * 4096
#: Formats TensorFlow's `decode_image` reads as this module does (BMP and WebP: see `open_image`).
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
#: Uncompressed 8-bit gray, 24- and 32-bit BMP pixel layouts, the ones TensorFlow decodes alike.
BMP_LAYOUTS = ("L", "BGR", "BGRX", "BGRA")


def open_image(source, name):
    """A file path or encoded bytes -> a loaded PIL image both decoders read the same way.

    Raises `CaptchaError` naming `name` for an empty, truncated or unreadable
    file, a format outside `FORMATS`, an animated WebP (TensorFlow's decoder
    aborts the process on one) and an image over `MAX_IMAGE_PIXELS` (read
    from the header, before anything is decoded). Pixels are taken
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
        if image.format == "WEBP" and getattr(image, "n_frames", 1) > 1:
            raise CaptchaError(f"{name}: animated WebP images are not supported; save its first frame as PNG")
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


def data_url_bytes(text, name="data URL"):
    """The image bytes of a `data:image/png;base64,...` URL (as a web page's inline `<img src>` or a
    FileReader gives); `CaptchaError` naming `name` for one that is not base64."""
    header, _, payload = text.partition(",")
    try:
        if not header.lower().endswith(";base64"):
            raise ValueError
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise CaptchaError(f"{name}: not a base64 data: URL (data:image/png;base64,...)") from None


def read_pixels(source, name=None):
    """A path, a `data:` URL, encoded bytes or a binary file, a PIL image or an array -> (height, width, channels)
    uint8/float.

    Palette, 1-bit and 16-bit images become 8-bit like TensorFlow's decoder
    makes them; GIFs give their first frame. An array must be (height, width)
    or (height, width, channels), with at least one pixel. Errors name `name`,
    or the path.
    """
    if isinstance(source, np.ndarray):
        if source.ndim not in (2, 3) or not source.shape[0] or not source.shape[1]:
            shape = source.shape
            raise CaptchaError(f"{name or 'array'}: expected (height, width[, channels]) pixels, got shape {shape}")
        return source[..., None] if source.ndim == 2 else source
    if hasattr(source, "read"):
        source = _read_file_object(source, name)
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    if isinstance(source, str) and source.startswith("data:"):
        name = name or "data URL"
        source = data_url_bytes(source, name)
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


def _read_file_object(file, name):
    """The bytes of an open binary file (`open(path, "rb")`, `io.BytesIO`)."""
    name = name or getattr(file, "name", None) or type(file).__name__
    try:
        data = file.read()
        text_mode = not isinstance(data, (bytes, bytearray))
    except UnicodeDecodeError:  # text mode, decoding an image's bytes
        text_mode = True
    except (OSError, ValueError) as error:  # a closed file, say
        raise CaptchaError(f"{name}: cannot read it ({_one_line(error)})") from None
    if text_mode:
        raise CaptchaError(f"{name}: a text file; open it with 'rb'")
    return bytes(data)


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


#: Each readable format's signature, as the `(offset, bytes)` parts its file must hold, -> the file suffix
#: it is saved with (a WebP file is a RIFF container: `RIFF`, its size, then `WEBP`).
MAGIC_SUFFIXES = (
    (((0, b"\x89PNG"),), ".png"), (((0, b"\xff\xd8"),), ".jpg"), (((0, b"GIF8"),), ".gif"), (((0, b"BM"),), ".bmp"),
    (((0, b"RIFF"), (8, b"WEBP")), ".webp"),
)


def suffix_of(encoded):
    """The file suffix (`.png`, `.jpg`, `.gif`, `.bmp`, `.webp`) of encoded image bytes, by their signature."""
    for signature, suffix in MAGIC_SUFFIXES:
        if all(encoded[offset:offset + len(magic)] == magic for offset, magic in signature):
            return suffix
    raise CaptchaError(f"image bytes: not a {', '.join(FORMATS)} file")
