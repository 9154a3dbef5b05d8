"""Training with TensorFlow and Keras (the `[train]` extra): tf.data, the network, the CTC loss,
the run and its callbacks, self-training, warm starts and distribution.

    from keras_captcha.training import TrainOptions, train
"""

import importlib

_LAZY = {"TrainOptions": "keras_captcha.training.options", "train": "keras_captcha.training.run"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'keras_captcha.training' has no attribute {name!r}")
