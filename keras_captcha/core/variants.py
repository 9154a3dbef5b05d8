"""What each exported model file is: one record per variant, read by the exporter and the card.

    VARIANTS["int8"].file == "captcha_int8.tflite"
"""

import dataclasses

#: How an edge graph may run the recurrent layer (`keras_captcha.export.edge_graph` builds each).
GRU_FORMS = ("unrolled", "block_diagonal")
#: The quantizations a variant may have, and the formats and clients a file may be for.
QUANTIZATIONS = ("none", "dynamic_range", "float16", "int8")
FORMATS = ("tflite", "onnx")
CLIENTS = ("keras_captcha", "ddddocr")


@dataclasses.dataclass(frozen=True)
class Variant:
    """One exported model file.

    `gru`: how the edge graph runs the recurrent layer, one step per time
    step sharing constant weights ("unrolled": the directions batched;
    "block_diagonal": the directions one state, which int8 runs faster and
    float slower, `python benchmarks/gru_forms.py`). `quantization`: "none", "dynamic_range" (int8
    weights), "float16" (float16 weights) or "int8" (integer weights and
    activations, calibrated on training images). `decoded`: the graph ends with greedy CTC decoding
    (`label_ids`, `character_confidence`, `confidence` outputs).
    `float_input_conv`: a quantized file keeps the first convolution (it reads
    the one-channel image: 9 multiply-adds an output, 144 weights) in float32;
    on CPUs without 8-bit dot products (AVX2) its int8 form costs about 6 times
    the float one (benchmarks/RESULTS.md, "Session 26").
    `required_agreement`: the share of validation images whose text must
    equal the Keras model's for the export to succeed. `format`: "tflite"
    (LiteRT) or "onnx" (onnxruntime). `client`: who feeds the file:
    "keras_captcha" (an NHWC image at the model's size, as the model card
    says -> `probabilities`) or "ddddocr" (the NCHW gray image at the size
    in `charsets.json`, as ddddocr feeds its models -> log-probabilities, the
    resize inside the graph).
    """

    name: str
    file: str
    gru: str
    quantization: str
    decoded: bool
    required_agreement: float
    format: str = "tflite"
    client: str = "keras_captcha"
    float_input_conv: bool = False


VARIANTS = {
    variant.name: variant
    for variant in (
        Variant("float32", "captcha_float32.tflite", "unrolled", "none", False, 1.0),
        Variant("dynamic_range", "captcha_dynamic_range.tflite", "unrolled", "dynamic_range", False, 0.995),
        Variant("float16", "captcha_float16.tflite", "unrolled", "float16", False, 1.0),
        Variant("int8", "captcha_int8.tflite", "block_diagonal", "int8", False, 0.995, float_input_conv=True),
        Variant("decoded", "captcha_decoded.tflite", "block_diagonal", "int8", True, 0.995, float_input_conv=True),
        Variant("onnx", "captcha.onnx", "unrolled", "none", False, 1.0, format="onnx"),
        Variant("ddddocr", "ddddocr/captcha.onnx", "unrolled", "none", False, 1.0, format="onnx", client="ddddocr"),
    )
}
#: The variant `keras-captcha predict` and the server use when no model is named.
DEFAULT_VARIANT = "int8"
#: The file beside a ddddocr variant that tells ddddocr its charset and input size.
DDDDOCR_CHARSETS = "charsets.json"
