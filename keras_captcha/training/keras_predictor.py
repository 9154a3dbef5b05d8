"""Predictors for the TensorFlow formats: a `.keras` file and an exported SavedModel.

Needs the training stack (`pip install "keras-captcha[train]"`); the
`.tflite` and `.onnx` runtimes do not.
"""

import os
import zipfile

import keras
import numpy as np
import tensorflow as tf

from keras_captcha.core.card import read_card
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.predictor import Predictor
from keras_captcha.training.model import CaptchaRecognizer


class KerasPredictor(Predictor):
    """Runs a `CaptchaRecognizer`."""

    def __init__(self, recognizer, **options):
        super().__init__(recognizer.config, **options)
        self.model = recognizer

    def probabilities(self, images):
        return np.asarray(self.model.predict(images, batch_size=self.batch_size, verbose=0))


class SavedModelPredictor(Predictor):
    """Runs an exported SavedModel's `serving_default` signature; its card is an asset."""

    def __init__(self, path, **options):
        try:
            loaded = tf.saved_model.load(str(path))
            card_path = loaded.model_card.asset_path.numpy().decode()
        except Exception as error:  # TF raises many types for a bad folder
            raise CaptchaError(f"{path}: not a keras_captcha SavedModel ({error})") from None
        super().__init__(read_card(card_path).config, **options)
        self.signatures = loaded.signatures
        self.model = loaded.signatures["serving_default"]

    def probabilities(self, images):
        return self.model(images=tf.constant(images, tf.float32))["probabilities"].numpy()


def load_keras_model(path):
    """A `CaptchaRecognizer` from a `.keras` file (a saved training model gives its recognizer)."""
    if not os.path.isfile(path):
        raise CaptchaError(f"{path}: no such model file")
    if not zipfile.is_zipfile(path):
        raise CaptchaError(f"{path}: not a loadable keras_captcha model (not a zip archive: truncated or another format)")
    try:
        model = keras.models.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many types for a bad archive
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if "`Lambda` layer" in reason:
            reason = "it holds a Lambda layer, arbitrary Python code that safe mode refuses to load"
        raise CaptchaError(f"{path}: not a loadable keras_captcha model ({reason})") from None
    if not isinstance(model, CaptchaRecognizer):
        nested = [layer for layer in model.layers if isinstance(layer, CaptchaRecognizer)]
        if not nested:
            raise CaptchaError(f"{path}: holds no keras_captcha CaptchaRecognizer")
        model = nested[0]
    return model

