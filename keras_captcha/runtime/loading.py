"""The one place that opens a model by its path, as the matching `Predictor`.

`.tflite` runs on the TensorFlow-free runtime (`keras_captcha.runtime.litert`),
`.onnx` on onnxruntime (`keras_captcha.runtime.onnx`, the `[onnx]` extra),
a `.keras` file or a SavedModel folder on TensorFlow (`[train]`). A folder
`keras-captcha export` wrote (its `model_card.json` inside) stands for its
default variant's file, or the first other variant it holds. Only the runtime a model needs is imported.
"""

import importlib
import pathlib

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.card import CARD_NAME
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.extras import require_extra
from keras_captcha.core.variants import DEFAULT_VARIANT, VARIANTS

#: How a path is recognised -> (module, predictor class, the extra that installs its runtime).
#: The TensorFlow formats' predictors live in `training/`; this table is the one place the
#: runtime names them, imported only when such a file is opened (tests/test_architecture.py).
FORMATS = {
    ".tflite": ("keras_captcha.runtime.litert", "LiteRTPredictor", None),
    ".onnx": ("keras_captcha.runtime.onnx", "OnnxPredictor", "onnx"),
    ".keras": ("keras_captcha.training.keras_predictor", "KerasPredictor", "train"),
    "savedmodel": ("keras_captcha.training.keras_predictor", "SavedModelPredictor", "train"),
}


#: The file that makes a folder a SavedModel.
SAVED_MODEL_FILE = "saved_model.pb"
#: The variants an export folder stands for, in the order tried: the default, the other TFLite files
#: (the TensorFlow-free runtime), then ONNX. ddddocr's file is for ddddocr, not for this runtime.
EXPORT_FOLDER_ORDER = sorted(
    (variant for variant in VARIANTS.values() if variant.client == "keras_captcha"),
    key=lambda variant: (variant.name != DEFAULT_VARIANT, variant.format != "tflite"),
)


def model_path(path):
    """`path`, or for an export folder (one holding `model_card.json`, not a SavedModel) the first
    file of `EXPORT_FOLDER_ORDER` in it; `CaptchaError` for an export folder with none of them."""
    path = pathlib.Path(path)
    if path.is_dir() and (path / CARD_NAME).is_file() and not (path / SAVED_MODEL_FILE).is_file():
        for variant in EXPORT_FOLDER_ORDER:
            if (path / variant.file).is_file():
                return path / variant.file
        files = ", ".join(variant.file for variant in EXPORT_FOLDER_ORDER)
        raise CaptchaError(f"{path}: an export folder with no model file ({files})")
    return path


def model_format(path):
    """The `FORMATS` key of a model path; `CaptchaError` for a missing path or an unknown format."""
    path = pathlib.Path(path)
    if not path.exists():
        raise CaptchaError(f"{path}: no such model file or folder")
    if path.suffix in FORMATS:
        return path.suffix
    if (path / SAVED_MODEL_FILE).is_file():
        return "savedmodel"
    raise CaptchaError(
        f"{path}: unknown model format (expected a .tflite, .onnx or .keras file or a SavedModel folder)"
    )


def open_predictor(path=None, **options):
    """Opens the model at `path` (default: the shipped int8 model) as a `Predictor`.

    `options` are the decoding options of `keras_captcha.runtime.predictor.Predictor`.
    """
    path = model_path(path) if path is not None else shipped_model()
    kind = model_format(path)
    module_name, class_name, extra = FORMATS[kind]
    if extra:
        require_extra(extra, f"reading {path}")
    module = importlib.import_module(module_name)  # only the runtime this format needs
    if kind == ".keras":
        return module.KerasPredictor(module.load_keras_model(path), **options)
    return getattr(module, class_name)(path, **options)
