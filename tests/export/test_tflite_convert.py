"""Each variant's converter settings: float files agree with Keras closely, quantized ones within their bar."""

import numpy as np
import pytest

from keras_captcha.core.variants import VARIANTS
from keras_captcha.runtime.litert import LiteRTPredictor

TFLITE = [name for name, variant in VARIANTS.items() if variant.format == "tflite"]

#: Largest probability difference from the Keras model, by quantization.
TOLERANCE = {"none": 1e-4, "float16": 1e-2, "dynamic_range": 0.2, "int8": 0.2}


@pytest.mark.parametrize("name", TFLITE)
def test_variant_probabilities_agree_with_keras(exported, name):
    out, _, recognizer, _, images = exported
    variant = VARIANTS[name]
    probabilities = LiteRTPredictor(out / variant.file).probabilities(images)
    expected = recognizer.predict(images, verbose=0)
    assert np.abs(probabilities - expected).max() < TOLERANCE[variant.quantization]


def test_quantization_shows_in_the_ops_and_the_size(exported):
    _, card, _, _, _ = exported
    variants = card["variants"]
    assert "QUANTIZE" in variants["int8"]["ops"] and "QUANTIZE" not in variants["float32"]["ops"]
    assert "DEQUANTIZE" in variants["float16"]["ops"] and "DEQUANTIZE" in variants["dynamic_range"]["ops"]
    assert "WHILE" in variants["float32"]["ops"] and "WHILE" not in variants["int8"]["ops"]
