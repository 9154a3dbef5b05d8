"""Reading a .tflite's ops, refusing state and custom ops, and compaction that changes no output."""

import numpy as np
import pytest

from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.variants import VARIANTS
from keras_captcha.export import flatbuffer
from keras_captcha.runtime.litert import LiteRTPredictor

TFLITE = [name for name, variant in VARIANTS.items() if variant.format == "tflite"]


@pytest.mark.parametrize("name", TFLITE)
def test_every_exported_file_is_builtin_and_stateless(exported, name):
    out, card, _, _, _ = exported
    ops = flatbuffer.list_ops((out / VARIANTS[name].file).read_bytes())
    assert ops == card["variants"][name]["ops"]
    assert not flatbuffer.FORBIDDEN_OPS & set(ops)
    assert not any(op.startswith("Flex") for op in ops)
    flatbuffer.check_ops(name, ops)


def test_check_ops_names_the_variant_and_the_ops():
    with pytest.raises(CaptchaError, match=r"the int8 TFLite model uses .*\['FlexConv', 'VAR_HANDLE'\]"):
        flatbuffer.check_ops("int8", {"CONV_2D": 1, "VAR_HANDLE": 1, "FlexConv": 2})


def test_compacting_twice_changes_nothing_the_runtime_reads(exported, tmp_path):
    out, card, _, _, images = exported
    original = (out / VARIANTS["int8"].file).read_bytes()
    again = flatbuffer.compact(original)
    assert len(again) <= len(original)
    (tmp_path / "again.tflite").write_bytes(again)
    (tmp_path / "model_card.json").write_text((out / "model_card.json").read_text())
    first = LiteRTPredictor(out / VARIANTS["int8"].file).probabilities(images)
    second = LiteRTPredictor(tmp_path / "again.tflite").probabilities(images)
    np.testing.assert_array_equal(first, second)
