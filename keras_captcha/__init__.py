"""keras_captcha: read text captchas with a Keras CNN + bidirectional GRU + CTC model.

The package's folders are its layers, each importing only the ones before it:
`core` (the facts), `runtime` (reading, TensorFlow-free), `labelling`,
`training` and `export` (TensorFlow), `serving` (HTTP); `viz.py` draws and
`cli.py` is the command line. Importing the package is cheap and
TensorFlow-free; each name below is loaded on first use, so TensorFlow (the
`[train]` extra) is imported only by the training names:

    import keras_captcha
    reading = keras_captcha.open_predictor().predict("captcha.png")   # the shipped model
    result = keras_captcha.train("path/to/images", "runs/first")

`examples/fit.py` trains with plain `model.fit` from the names below.
"""

import importlib

__version__ = "0.2.0"

_LAZY = {
    # the facts
    "CaptchaConfig": "keras_captcha.core.config",
    "CaptchaError": "keras_captcha.core.errors",
    "Normalisation": "keras_captcha.core.config",
    "Vocabulary": "keras_captcha.core.vocabulary",
    # reading, without TensorFlow
    "LiteRTPredictor": "keras_captcha.runtime.litert",
    "LiteRecognizer": "keras_captcha.runtime.litert",
    "Predictor": "keras_captcha.runtime.predictor",
    "Reading": "keras_captcha.runtime.decode",
    "derive_charset": "keras_captcha.runtime.datasets",
    "evaluate": "keras_captcha.runtime.evaluation",
    "list_samples": "keras_captcha.runtime.datasets",
    "open_predictor": "keras_captcha.runtime.loading",
    "split_samples": "keras_captcha.runtime.datasets",
    # training (TensorFlow)
    "CTCLoss": "keras_captcha.training.loss",
    "CaptchaRecognizer": "keras_captcha.training.model",
    "TrainOptions": "keras_captcha.training.options",
    "build_training_model": "keras_captcha.training.model",
    "load_keras_model": "keras_captcha.training.keras_predictor",
    "make_dataset": "keras_captcha.training.dataset",
    "set_blank_prior": "keras_captcha.training.model",
    "train": "keras_captcha.training.run",
    "write_split": "keras_captcha.training.run_folder",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'keras_captcha' has no attribute {name!r}")
