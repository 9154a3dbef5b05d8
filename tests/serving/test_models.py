"""The served models: an export folder serves its default variant, from a copy of that one file."""

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.card import CARD_NAME
from keras_captcha.serving.models import ServedModel


def test_an_export_folder_serves_its_default_variant_file():
    served = ServedModel("shipped", shipped_model().parent)
    assert served.source == shipped_model() and served.path.name == shipped_model().name
    assert sorted(p.name for p in served.path.parent.iterdir()) == sorted([shipped_model().name, CARD_NAME])
    assert served.sha256 == ServedModel("file", shipped_model()).sha256
