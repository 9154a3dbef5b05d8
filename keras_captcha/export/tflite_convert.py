"""An edge graph -> a TFLite flatbuffer, with the converter settings of each `Variant`."""

import shutil
import tempfile
import warnings

import tensorflow as tf

from keras_captcha.export.edge_graph import frozen_edge_function
from keras_captcha.export.flatbuffer import compact


#: The op the int8 quantizer leaves in float32 for a variant with `float_input_conv`: the edge
#: graph writes the input convolution, and only it, as one. (The TF 2.21 quantizer ignores the
#: debugger's `denylisted_nodes`; its `denylisted_ops` works.)
FLOAT_INPUT_CONV_OP = "DEPTHWISE_CONV_2D"


def _configure(converter, variant, calibration_images):
    """Sets the converter's optimisation, types and ops for `variant.quantization`."""
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if variant.quantization == "none":
        return
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant.quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif variant.quantization == "int8":
        converter.representative_dataset = lambda: ([image[None]] for image in calibration_images)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    elif variant.quantization != "dynamic_range":
        raise ValueError(f"unknown quantization {variant.quantization!r}")


def convert(recognizer, variant, calibration_images):
    """Converts `recognizer` to `variant` (a `keras_captcha.core.variants.Variant`); returns the compacted bytes.

    calibration_images: (n, height, width, 1) float32, used by int8 variants.
    """
    serve = frozen_edge_function(recognizer, variant)
    module = tf.Module()
    module.serve = serve
    scratch = tempfile.mkdtemp(prefix="keras_captcha_edge_")
    try:
        # Through a SavedModel, so the .tflite gets a signature with named tensors.
        tf.saved_model.save(module, scratch, signatures={"serving_default": serve.get_concrete_function()})
        converter = tf.lite.TFLiteConverter.from_saved_model(scratch)
        _configure(converter, variant, calibration_images)
        if variant.quantization == "int8" and variant.float_input_conv:
            return compact(_quantize_all_but(FLOAT_INPUT_CONV_OP, converter))
        return compact(converter.convert())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _quantize_all_but(op, converter):
    """The configured int8 converter's model with every `op` left in float32 (calibrates once)."""
    converter.target_spec.supported_ops.append(tf.lite.OpsSet.TFLITE_BUILTINS)  # the float op beside the int8 ones
    with warnings.catch_warnings():  # the debugger opens its model with TF's deprecated interpreter
        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter,
            debug_dataset=converter.representative_dataset,
            debug_options=tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=[op]),
        )
    return debugger.get_nondebug_quantized_model()
