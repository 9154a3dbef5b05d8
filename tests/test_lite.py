"""The TF-free LiteRT runtime: decoding options, no TensorFlow, the shipped models."""

import numpy as np
import pytest

from helpers import draw_captcha, read_without_tensorflow, write_captchas
from keras_captcha import decode, lite
from keras_captcha.card import card_beside, shipped_model
from keras_captcha.samples import list_samples
from keras_captcha.variants import VARIANTS


def test_lite_options_restrict_beam_and_threshold(exported, tmp_path):
    out, _, recognizer, _, _ = exported
    model = out / VARIANTS["float32"].file
    image = draw_captcha("ab1", mode="RGB")
    allowed = recognizer.config.charset[:2]
    restricted = lite.LiteRecognizer(model, allowed=allowed, beam_width=4)
    assert set(restricted.predict(image).text) <= set(allowed)
    unsure = lite.LiteRecognizer(model, threshold=1.01)
    assert unsure.predict([image, image])[1].uncertain
    with pytest.raises(ValueError, match="not in the charset"):
        lite.LiteRecognizer(model, allowed="☃")


def test_lite_runtime_works_when_tensorflow_cannot_be_imported(exported, tmp_path):
    out, _, recognizer, _, _ = exported
    image_path = write_captchas(tmp_path, ["ab12"])[0]
    text = read_without_tensorflow(out / VARIANTS["int8"].file, image_path)
    assert set(text) <= set(recognizer.config.charset)

def test_shipped_models_load_with_their_card_and_read_captchas():
    shipped = shipped_model()
    read = card_beside(shipped)
    images = [draw_captcha(text, mode="RGBA", seed=i) for i, text in enumerate(["2b4cd", "x7y3m"])]
    for name, variant in read.data["variants"].items():
        if VARIANTS[name].format != "tflite":
            continue
        recognizer = lite.LiteRecognizer(shipped.parent / variant["file"])
        for reading in recognizer.predict(images):
            assert set(reading.text) <= set(read.config.charset)
            assert 0 <= reading.confidence <= 1
            assert len(reading.characters) == len(reading.text)
    assert shipped.stat().st_size <= 150 * 1024


def test_shipped_model_reads_real_captchas(real_data):
    listed = list_samples(real_data)[::40]
    recognizer = lite.LiteRecognizer(shipped_model())
    readings = recognizer.predict([path for path, _ in listed])
    accuracy, _ = decode.score([label for _, label in listed], [r.text for r in readings])
    assert accuracy >= 0.95  # mostly training images: a smoke test, not a measurement


def test_run_dequantizes_int8_outputs_like_the_float_model(exported):
    out, _, _, _, images = exported
    int8 = lite.LiteRecognizer(out / VARIANTS["int8"].file).run(images[0])["probabilities"]
    float32 = lite.LiteRecognizer(out / VARIANTS["float32"].file).run(images[0])["probabilities"]
    assert int8.dtype == np.float32 and int8.shape == float32.shape
    np.testing.assert_allclose(int8.sum(-1), 1.0, atol=0.05)


def test_a_missing_model_file_is_named(tmp_path):
    with pytest.raises(lite.CaptchaError, match="nothing.tflite: no such model file"):
        lite.LiteRecognizer(tmp_path / "nothing.tflite")
