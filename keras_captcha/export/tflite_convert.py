"""An edge graph -> a TFLite flatbuffer, with the converter settings of each `Variant`."""

import shutil
import tempfile

import tensorflow as tf

from keras_captcha.export.edge_graph import frozen_edge_function
from keras_captcha.export.flatbuffer import compact


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
        return compact(converter.convert())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
