"""Prediction and evaluation with a trained model, whatever its format.

`load_predictor(path)` opens a `.keras` file (inference or training model), a
SavedModel folder or a `.tflite` file (run by the TensorFlow-free
`keras_captcha.lite`); every predictor has a `config` and turns image files
into `(text, confidence)` pairs with greedy CTC decoding.
"""

import json
import pathlib
import zipfile

import numpy as np

from keras_captcha import decode, lite
from keras_captcha.config import CaptchaConfig
from keras_captcha.errors import CaptchaError

BATCH_SIZE = 64


class KerasPredictor:
    """Runs a `CaptchaRecognizer` on images preprocessed by the tf.data code."""

    def __init__(self, recognizer):
        self.model = recognizer
        self.config = recognizer.config

    def probabilities(self, images):
        """(n, height, width, 1) float32 -> (n, time_steps, classes) probabilities."""
        return np.asarray(self.model.predict(images, batch_size=BATCH_SIZE, verbose=0))

    def predict_files(self, paths):
        """Image paths -> one `(text, confidence)` per image."""
        from keras_captcha.data import load_images

        results = []
        for start in range(0, len(paths), BATCH_SIZE):
            images = load_images(paths[start : start + BATCH_SIZE], self.config)
            results += decode.greedy_decode(self.probabilities(images), self.config.charset)
        return results


class SavedModelPredictor(KerasPredictor):
    """Runs an exported SavedModel's `serving_default` signature."""

    def __init__(self, path):
        import tensorflow as tf

        try:
            loaded = tf.saved_model.load(str(path))
            card_path = loaded.model_card.asset_path.numpy().decode()
        except Exception as error:  # TF raises many types for a bad folder
            raise CaptchaError(f"{path}: not a keras_captcha SavedModel ({error})") from None
        self.signatures = loaded.signatures
        self.model = loaded.signatures["serving_default"]
        self.config = CaptchaConfig.from_dict(json.loads(pathlib.Path(card_path).read_text())["model"])

    def probabilities(self, images):
        batches = [
            self.model(images=images[start : start + BATCH_SIZE])["probabilities"].numpy()
            for start in range(0, len(images), BATCH_SIZE)
        ]
        return np.concatenate(batches)


class LitePredictor:
    """Runs a `.tflite` model with the TensorFlow-free runtime."""

    def __init__(self, path):
        self.recognizer = lite.LiteRecognizer(path)
        try:
            self.config = CaptchaConfig.from_dict(lite.find_card(path)["model"])
        except TypeError as error:  # a card whose "model" lacks or adds fields
            raise CaptchaError(f"{path}: its model card's 'model' is not a CaptchaConfig ({error})") from None

    def predict_files(self, paths):
        return [tuple(result[:2]) for result in self.recognizer.predict(list(paths))]


def load_keras_model(path):
    """A `CaptchaRecognizer` from a `.keras` file (a saved training model gives its recognizer)."""
    import keras

    from keras_captcha.model import CaptchaRecognizer

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


def load_predictor(path):
    """Opens a trained model file as a predictor."""
    path = pathlib.Path(path)
    if not path.exists():
        raise CaptchaError(f"{path}: no such model file or folder")
    if path.suffix == ".keras":
        return KerasPredictor(load_keras_model(path))
    if path.suffix == ".tflite":
        return LitePredictor(path)
    if (path / "saved_model.pb").is_file():
        return SavedModelPredictor(path)
    raise CaptchaError(
        f"{path}: unknown model format (expected a .keras file, a .tflite file or a SavedModel folder)"
    )


def evaluate(predictor, samples):
    """Scores a predictor on `(path, label)` samples.

    Returns `{"n", "accuracy", "cer", "mismatches"}`, each mismatch a dict of
    `path`, `target`, `prediction` and `confidence`. A label with characters
    the model's charset lacks raises `CaptchaError` naming its file.
    """
    for path, label in samples:
        predictor.config.check_characters(label, path)
    return score_results(samples, predictor.predict_files([path for path, _ in samples]))


def score_results(samples, results):
    """The `evaluate` report of `(text, confidence)` results already predicted for `samples`."""
    paths = [path for path, _ in samples]
    targets = [label for _, label in samples]
    accuracy, cer = decode.score(targets, [text for text, _ in results])
    mismatches = [
        {"path": path, "target": target, "prediction": text, "confidence": confidence}
        for path, target, (text, confidence) in zip(paths, targets, results)
        if text != target
    ]
    return {"n": len(samples), "accuracy": accuracy, "cer": cer, "mismatches": mismatches}
