"""The image contract, without TensorFlow: image files -> checked pixels -> the model's input.

Every reader of images goes through here: the TF-free runtime, the server,
the sample listing of training and evaluation. `keras_captcha.training.dataset` holds
the tf.data twin of `preprocess`, and the tests pin the two together.
What the steps are is data, `keras_captcha.core.config.Normalisation`, saved in
the model card so that other clients (the browser, a phone) follow it too.
"""

import functools

import numpy as np

from keras_captcha.core.config import Normalisation
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.images import read_pixels

DEFAULT_NORMALISATION = Normalisation()


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
