"""Hostile and odd inputs: one clear line and exit code 2, or a correct result; never a traceback."""

import io
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from keras_captcha.core.card import CARD_NAME, build_card
from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime import images, preprocess
from keras_captcha.training import dataset as data

from helpers import assert_user_error, draw_captcha, encode_image, png_of_size, run_cli, sixteen_bit_image


def _truncated_png():
    whole = encode_image(draw_captcha("abc"), "PNG")
    return whole[: len(whole) // 2]


UNREADABLE = {
    "truncated.png": (_truncated_png, "not a readable image"),
    "empty.png": (lambda: b"", "empty file"),
    "text.png": (lambda: b"just some words\n", "not a readable image"),
    "huge.png": (lambda: png_of_size(20000, 20000), "pixel limit"),
    "tiff.png": (lambda: encode_image(draw_captcha("abc"), "TIFF"), "TIFF images are not supported"),
    "palette.bmp": (lambda: encode_image(draw_captcha("abc", mode="RGB").convert("P"), "BMP"), "BMP images"),
}


@pytest.mark.parametrize("name", UNREADABLE)
def test_unreadable_images_are_one_line_errors(trained_run, tmp_path, capsys, name):
    make, message = UNREADABLE[name]
    path = tmp_path / name
    path.write_bytes(make())
    model = trained_run[0] / "model.keras"
    assert_user_error(capsys, ["predict", path, "--model", model], f"{path}: ")
    assert_user_error(capsys, ["predict", path, "--model", model], message)
    with pytest.raises(CaptchaError, match=message):
        preprocess.preprocess(path, 32, 128)


def test_a_bad_image_in_a_dataset_is_named_by_evaluate(trained_run, tmp_path, capsys):
    (tmp_path / "abc.png").write_bytes(_truncated_png())
    assert_user_error(
        capsys, ["evaluate", "--model", trained_run[0] / "model.keras", "--data", tmp_path], "abc.png"
    )


def test_huge_image_is_refused_from_its_header(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png_of_size(5000, 5000))  # over our limit, under Pillow's
    with pytest.raises(CaptchaError, match="5000x5000 image is larger than the 16777216-pixel limit"):
        images.check_image(path)


def _exif_rotated():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    return encode_image(draw_captcha("ab12", mode="RGB"), "JPEG", exif=exif.tobytes())


def _cmyk():
    return encode_image(draw_captcha("ab12", mode="RGB").convert("CMYK"), "JPEG")


def _sixteen_bit():
    return encode_image(sixteen_bit_image())


ODD = {
    "one_pixel.png": lambda: encode_image(Image.new("L", (1, 1), 77), "PNG"),
    "palette.png": lambda: encode_image(draw_captcha("ab12", mode="RGB").convert("P"), "PNG"),
    "cmyk.jpg": _cmyk,
    "sixteen_bit.png": _sixteen_bit,
    "exif_rotated.jpg": _exif_rotated,
    "капча_ü 漢字.png": lambda: encode_image(draw_captcha("ab12"), "PNG"),
}


@pytest.mark.parametrize("name", ODD)
def test_odd_images_are_read(trained_run, tmp_path, capsys, name):
    path = tmp_path / name
    path.write_bytes(ODD[name]())
    code, out, err = run_cli(capsys, "predict", path, "--model", trained_run[0] / "model.keras", "--json")
    assert code == 0, err
    assert json.loads(out)["path"] == str(path)


@pytest.mark.parametrize("make", [_exif_rotated, _cmyk, _sixteen_bit])
def test_odd_images_preprocess_alike_in_tf_and_lite(make):
    """Pixels are read as stored, EXIF orientation not applied, in both pipelines."""
    encoded = make()
    expected = data.decode_image(tf.constant(encoded), 32, 128).numpy()
    got = preprocess.preprocess(encoded, 32, 128)
    np.testing.assert_allclose(got, expected, atol=0.02)  # JPEG decoders differ slightly
    stored = Image.open(io.BytesIO(encoded)).size
    assert images.read_pixels(encoded).shape[:2] == (stored[1], stored[0])


def test_keras_file_with_a_lambda_layer_is_refused(tmp_path, capsys):
    inputs = keras.Input((32, 128, 1))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    model = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(model)
    image = tmp_path / "abc.png"
    draw_captcha("abc").save(image)
    assert_user_error(capsys, ["predict", image, "--model", model], "Lambda layer, arbitrary Python code")


def _foreign_tflite(path):
    """A tiny TFLite model that is not a captcha model: (1, 4) -> (1, 2)."""
    inputs = keras.Input((4,), batch_size=1)
    converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(inputs, keras.layers.Dense(2)(inputs)))
    path.write_bytes(converter.convert())
    return path


@pytest.mark.parametrize("with_card", [False, True])
def test_tflite_of_another_model_is_refused(tmp_path, capsys, with_card):
    model = _foreign_tflite(tmp_path / "other.tflite")
    image = tmp_path / "abc.png"
    draw_captcha("abc").save(image)
    if with_card:
        card = build_card(CaptchaConfig(charset="abc"), validation_images=0)
        (tmp_path / CARD_NAME).write_text(json.dumps(card))
        message = "wrong model or card"
    else:
        message = "no model_card.json beside it"
    assert_user_error(capsys, ["predict", image, "--model", model], message)


def test_tflite_with_a_foreign_card_is_refused(tmp_path, capsys):
    model = _foreign_tflite(tmp_path / "other.tflite")
    (tmp_path / CARD_NAME).write_text('{"name": "some other tool\'s card"}')
    image = tmp_path / "abc.png"
    draw_captcha("abc").save(image)
    assert_user_error(capsys, ["predict", image, "--model", model], "model card")


# ---- fuzzing: either CaptchaError or a (height, width, 1) float32 image in [0, 1]

HEIGHT, WIDTH = 16, 48
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _assert_image(array):
    assert array.shape == (HEIGHT, WIDTH, 1) and array.dtype == np.float32
    assert np.isfinite(array).all() and array.min() >= 0.0 and array.max() <= 1.0


def _read_both(encoded, tmp_path):
    """Runs the TF loader (check + decode) and the lite preprocessing on the same bytes."""
    path = tmp_path / "fuzz.png"
    path.write_bytes(encoded)
    config = CaptchaConfig(charset="a", height=HEIGHT, width=WIDTH, conv_pools=((2, 2), (2, 2), (2, 1)))
    for load in (lambda: data.load_images([path], config)[0], lambda: preprocess.preprocess(encoded, HEIGHT, WIDTH)):
        try:
            array = load()
        except CaptchaError as error:
            assert "\n" not in str(error)
        else:
            _assert_image(array)


@FUZZ
@given(st.binary(max_size=600) | st.builds(lambda tail: encode_image(draw_captcha("a", size=(20, 8)), "PNG")[:30] + tail, st.binary(max_size=200)))
def test_fuzz_random_bytes(tmp_path, encoded):
    _read_both(encoded, tmp_path)


IMAGE_KINDS = [
    ("1", "PNG"), ("L", "PNG"), ("LA", "PNG"), ("P", "PNG"), ("RGB", "PNG"), ("RGBA", "PNG"),
    ("I;16", "PNG"), ("L", "JPEG"), ("RGB", "JPEG"), ("CMYK", "JPEG"), ("P", "GIF"), ("L", "GIF"),
    ("1", "BMP"), ("L", "BMP"), ("P", "BMP"), ("RGB", "BMP"), ("RGB", "WEBP"), ("RGBA", "WEBP"),
]


@FUZZ
@given(
    st.sampled_from(IMAGE_KINDS),
    st.integers(1, 70),
    st.integers(1, 70),
    st.integers(0, 2**32 - 1),
)
def test_fuzz_valid_images_of_any_mode_and_size(tmp_path, kind, width, height, seed):
    mode, fmt = kind
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    if mode == "I;16":
        image = Image.fromarray(pixels[..., 0].astype(np.uint16) * 257)
    elif mode != "RGB":
        image = image.convert(mode)
    _read_both(encode_image(image, fmt), tmp_path)
