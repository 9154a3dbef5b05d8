"""What each exported model file is: one record per variant, read by the exporter and the card.

    VARIANTS["int8"].file == "captcha_int8.tflite"
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Variant:
    """One exported model file.

    `gru`: how the edge graph runs the recurrent layer ("while": one WHILE
    loop; "unrolled": one step per time step sharing constant weights, which
    int8 calibration needs). `quantization`: "none", "dynamic_range" (int8
    weights), "float16" (float16 weights) or "int8" (full integer, calibrated
    on training images). `decoded`: the graph ends with greedy CTC decoding
    (`label_ids`, `character_confidence`, `confidence` outputs).
    `required_agreement`: the share of validation images whose text must
    equal the Keras model's for the export to succeed.
    """

    name: str
    file: str
    gru: str
    quantization: str
    decoded: bool
    required_agreement: float


VARIANTS = {
    variant.name: variant
    for variant in (
        Variant("float32", "captcha_float32.tflite", "while", "none", False, 1.0),
        Variant("dynamic_range", "captcha_dynamic_range.tflite", "while", "dynamic_range", False, 0.995),
        Variant("float16", "captcha_float16.tflite", "while", "float16", False, 1.0),
        Variant("int8", "captcha_int8.tflite", "unrolled", "int8", False, 0.995),
        Variant("decoded", "captcha_decoded.tflite", "unrolled", "int8", True, 0.995),
    )
}
#: The variant `keras-captcha predict` and the server use when no model is named.
DEFAULT_VARIANT = "int8"
