"""An edge graph -> an ONNX model (tf2onnx), for our runtime or as a drop-in ddddocr model.

The "keras_captcha" client's file takes the model card's input (`image`,
(1, height, width, 1)) and returns `probabilities`. The "ddddocr" client's
file takes what ddddocr feeds a custom model: the gray image at the size
`charsets.json` names, NCHW (1, 1, H, W) in [0, 1]; the graph resizes it as
`keras_captcha.runtime.preprocess` does (the same triangle-kernel weights, as two
constant products) and returns log-probabilities first, since ddddocr reads
`outputs[0]` and its `probability=True` applies a softmax of its own.
"""

import collections

import numpy as np
import onnx
import tensorflow as tf
import tf2onnx

from keras_captcha.export.edge_graph import frozen_edge_function
from keras_captcha.runtime.preprocess import triangle_weights

OPSET = 17
#: The input name of the ddddocr file (ddddocr feeds its first input, whatever the name).
DDDDOCR_INPUT = "input1"


def _ddddocr_function(serve, config, source_size):
    """(1, 1, H, W) gray at `source_size` (width, height) -> {"log_probabilities"}."""
    width, height = source_size
    rows = triangle_weights(height, config.height)
    columns = np.ascontiguousarray(triangle_weights(width, config.width).T)
    low, high = config.normalisation.value_range

    @tf.function(input_signature=[tf.TensorSpec((1, 1, height, width), tf.float32, name=DDDDOCR_INPUT)])
    def read(image):
        # constants made inside the graph: captured tensors would become inputs of the ONNX file
        resized = tf.matmul(tf.matmul(tf.constant(rows), image[0, 0]), tf.constant(columns))
        resized = tf.clip_by_value(resized, low, high)
        probabilities = serve(resized[None, :, :, None])["probabilities"]
        return {"log_probabilities": tf.math.log(tf.maximum(probabilities, 1e-30))}

    return read


def convert(recognizer, variant, source_size=None):
    """`recognizer` as the ONNX file of `variant` (bytes). `source_size` (width, height): the ddddocr input size."""
    serve = frozen_edge_function(recognizer, variant)
    function = _ddddocr_function(serve, recognizer.config, source_size) if variant.client == "ddddocr" else serve
    model, _ = tf2onnx.convert.from_function(function, input_signature=function.input_signature, opset=OPSET)
    return model.SerializeToString()


def list_ops(onnx_bytes):
    """Every op type of an ONNX model, subgraphs included, with counts."""
    counts = collections.Counter()

    def count(graph):
        for node in graph.node:
            counts[node.op_type] += 1
            for attribute in node.attribute:
                if attribute.type == onnx.AttributeProto.GRAPH:
                    count(attribute.g)

    count(onnx.load_from_string(onnx_bytes).graph)
    return dict(sorted(counts.items()))


def ddddocr_charsets(vocabulary, source_size):
    """The `charsets.json` ddddocr reads beside a custom model: class texts ("" for the blank), size, gray."""
    return {
        "charset": [vocabulary.decode([class_id]) for class_id in range(vocabulary.num_classes)],
        "word": False,
        "image": list(source_size),
        "channel": 1,
    }
