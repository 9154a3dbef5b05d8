"""The TF-free image contract: NumPy preprocessing that reproduces the tf.data pipeline."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from helpers import draw_captcha, encode_image, run_without_tensorflow, sixteen_bit_image
from keras_captcha import data, preprocess
from keras_captcha.config import Normalisation
from keras_captcha.errors import CaptchaError


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


def test_every_source_kind_gives_the_same_image(tmp_path):
    image = draw_captcha("ab12", mode="RGB")
    image.save(tmp_path / "x.png")
    from_path = preprocess.preprocess(tmp_path / "x.png", 32, 128)
    for source in (str(tmp_path / "x.png"), encode_image(image), image, np.asarray(image)):
        np.testing.assert_array_equal(preprocess.preprocess(source, 32, 128), from_path)


def test_unreadable_sources_are_named(tmp_path):
    (tmp_path / "bad.png").write_text("nope")
    with pytest.raises(CaptchaError, match="bad.png: not a readable image"):
        preprocess.preprocess(tmp_path / "bad.png", 32, 128)
    with pytest.raises(CaptchaError, match="missing.png"):
        preprocess.preprocess(tmp_path / "missing.png", 32, 128)
    with pytest.raises(CaptchaError, match="cannot read an image from a int"):
        preprocess.preprocess(3, 32, 128)


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


def test_resize_weights_are_cached_and_read_only():
    first = preprocess.triangle_weights(50, 32)
    assert preprocess.triangle_weights(50, 32) is first
    assert not first.flags.writeable
    np.testing.assert_allclose(first.sum(1), 1.0, rtol=1e-6)


def test_preprocess_imports_without_tensorflow_or_keras():
    code = (
        "import keras_captcha.preprocess as preprocess\n"
        "print(preprocess.preprocess(bytes.fromhex(sys.argv[1]), 8, 16).shape)\n"
    )
    result = run_without_tensorflow(code, encode_image(draw_captcha("a", mode="RGB")).hex())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(8, 16, 1)"
