"""The served models: each opened by path with one predictor per thread, and reloaded in place.

`ModelSet.reload` opens every model again from its path, checked as at
start-up, and swaps each in between requests: a request holds the
`ServedModel` it started with, so requests in flight finish on the old one,
which reads its own copy of the file (a deploy may overwrite the original).
A missing or broken file keeps the old model, logs one line and counts
`keras_captcha_reload_errors_total`.
"""

import hashlib
import logging
import pathlib
import shutil
import tempfile
import threading
import weakref

from keras_captcha.core.card import CARD_NAME
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.loading import model_path, open_predictor

log = logging.getLogger("keras_captcha.server")


class ServedModel:
    """One model: its card for `/v1/models`, its file's sha256, and one predictor per thread
    (LiteRT interpreters are not thread-safe). `threshold` marks readings below it uncertain.

    The file (with its model card) is copied aside when opened, and every thread's predictor
    opens that copy: what a `ServedModel` serves never changes, whatever happens to `path`.
    """

    def __init__(self, name, path, threshold=0.0):
        self.name, self.source, self.threshold = name, model_path(path), threshold
        open_predictor(self.source)  # names a missing or broken file before anything is copied
        snapshot = pathlib.Path(tempfile.mkdtemp(prefix="keras-captcha-model-"))
        weakref.finalize(self, shutil.rmtree, snapshot, True)
        self.path = _copy_model(self.source, snapshot)
        first = open_predictor(self.path, threshold=threshold)
        self.sha256 = file_sha256(self.path)
        self.card = _card_of(first)
        self._local = threading.local()
        self._local.predictor = first

    @property
    def predictor(self):
        predictor = getattr(self._local, "predictor", None)
        if predictor is None:
            predictor = self._local.predictor = open_predictor(self.path, threshold=self.threshold)
        return predictor

    def read(self, images, allowed):
        """`(encoded image file, name)` pairs -> `Reading` dicts, in order, as one batch.

        `CaptchaError` names the image that cannot be read or the allowed
        characters the model lacks.
        """
        predictor = self.predictor
        batch = predictor.preprocess([data for data, _ in images], [name for _, name in images])
        with_answer = predictor.config.answer is not None  # a model with an answer rule: each result's answer
        return [reading.to_dict(with_answer) for reading in predictor.decode(predictor.probabilities(batch), allowed)]


def _copy_model(path, folder):
    """Copies a model file and the model card beside it (or a SavedModel folder) into `folder`."""
    if path.is_dir():
        return pathlib.Path(shutil.copytree(path, folder / path.name))
    if path.with_name(CARD_NAME).is_file():
        shutil.copy(path.with_name(CARD_NAME), folder / CARD_NAME)
    return pathlib.Path(shutil.copy(path, folder / path.name))


def file_sha256(path):
    """Hex sha256 of a model file, or of a SavedModel folder's files in name order."""
    path = pathlib.Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        try:
            digest.update(file.read_bytes())
        except OSError as error:
            raise CaptchaError(f"{path}: cannot read the model ({error.strerror or error})") from None
    return digest.hexdigest()


def _card_of(predictor):
    """The model card a predictor was opened with (`.tflite`, `.onnx`), or its config alone."""
    card = getattr(predictor, "card", None)
    return card.data if card is not None else {"config": predictor.config.to_dict()}


def load_models(models, threshold=0.0):
    """`{name: path}` -> `{name: ServedModel}`; `CaptchaError` names a model that cannot be opened."""
    if not models:
        raise CaptchaError("serve: no model to serve")
    return {name: ServedModel(name, path, threshold) for name, path in models.items()}


class ModelSet:
    """The models a server serves by name (the first is the default), reloadable; `metrics` may be None."""

    def __init__(self, paths, threshold=0.0, metrics=None):
        self.paths, self.threshold, self.metrics = dict(paths), threshold, metrics
        self.models = load_models(self.paths, threshold)
        self.default = next(iter(self.models))
        self._reloading = threading.Lock()
        for model in self.models.values():
            self._publish(model, None)

    def get(self, name):
        """The `ServedModel` named `name` now, or None."""
        return self.models.get(name)

    def reload(self):
        """Opens every model again and swaps in each that opens; returns one outcome dict per model."""
        outcomes = []
        with self._reloading:
            for name, path in self.paths.items():
                old = self.models[name]
                try:
                    new = ServedModel(name, path, self.threshold)
                except CaptchaError as error:
                    log.error("reload: kept model %s as it was: %s", name, " ".join(str(error).split()))
                    if self.metrics:
                        self.metrics.reload_errors.labels(name).inc()
                    outcomes.append({"model": name, "reloaded": False, "sha256": old.sha256, "error": str(error)})
                    continue
                self.models = {**self.models, name: new}  # one assignment: a request sees old or new
                self._publish(new, old)
                outcomes.append({"model": name, "reloaded": True, "sha256": new.sha256})
        log.info("reload: %d of %d models reloaded", sum(o["reloaded"] for o in outcomes), len(outcomes))
        return outcomes

    def _publish(self, new, old):
        if self.metrics is None:
            return
        if old is not None and old.sha256 != new.sha256:
            self.metrics.model_info.labels(old.name, old.sha256).set(0)
        self.metrics.model_info.labels(new.name, new.sha256).set(1)
