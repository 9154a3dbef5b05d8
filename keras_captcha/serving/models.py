"""The served models: each opened by path, with one predictor per thread."""

import pathlib
import threading

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.loading import open_predictor


class ServedModel:
    """One model: its card for `/v1/models` and one predictor per thread (LiteRT interpreters are not thread-safe)."""

    def __init__(self, name, path):
        self.name, self.path = name, pathlib.Path(path)
        first = open_predictor(self.path)
        self.card = _card_of(first)
        self._local = threading.local()
        self._local.predictor = first

    @property
    def predictor(self):
        predictor = getattr(self._local, "predictor", None)
        if predictor is None:
            predictor = self._local.predictor = open_predictor(self.path)
        return predictor

    def read(self, images, allowed):
        """`(encoded image file, name)` pairs -> `Reading` dicts, in order, as one batch.

        `CaptchaError` names the image that cannot be read or the allowed
        characters the model lacks.
        """
        predictor = self.predictor
        batch = predictor.preprocess([data for data, _ in images], [name for _, name in images])
        return [reading.to_dict() for reading in predictor.decode(predictor.probabilities(batch), allowed)]


def _card_of(predictor):
    """The model card a predictor was opened with (`.tflite`, `.onnx`), or its config alone."""
    card = getattr(predictor, "card", None)
    return card.data if card is not None else {"config": predictor.config.to_dict()}


def load_models(models):
    """`{name: path}` -> `{name: ServedModel}`; `CaptchaError` names a model that cannot be opened."""
    if not models:
        raise CaptchaError("serve: no model to serve")
    return {name: ServedModel(name, path) for name, path in models.items()}
