"""Opening any model by path: every format reads the same texts through one interface."""

import pytest

from keras_captcha import loading
from keras_captcha.card import shipped_model
from keras_captcha.errors import CaptchaError
from keras_captcha.keras_predictor import KerasPredictor
from keras_captcha.lite import LiteRecognizer
from keras_captcha.predictor import Predictor
from keras_captcha.savedmodel import DIR_NAME
from keras_captcha.variants import VARIANTS


def test_every_format_opens_as_a_predictor_that_reads_alike(exported, trained_run):
    out, _, recognizer, samples, _ = exported
    paths = [path for path, _ in samples]
    expected = [reading.text for reading in KerasPredictor(recognizer).predict(paths)]
    for model in (out / DIR_NAME, out / VARIANTS["float32"].file, out / VARIANTS["onnx"].file):
        predictor = loading.open_predictor(model)
        assert isinstance(predictor, Predictor) and predictor.config == recognizer.config
        assert [reading.text for reading in predictor.predict(paths)] == expected
    assert isinstance(loading.open_predictor(trained_run[0] / "model.keras"), KerasPredictor)


def test_the_default_is_the_shipped_model():
    predictor = loading.open_predictor()
    assert isinstance(predictor, LiteRecognizer) and predictor.model_path == shipped_model()


def test_unknown_and_missing_models_are_named(tmp_path):
    with pytest.raises(CaptchaError, match="absent.tflite: no such model file or folder"):
        loading.open_predictor(tmp_path / "absent.tflite")
    (tmp_path / "model.pt").write_bytes(b"torch")
    with pytest.raises(CaptchaError, match="model.pt: unknown model format"):
        loading.open_predictor(tmp_path / "model.pt")


def test_a_missing_extra_is_one_line_saying_what_to_install(monkeypatch):
    monkeypatch.setattr(loading.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CaptchaError, match=r'training needs tensorflow.*pip install "keras-captcha\[train\]"'):
        loading.require_extra("train", "training")
