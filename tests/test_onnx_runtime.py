"""The ONNX runtime: the exported .onnx reads like the Keras model, through the same interface, without TensorFlow."""

import numpy as np
import pytest

from helpers import draw_captcha, read_without_tensorflow, write_captchas
from keras_captcha.errors import CaptchaError
from keras_captcha.onnx_runtime import OnnxPredictor
from keras_captcha.variants import VARIANTS


def test_onnx_reads_like_keras(exported):
    out, _, recognizer, samples, images = exported
    predictor = OnnxPredictor(out / VARIANTS["onnx"].file)
    assert predictor.config == recognizer.config
    np.testing.assert_allclose(predictor.probabilities(images), recognizer.predict(images, verbose=0), atol=1e-4)
    reading = predictor.predict(samples[0][0])
    assert len(reading.characters) == len(reading.text)
    restricted = OnnxPredictor(out / VARIANTS["onnx"].file, allowed=recognizer.config.charset[:1])
    assert set(restricted.predict(draw_captcha("ab1")).text) <= set(recognizer.config.charset[:1])


def test_a_file_that_is_not_our_model_is_named(exported, tmp_path):
    out, _, _, _, _ = exported
    (tmp_path / "model_card.json").write_text((out / "model_card.json").read_text())
    (tmp_path / "junk.onnx").write_bytes(b"not onnx")
    with pytest.raises(CaptchaError, match="junk.onnx: not a loadable ONNX model"):
        OnnxPredictor(tmp_path / "junk.onnx")
    (tmp_path / "ddddocr.onnx").write_bytes((out / VARIANTS["ddddocr"].file).read_bytes())
    with pytest.raises(CaptchaError, match="ddddocr.onnx: has inputs .* wrong model or card"):
        OnnxPredictor(tmp_path / "ddddocr.onnx")


def test_onnx_runs_without_tensorflow(exported, tmp_path):
    out, _, recognizer, _, _ = exported
    image = write_captchas(tmp_path, ["ab12"])[0]
    assert set(read_without_tensorflow(out / VARIANTS["onnx"].file, image)) <= set(recognizer.config.charset)

def test_the_shipped_onnx_reads_like_the_shipped_int8_model(real_data):
    from keras_captcha.card import shipped_model
    from keras_captcha.lite import LiteRecognizer
    from keras_captcha.samples import list_samples

    paths = [path for path, _ in list_samples(real_data)[::30]]
    onnx_texts = [r.text for r in OnnxPredictor(shipped_model().with_name(VARIANTS["onnx"].file)).predict(paths)]
    tflite_texts = [r.text for r in LiteRecognizer(shipped_model()).predict(paths)]
    assert onnx_texts == tflite_texts
