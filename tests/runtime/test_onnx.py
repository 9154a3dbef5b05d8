"""The ONNX runtime on the shipped export: the same interface and readings as LiteRT, without TensorFlow."""

import numpy as np
import pytest

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.card import CARD_NAME
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.variants import VARIANTS
from keras_captcha.runtime.datasets import list_samples
from keras_captcha.runtime.litert import LiteRTPredictor

from helpers import draw_captcha, read_without_tensorflow, write_captchas

pytest.importorskip("onnxruntime")  # the [onnx] extra
from keras_captcha.runtime.onnx import OnnxPredictor  # noqa: E402

SHIPPED_ONNX = shipped_model().with_name(VARIANTS["onnx"].file)


def test_onnx_reads_like_the_float_tflite_file_of_the_same_model():
    predictor = OnnxPredictor(SHIPPED_ONNX)
    float32 = LiteRTPredictor(shipped_model().with_name(VARIANTS["float32"].file))
    assert predictor.config == float32.config
    images = predictor.preprocess([draw_captcha(text, mode="RGB", seed=i) for i, text in enumerate(["2b4cd", "x7y3m"])])
    np.testing.assert_allclose(predictor.probabilities(images), float32.probabilities(images), atol=1e-3)
    reading = predictor.predict(images[0])
    assert len(reading.characters) == len(reading.text)
    allowed = predictor.config.charset[:1]
    restricted = OnnxPredictor(SHIPPED_ONNX, allowed=allowed)
    assert set(restricted.predict(draw_captcha("ab1")).text) <= set(allowed)


def test_a_file_that_is_not_our_model_is_named(tmp_path):
    (tmp_path / CARD_NAME).write_text(SHIPPED_ONNX.with_name(CARD_NAME).read_text())
    (tmp_path / "junk.onnx").write_bytes(b"not onnx")
    with pytest.raises(CaptchaError, match="junk.onnx: not a loadable ONNX model"):
        OnnxPredictor(tmp_path / "junk.onnx")
    (tmp_path / "ddddocr.onnx").write_bytes((SHIPPED_ONNX.parent / VARIANTS["ddddocr"].file).read_bytes())
    with pytest.raises(CaptchaError, match="ddddocr.onnx: has inputs .* wrong model or card"):
        OnnxPredictor(tmp_path / "ddddocr.onnx")


def test_onnx_runs_without_tensorflow(tmp_path):
    image = write_captchas(tmp_path, ["ab12"])[0]
    charset = OnnxPredictor(SHIPPED_ONNX).config.charset
    assert set(read_without_tensorflow(SHIPPED_ONNX, image)) <= set(charset)


def test_the_shipped_onnx_reads_like_the_shipped_int8_model(real_data):
    paths = [path for path, _ in list_samples(real_data)[::30]]
    onnx_texts = [r.text for r in OnnxPredictor(SHIPPED_ONNX).predict(paths)]
    tflite_texts = [r.text for r in LiteRTPredictor(shipped_model()).predict(paths)]
    assert onnx_texts == tflite_texts
