"""The optional extras of the install, and the one-line error when one is missing."""

import importlib.util

from keras_captcha.core.errors import CaptchaError

#: The top-level modules each extra brings; a missing one is a one-line error.
EXTRA_MODULES = {
    "train": ("tensorflow", "keras"),
    "onnx": ("onnxruntime", "onnx", "tf2onnx"),
    "serve": ("fastapi", "uvicorn", "multipart", "threadpoolctl", "prometheus_client"),
}


def has_extra(extra):
    """Whether every module of `extra` is installed."""
    return all(importlib.util.find_spec(module) is not None for module in EXTRA_MODULES[extra])


def require_extra(extra, purpose):
    """Raises `CaptchaError` saying what to install when a module of `extra` is missing."""
    for module in EXTRA_MODULES[extra]:
        if importlib.util.find_spec(module) is None:
            raise CaptchaError(
                f"{purpose} needs {module}, which the runtime install leaves out: "
                f'pip install "keras-captcha[{extra}]"'
            )
