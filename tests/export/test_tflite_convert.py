"""Each variant's converter settings: float files agree with Keras closely, quantized ones within their bar."""

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.variants import VARIANTS
from keras_captcha.export.flatbuffer import list_ops
from keras_captcha.export.tflite_convert import convert
from keras_captcha.runtime.litert import LiteRTPredictor
from keras_captcha.training.model import CaptchaRecognizer

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


def test_int8_quantizes_its_input_and_no_variant_loops(exported):
    _, card, _, _, _ = exported
    variants = card["variants"]
    assert "QUANTIZE" in variants["int8"]["ops"] and "QUANTIZE" not in variants["float32"]["ops"]
    assert not any("WHILE" in variant["ops"] for variant in variants.values())  # every GRU is unrolled


@pytest.mark.parametrize("name", [name for name in TFLITE if VARIANTS[name].float_input_conv])
def test_a_float_input_conv_variant_quantizes_every_weighted_op_but_the_input_convolution(exported, name):
    out, _, _, _, _ = exported
    interpreter = Interpreter(model_path=str(out / VARIANTS[name].file))
    tensors = {tensor["index"]: tensor for tensor in interpreter.get_tensor_details()}
    weights = {}
    for op in interpreter._get_ops_details():
        if op["op_name"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            weights.setdefault(op["op_name"], set()).add(np.dtype(tensors[op["inputs"][1]]["dtype"]).name)
    assert weights == {"DEPTHWISE_CONV_2D": {"float32"}, "CONV_2D": {"int8"}, "FULLY_CONNECTED": {"int8"}}
    assert list_ops((out / VARIANTS[name].file).read_bytes())["DEPTHWISE_CONV_2D"] == 1


@pytest.mark.parametrize("name", ["float16", "dynamic_range"])
def test_weight_quantization_stores_the_default_network_smaller(name):
    # The converter leaves tensors under 1,024 values in float32, so this needs more than the tiny model.
    recognizer = CaptchaRecognizer(CaptchaConfig(charset="0123456789"))
    images = np.zeros((1, 32, 128, 1), "float32")
    full, quantized = convert(recognizer, VARIANTS["float32"], images), convert(recognizer, VARIANTS[name], images)
    assert len(quantized) < 0.6 * len(full)
    if name == "float16":  # float16 weights are widened by DEQUANTIZE; int8 ones feed hybrid kernels as they are
        assert "DEQUANTIZE" in list_ops(quantized)
