"""The TensorFlow predictors: a .keras file (inference or training model) and a SavedModel."""

import keras
import numpy as np
import pytest

from keras_captcha.core.errors import CaptchaError
from keras_captcha.export.savedmodel import DIR_NAME
from keras_captcha.training.keras_predictor import KerasPredictor, SavedModelPredictor, load_keras_model
from keras_captcha.training.model import CaptchaRecognizer, build_training_model


def test_keras_and_savedmodel_predictors_give_the_same_probabilities(exported):
    out, _, recognizer, _, images = exported
    keras_probabilities = KerasPredictor(recognizer).probabilities(images)
    saved_probabilities = SavedModelPredictor(out / DIR_NAME).probabilities(images)
    np.testing.assert_allclose(saved_probabilities, keras_probabilities, atol=1e-5)


def test_a_saved_training_model_gives_its_recognizer(trained_run, tmp_path):
    recognizer = load_keras_model(trained_run[0] / "model.keras")
    build_training_model(recognizer).save(tmp_path / "trainer.keras")
    loaded = load_keras_model(tmp_path / "trainer.keras")
    assert isinstance(loaded, CaptchaRecognizer) and loaded.config == recognizer.config


def test_a_missing_keras_file_is_named_as_missing(tmp_path):
    with pytest.raises(CaptchaError, match="gone.keras: no such model file"):
        load_keras_model(tmp_path / "gone.keras")


def test_keras_files_that_are_not_ours_are_named(tmp_path):
    inputs = keras.Input((4,))
    keras.Model(inputs, keras.layers.Dense(2)(inputs)).save(tmp_path / "other.keras")
    with pytest.raises(CaptchaError, match="other.keras: holds no keras_captcha CaptchaRecognizer"):
        load_keras_model(tmp_path / "other.keras")
    (tmp_path / "folder").mkdir()
    with pytest.raises(CaptchaError, match="folder: not a keras_captcha SavedModel"):
        SavedModelPredictor(tmp_path / "folder")


def test_every_runtime_implements_the_same_interface():
    from keras_captcha.runtime.litert import LiteRTPredictor
    from keras_captcha.runtime.onnx import OnnxPredictor
    from keras_captcha.runtime.predictor import Predictor
    from keras_captcha.training.keras_predictor import KerasPredictor, SavedModelPredictor

    for predictor_class in (LiteRTPredictor, OnnxPredictor, KerasPredictor, SavedModelPredictor):
        assert issubclass(predictor_class, Predictor)
        assert predictor_class.probabilities is not Predictor.probabilities
