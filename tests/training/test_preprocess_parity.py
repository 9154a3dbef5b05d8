"""The parity of the two pipelines: NumPy preprocessing and tf.data decode the same images to the same floats."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_captcha.core.config import Normalisation
from keras_captcha.runtime import preprocess
from keras_captcha.training import dataset as data

from helpers import draw_captcha, encode_image, sixteen_bit_image


def _half_transparent():
    image = draw_captcha("x2", mode="RGBA")
    image.putalpha(Image.linear_gradient("L").resize(image.size))
    return image


@pytest.mark.parametrize(
    "make",
    [
        lambda: draw_captcha("ab12", mode="RGBA"),
        lambda: draw_captcha("ab12", mode="RGB"),
        lambda: draw_captcha("ab12", mode="L"),
        lambda: draw_captcha("ab12", mode="LA"),
        lambda: draw_captcha("ab12", mode="RGB").convert("P"),
        lambda: draw_captcha("ab12", mode="1"),
        _half_transparent,
        sixteen_bit_image,
        lambda: Image.new("L", (1, 1), 77),
        lambda: draw_captcha("ab12", size=(37, 300), mode="RGB"),
    ],
    ids=["rgba", "rgb", "gray", "gray-alpha", "palette", "1-bit", "alpha", "16-bit", "1x1", "tall"],
)
@pytest.mark.parametrize("size", [(32, 128), (50, 200), (13, 57)])
def test_numpy_preprocessing_matches_the_tf_pipeline(make, size):
    encoded = encode_image(make())
    expected = data.decode_image(tf.constant(encoded), *size).numpy()
    got = preprocess.preprocess(encoded, *size)
    assert got.shape == expected.shape == (*size, 1)
    np.testing.assert_allclose(got, expected, atol=1e-5)  # float32 summation order


@pytest.mark.parametrize("mode", ["RGB", "L"])
@pytest.mark.parametrize("subsampling", [0, 2])
def test_jpegs_decode_to_the_same_pixels_in_both_pipelines(mode, subsampling):
    """TensorFlow's default fast DCT would give pixels up to 5 levels off Pillow's (and the browser's)."""
    encoded = encode_image(draw_captcha("ab12", mode=mode), "JPEG", quality=75, subsampling=subsampling)
    expected = data.decode_image(tf.constant(encoded), 30, 70).numpy()
    np.testing.assert_allclose(preprocess.preprocess(encoded, 30, 70), expected, atol=1e-5)


@pytest.mark.parametrize("lossless", [True, False])
@pytest.mark.parametrize("make", [lambda: draw_captcha("ab12", mode="RGB"), _half_transparent], ids=["rgb", "alpha"])
def test_webp_decodes_to_the_same_pixels_in_both_pipelines(make, lossless):
    encoded = encode_image(make(), "WEBP", lossless=lossless, quality=60)
    expected = data.decode_image(tf.constant(encoded), 30, 70).numpy()
    np.testing.assert_allclose(preprocess.preprocess(encoded, 30, 70), expected, atol=1e-5)


def test_normalisation_is_followed_by_both_pipelines():
    """A non-default normalisation (other weights, black background, another range) is data both follow."""
    normalisation = Normalisation(gray_weights=(0.5, 0.25, 0.25), background=0.0, value_range=(0.0, 0.8))
    encoded = encode_image(_half_transparent())
    expected = data.decode_image(tf.constant(encoded), 32, 128, normalisation).numpy()
    got = preprocess.preprocess(encoded, 32, 128, normalisation)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert got.max() <= 0.8
    clear = encode_image(Image.new("RGBA", (20, 10), (255, 255, 255, 0)))
    np.testing.assert_allclose(preprocess.preprocess(clear, 10, 20, normalisation), 0.0)
