"""The config: facts of a model, validated, round-tripped through JSON, normalisation as data."""

import json

import pytest

from keras_captcha.core.config import CaptchaConfig, Normalisation
from keras_captcha.core.errors import CaptchaError

from helpers import TINY_MODEL

CONFIG = CaptchaConfig(charset="abc", **TINY_MODEL)


def test_config_round_trips_and_checks_itself():
    assert CaptchaConfig.from_dict(CONFIG.to_dict()) == CONFIG
    assert CONFIG.max_label_length == 15
    with pytest.raises(CaptchaError, match="repeats"):
        CaptchaConfig(charset="aa")
    with pytest.raises(CaptchaError, match="smaller than the pooling factors"):
        CaptchaConfig(charset="a", height=4)
    assert CONFIG.replace(height=50, width=198).time_steps == 198 // 4  # pooling floors
    assert CaptchaConfig(charset="a", height=50).feature_rows == 6  # pooled 50 -> 25 -> 12 -> 6


def test_json_round_trip_keeps_the_normalisation_as_data():
    custom = CONFIG.replace(normalisation=Normalisation(gray_weights=(0.3, 0.6, 0.1), background=0.0))
    values = json.loads(json.dumps(custom.to_dict()))
    assert values["normalisation"]["gray_weights"] == [0.3, 0.6, 0.1]
    assert values["normalisation"]["background"] == 0.0
    assert CaptchaConfig.from_dict(values) == custom
    assert custom.vocabulary.charset == "abc" and custom.num_classes == 4


def test_bad_fields_are_named():
    with pytest.raises(CaptchaError, match=r"card.json: config: unknown CaptchaConfig fields \['colour'\]"):
        CaptchaConfig.from_dict({"charset": "ab", "colour": 1}, "card.json: config")
    with pytest.raises(CaptchaError, match="not a CaptchaConfig"):
        CaptchaConfig.from_dict({"height": 32})
    with pytest.raises(CaptchaError, match="resize 'nearest'"):
        Normalisation(resize="nearest")
    with pytest.raises(CaptchaError, match="gray_weights needs 3 values"):
        Normalisation(gray_weights=(1.0,))


def test_version_1_configs_still_load():
    """Models saved before the normalisation became data stored derived keys and prose."""
    old = {
        **{key: value for key, value in CONFIG.to_dict().items() if key != "normalisation"},
        "blank_index": 0,
        "time_steps": 32,
        "normalisation": "grayscale, float32 in [0, 1], alpha over white, antialiased bilinear resize",
    }
    assert CaptchaConfig.from_dict(old) == CONFIG
