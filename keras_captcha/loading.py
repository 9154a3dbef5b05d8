"""The one place that opens a model by its path, as the matching `Predictor`.

`.tflite` runs on the TensorFlow-free runtime (`keras_captcha.lite`),
`.onnx` on onnxruntime (`keras_captcha.onnx_runtime`, the `[onnx]` extra),
a `.keras` file or a SavedModel folder on TensorFlow (`[train]`). Only the
runtime a model needs is imported.
"""

import importlib
import importlib.util
import pathlib

from keras_captcha.card import shipped_model
from keras_captcha.errors import CaptchaError

#: How a path is recognised -> (module, predictor class, the extra that installs its runtime).
FORMATS = {
    ".tflite": ("keras_captcha.lite", "LiteRecognizer", None),
    ".onnx": ("keras_captcha.onnx_runtime", "OnnxPredictor", "onnx"),
    ".keras": ("keras_captcha.keras_predictor", "KerasPredictor", "train"),
    "savedmodel": ("keras_captcha.keras_predictor", "SavedModelPredictor", "train"),
}
#: The top-level modules each extra brings; a missing one is a one-line error.
EXTRA_MODULES = {
    "train": ("tensorflow", "keras"),
    "onnx": ("onnxruntime", "onnx", "tf2onnx"),
    "serve": ("fastapi", "uvicorn", "multipart", "threadpoolctl"),
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


def model_format(path):
    """The `FORMATS` key of a model path; `CaptchaError` for a missing path or an unknown format."""
    path = pathlib.Path(path)
    if not path.exists():
        raise CaptchaError(f"{path}: no such model file or folder")
    if path.suffix in FORMATS:
        return path.suffix
    if (path / "saved_model.pb").is_file():
        return "savedmodel"
    raise CaptchaError(
        f"{path}: unknown model format (expected a .tflite, .onnx or .keras file or a SavedModel folder)"
    )


def open_predictor(path=None, **options):
    """Opens the model at `path` (default: the shipped int8 model) as a `Predictor`.

    `options` are the decoding options of `keras_captcha.predictor.Predictor`.
    """
    path = pathlib.Path(path) if path is not None else shipped_model()
    kind = model_format(path)
    module_name, class_name, extra = FORMATS[kind]
    if extra:
        require_extra(extra, f"reading {path}")
    module = importlib.import_module(module_name)  # only the runtime this format needs
    if kind == ".keras":
        return module.KerasPredictor(module.load_keras_model(path), **options)
    return getattr(module, class_name)(path, **options)
