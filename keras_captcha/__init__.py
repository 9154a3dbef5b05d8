"""keras_captcha: read text captchas with a Keras CNN + bidirectional GRU + CTC model.

Importing the package is cheap and TensorFlow-free; `keras_captcha.lite`
runs exported models with numpy, pillow and ai-edge-litert only. The
TensorFlow-backed API is loaded on first use:

    import keras_captcha
    result = keras_captcha.train("path/to/images", "runs/first")
"""

import importlib

__version__ = "0.1.0"

_LAZY = {
    "CaptchaConfig": "keras_captcha.config",
    "CaptchaError": "keras_captcha.errors",
    "CaptchaRecognizer": "keras_captcha.model",
    "train": "keras_captcha.train",
    "TrainOptions": "keras_captcha.train",
    "evaluate": "keras_captcha.predict",
    "load_predictor": "keras_captcha.predict",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'keras_captcha' has no attribute {name!r}")
