"""Opening a model by path: the format picks the predictor; a missing or unknown model is named."""

import pytest

from keras_captcha.core.assets import general_reader, shipped_model
from keras_captcha.core.card import CARD_NAME
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.extras import has_extra
from keras_captcha.core.variants import DEFAULT_VARIANT, VARIANTS
from keras_captcha.runtime import loading
from keras_captcha.runtime.litert import LiteRTPredictor
from keras_captcha.runtime.predictor import Predictor


def test_the_default_is_the_shipped_model():
    predictor = loading.open_predictor()
    assert isinstance(predictor, LiteRTPredictor) and predictor.model_path == shipped_model()


def test_every_format_of_the_table_names_a_predictor_class():
    import importlib

    for module, class_name, extra in loading.FORMATS.values():
        if extra is None or (extra != "train" and has_extra(extra)):  # the runtime's own formats
            assert issubclass(getattr(importlib.import_module(module), class_name), Predictor)


def test_unknown_and_missing_models_are_named(tmp_path):
    with pytest.raises(CaptchaError, match="absent.tflite: no such model file or folder"):
        loading.open_predictor(tmp_path / "absent.tflite")
    (tmp_path / "model.pt").write_bytes(b"torch")
    with pytest.raises(CaptchaError, match="model.pt: unknown model format"):
        loading.open_predictor(tmp_path / "model.pt")


def test_an_export_folder_opens_its_default_variant_or_the_first_it_holds(tmp_path):
    predictor = loading.open_predictor(shipped_model().parent)
    assert isinstance(predictor, LiteRTPredictor) and predictor.model_path == shipped_model()
    assert [variant.name for variant in loading.EXPORT_FOLDER_ORDER][:2] == [DEFAULT_VARIANT, "float32"]
    assert "ddddocr" not in [variant.name for variant in loading.EXPORT_FOLDER_ORDER]
    base = general_reader().parent  # a float32 file and model.keras, no int8 file
    assert loading.model_path(base) == base / VARIANTS["float32"].file
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / CARD_NAME).write_text("{}")
    with pytest.raises(CaptchaError, match=f"export: an export folder with no model file \\({shipped_model().name}, "):
        loading.open_predictor(tmp_path / "export")
