"""keras_captcha: read text captchas with a Keras CNN + bidirectional GRU + CTC model.

Importing the package is cheap and TensorFlow-free; `keras_captcha.lite`
runs exported models with numpy, pillow and ai-edge-litert only. Each name
below is loaded on first use, so TensorFlow (the `[train]` extra) is
imported only by the training API:

    import keras_captcha
    reading = keras_captcha.open_predictor().predict("captcha.png")   # the shipped model
    result = keras_captcha.train("path/to/images", "runs/first")
"""

import importlib

__version__ = "0.1.0"

_LAZY = {
    "CaptchaConfig": "keras_captcha.config",
    "CaptchaError": "keras_captcha.errors",
    "CaptchaRecognizer": "keras_captcha.model",
    "LiteRecognizer": "keras_captcha.lite",
    "Reading": "keras_captcha.decode",
    "Vocabulary": "keras_captcha.vocabulary",
    "train": "keras_captcha.train",
    "TrainOptions": "keras_captcha.train",
    "evaluate": "keras_captcha.predictor",
    "open_predictor": "keras_captcha.loading",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'keras_captcha' has no attribute {name!r}")
