"""The LiteRT runtime on the shipped export: options, dequantization, reading without TensorFlow."""

import numpy as np
import pytest

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.card import card_beside
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.variants import VARIANTS
from keras_captcha.runtime.datasets import list_samples
from keras_captcha.runtime.litert import LiteRTPredictor
from keras_captcha.runtime.metrics import score

from helpers import draw_captcha, read_without_tensorflow, write_captchas


def test_lite_options_restrict_beam_and_threshold():
    model = shipped_model().with_name(VARIANTS["float32"].file)
    image = draw_captcha("ab1", mode="RGB")
    allowed = LiteRTPredictor(model).config.charset[:2]
    restricted = LiteRTPredictor(model, allowed=allowed, beam_width=4)
    assert set(restricted.predict(image).text) <= set(allowed)
    unsure = LiteRTPredictor(model, threshold=1.01)
    assert unsure.predict([image, image])[1].uncertain
    with pytest.raises(ValueError, match="not in the charset"):
        LiteRTPredictor(model, allowed="☃")


def test_lite_runtime_works_when_tensorflow_cannot_be_imported(tmp_path):
    image_path = write_captchas(tmp_path, ["ab12"])[0]
    text = read_without_tensorflow(shipped_model(), image_path)
    assert set(text) <= set(card_beside(shipped_model()).config.charset)


def test_shipped_models_load_with_their_card_and_read_captchas():
    shipped = shipped_model()
    read = card_beside(shipped)
    images = [draw_captcha(text, mode="RGBA", seed=i) for i, text in enumerate(["2b4cd", "x7y3m"])]
    for name, variant in read.data["variants"].items():
        if VARIANTS[name].format != "tflite":
            continue
        recognizer = LiteRTPredictor(shipped.parent / variant["file"])
        for reading in recognizer.predict(images):
            assert set(reading.text) <= set(read.config.charset)
            assert 0 <= reading.confidence <= 1
            assert len(reading.characters) == len(reading.text)
    assert shipped.stat().st_size <= 150 * 1024


def test_shipped_model_reads_real_captchas(real_data):
    listed = list_samples(real_data)[::40]
    recognizer = LiteRTPredictor(shipped_model())
    readings = recognizer.predict([path for path, _ in listed])
    accuracy, _ = score([label for _, label in listed], [r.text for r in readings])
    assert accuracy >= 0.95  # mostly training images: a smoke test, not a measurement


def test_run_dequantizes_int8_outputs_like_the_float_model():
    int8_predictor = LiteRTPredictor(shipped_model().with_name(VARIANTS["int8"].file))
    image = int8_predictor.preprocess([draw_captcha("2b4cd", mode="RGB")])[0]
    int8 = int8_predictor.run(image)["probabilities"]
    float32 = LiteRTPredictor(shipped_model().with_name(VARIANTS["float32"].file)).run(image)["probabilities"]
    assert int8.dtype == np.float32 and int8.shape == float32.shape
    np.testing.assert_allclose(int8.sum(-1), 1.0, atol=0.05)


def test_a_missing_model_file_is_named(tmp_path):
    with pytest.raises(CaptchaError, match="nothing.tflite: no such model file"):
        LiteRTPredictor(tmp_path / "nothing.tflite")


def test_the_old_name_still_imports():
    from keras_captcha.runtime.litert import LiteRecognizer

    assert LiteRecognizer is LiteRTPredictor
