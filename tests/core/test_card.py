"""The model card: each fact once, read back through the config; foreign or old cards are one clear error."""

import json

import pytest

from keras_captcha.core import card
from keras_captcha.core.assets import shipped_model
from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.variants import DEFAULT_VARIANT, VARIANTS

from helpers import TINY_MODEL

CONFIG = CaptchaConfig(charset="xyz", **TINY_MODEL)


def test_a_written_card_reads_back_to_its_config(tmp_path):
    written = card.build_card(CONFIG, validation_images=3)
    card.write_card(written, tmp_path / card.CARD_NAME)
    read = card.card_beside(tmp_path / "any.tflite")
    assert read.config == CONFIG and read.data == json.loads(json.dumps(written))
    # each fact once: the charset and the input size appear only inside "config"
    flat = json.dumps({key: value for key, value in written.items() if key != "config"})
    assert "xyz" not in flat and '"height"' not in flat and '"width"' not in flat
    assert written["config"]["normalisation"]["gray_weights"] == list(CONFIG.normalisation.gray_weights)


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"name": "some other tool\'s card"}', "not a keras_captcha model card"),
        ("not json", "not a keras_captcha model card"),
        ('{"format": "keras-captcha model card", "version": 1, "charset": "ab"}', "version 1; .*re-export"),
        ('{"format": "keras-captcha model card", "version": 2, "vocabulary": {"blank_index": 3}}', "blank index"),
        (
            '{"format": "keras-captcha model card", "version": 2, "vocabulary": {"blank_index": 0}, '
            '"config": {"charset": "ab", "depth": 3}}',
            r"config: unknown CaptchaConfig fields \['depth'\]",
        ),
    ],
)
def test_bad_cards_are_named(tmp_path, content, message):
    (tmp_path / card.CARD_NAME).write_text(content)
    with pytest.raises(CaptchaError, match=message) as error:
        card.card_beside(tmp_path / "model.tflite")
    assert str(tmp_path / card.CARD_NAME) in str(error.value)


def test_no_card_beside_the_model(tmp_path):
    with pytest.raises(CaptchaError, match="no model_card.json beside it"):
        card.card_beside(tmp_path / "model.tflite")


def test_the_shipped_card_describes_every_shipped_file():
    shipped = shipped_model()
    assert shipped.name == VARIANTS[DEFAULT_VARIANT].file
    read = card.card_beside(shipped)
    for name, entry in read.data["variants"].items():
        assert (shipped.parent / entry["file"]).stat().st_size == entry["bytes"]
        assert entry["accuracy"] >= 0.99
