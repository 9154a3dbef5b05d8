"""The recognizer as an edge graph: a GRU whose weights are shared constants, for TFLite and ONNX.

Keras' GRU converts to a WHILE loop over TensorLists that int8 calibration
crashes on, and `unroll=True` stores the recurrent weights once per step. Here
the same trained weights run in a GRU written with plain TensorFlow ops, its
time steps unrolled in Python, each weight one constant every step reads (a
`tf.while_loop` of the same steps also crashes the calibrator, and LiteRT
runs it slower than the unrolled steps even in float, benchmarks/RESULTS.md):

* the "unrolled" form unrolls the time steps in Python, both directions advancing
  together through one BATCH_MATMUL with a (2, units, 3 * units) constant, so
  every step reads the same weight tensor and calibration works;
* the "block_diagonal" form unrolls them too, both directions as one state of
  2 * units through one FULLY_CONNECTED with a block-diagonal (2 * units,
  6 * units) constant: half its weights are zeros, but int8 runs it faster
  (benchmarks/RESULTS.md, "GRU forms").

Everything else (conv blocks, projection, output) runs the model's own Keras
layers in inference mode, in the variant without dropout or augmentation;
for a variant with `float_input_conv` the first convolution, whose input has
one channel, runs as the depthwise convolution it equals (one filter per
output channel), the graph's only DEPTHWISE_CONV_2D, so that the int8
quantizer can leave exactly that op in float32 (`tflite_convert`).
"""

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from keras_captcha.export.decode_graph import greedy_decode_graph


def _gru_weights(gru):
    """(kernel (F, 3u), recurrent kernel (u, 3u), input bias (3u,), recurrent bias (3u,))."""
    cell = gru.cell
    if not cell.reset_after or not cell.use_bias:
        raise ValueError("edge export supports Keras' default GRU (reset_after, with bias)")
    kernel, recurrent, bias = (np.asarray(w, np.float32) for w in gru.get_weights())
    return kernel, recurrent, bias[0], bias[1]


def _gru_step(x_zr, x_h, h, recurrent, recurrent_bias, units, axis):
    """One GRU step (Keras gate order z, r, h; reset applied after the matmul)."""
    projected = tf.matmul(h, recurrent) + recurrent_bias
    h_zr, h_h = tf.split(projected, [2 * units, units], axis=axis)
    z, r = tf.split(tf.sigmoid(x_zr + h_zr), 2, axis=axis)
    candidate = tf.tanh(x_h + r * h_h)
    return candidate + z * (h - candidate)


def _unrolled_steps(x_zr, x_h, h, recurrent, recurrent_bias, units, axis):
    """The state after each `_gru_step` from `h`, one step per element of the
    per-step input lists `x_zr` and `x_h`, every step reading the same constants."""
    states = []
    for step_zr, step_h in zip(x_zr, x_h):
        h = _gru_step(step_zr, step_h, h, recurrent, recurrent_bias, units, axis)
        states.append(h)
    return states


def _project_inputs(x, forward, backward):
    """x (T, F) -> the input projections (T, 3u) of the forward direction and, for the
    backward one, of x reversed in time: each direction's step t reads row t."""
    ahead = tf.matmul(x, tf.constant(forward[0])) + tf.constant(forward[2])
    behind = tf.matmul(tf.reverse(x, [0]), tf.constant(backward[0])) + tf.constant(backward[2])
    return ahead, behind


def _join_directions(states):
    """(T, 2u) states of step t, [forward | backward], -> (T, 2u) outputs in time order
    (the backward direction's step t is time T - 1 - t)."""
    ahead, behind = tf.split(states, 2, axis=1)
    return tf.concat([ahead, tf.reverse(behind, [0])], axis=1)


def _bigru_unrolled(x, forward, backward):
    """x (T, F) -> (T, 2u), unrolled; both directions share one BATCH_MATMUL per step."""
    steps, units = int(x.shape[0]), forward[1].shape[0]
    ahead, behind = _project_inputs(x, forward, backward)
    projected = tf.reshape(tf.stack([ahead, behind], axis=1), (steps, 2, 1, 3 * units))
    x_zr, x_h = (tf.unstack(part) for part in tf.split(projected, [2 * units, units], axis=3))
    recurrent = tf.constant(np.stack([forward[1], backward[1]]))
    recurrent_bias = tf.constant(np.stack([forward[3], backward[3]])[:, None, :])
    states = _unrolled_steps(x_zr, x_h, tf.zeros((2, 1, units)), recurrent, recurrent_bias, units, 2)
    return _join_directions(tf.reshape(tf.stack(states), (steps, 2 * units)))


def _bigru_block_diagonal(x, forward, backward):
    """x (T, F) -> (T, 2u), unrolled; the two directions are one (1, 2u) state.

    Gate columns interleave the directions, [z_f z_b r_f r_b h_f h_b], so one
    GRU step of 2u units (`_gru_step`) advances both at once.
    """
    steps, units = int(x.shape[0]), forward[1].shape[0]
    ahead, behind = _project_inputs(x, forward, backward)
    by_gate = tf.transpose(tf.reshape(tf.stack([ahead, behind], axis=1), (steps, 2, 3, units)), (0, 2, 1, 3))
    x_zr, x_h = tf.split(tf.reshape(by_gate, (steps, 1, 6 * units)), [4 * units, 2 * units], axis=2)
    x_zr, x_h = tf.unstack(x_zr), tf.unstack(x_h)
    recurrent = np.zeros((2 * units, 6 * units), np.float32)
    recurrent_bias = np.zeros(6 * units, np.float32)
    for gate in range(3):
        for direction, weights in enumerate((forward, backward)):
            rows = slice(direction * units, (direction + 1) * units)
            columns = slice((2 * gate + direction) * units, (2 * gate + direction + 1) * units)
            recurrent[rows, columns] = weights[1][:, gate * units:(gate + 1) * units]
            recurrent_bias[columns] = weights[3][gate * units:(gate + 1) * units]
    recurrent, recurrent_bias = tf.constant(recurrent), tf.constant(recurrent_bias)
    states = _unrolled_steps(x_zr, x_h, tf.zeros((1, 2 * units)), recurrent, recurrent_bias, 2 * units, 1)
    return _join_directions(tf.concat(states, axis=0))


def _normalise_before_pooling(layers):
    """Moves each inference batch norm in front of the max pooling before it.

    A batch norm at inference is a per-channel `x * scale + offset`; with every
    scale positive it commutes with max pooling, and placed right after the
    convolution the converter folds it into the CONV_2D weights (one MUL and
    one ADD fewer per block). A block with a scale <= 0 keeps its order.
    """
    ordered = list(layers)
    for index in range(1, len(ordered) - 1):
        pool, norm = ordered[index], ordered[index + 1]
        if not (
            isinstance(ordered[index - 1], keras.layers.Conv2D)
            and isinstance(pool, keras.layers.MaxPooling2D)
            and isinstance(norm, keras.layers.BatchNormalization)
        ):
            continue
        scale = np.asarray(norm.gamma) / np.sqrt(np.asarray(norm.moving_variance) + norm.epsilon)
        if (scale > 0).all():
            ordered[index], ordered[index + 1] = norm, pool
    return ordered


def _as_depthwise(conv):
    """A one-input-channel Keras Conv2D -> the same map as a depthwise convolution, x -> y.

    kernel (kh, kw, 1, filters) is a depthwise kernel with channel multiplier `filters`.
    """
    kernel_shape = tuple(conv.kernel.shape)
    if (kernel_shape[2] != 1 or conv.use_bias or tuple(conv.strides) != (1, 1)
            or tuple(conv.dilation_rate) != (1, 1) or conv.activation is not keras.activations.linear):
        raise ValueError(f"edge export: {conv.name} is not a plain one-channel convolution")
    padding = conv.padding.upper()
    return lambda x, training=False: tf.nn.depthwise_conv2d(
        x, tf.reshape(conv.kernel.value, kernel_shape), [1, 1, 1, 1], padding
    )


#: GRU form -> the function that runs one bidirectional layer, x (T, F) -> (T, 2u)
#: `keras_captcha.core.variants.GRU_FORMS` -> the function that builds that form.
BIGRU_BUILDERS = {"unrolled": _bigru_unrolled, "block_diagonal": _bigru_block_diagonal}


def edge_function(recognizer, form, decoded=False, depthwise_input_conv=False):
    """A tf.function (1, height, width, 1) float32 -> {"probabilities", ...} for conversion.

    `form` is one of `GRU_FORMS`; `decoded` adds the outputs of
    `greedy_decode_graph` (`label_ids`, `character_confidence`, `confidence`);
    `depthwise_input_conv` runs the first convolution as a depthwise one.
    """
    config = recognizer.config
    bigru = BIGRU_BUILDERS[form]
    layers, gru_weights = [], {}
    for layer in recognizer.variant(batch_size=1, inference_only=True).layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Bidirectional):
            gru_weights[layer.name] = (
                _gru_weights(layer.forward_layer),
                _gru_weights(layer.backward_layer),
            )
        layers.append(layer)
    layers = _normalise_before_pooling(layers)
    calls = {layer.name: layer for layer in layers}
    if depthwise_input_conv:
        first = next(layer for layer in layers if isinstance(layer, keras.layers.Conv2D))
        calls[first.name] = _as_depthwise(first)

    @tf.function(
        input_signature=[tf.TensorSpec((1, config.height, config.width, 1), tf.float32, name="image")]
    )
    def forward(image):
        x = image
        for layer in layers:
            if layer.name in gru_weights:
                x = bigru(x[0], *gru_weights[layer.name])[None]
            else:
                x = calls[layer.name](x, training=False)
        outputs = {"probabilities": x}
        if decoded:
            label_ids, character_confidence, confidence = greedy_decode_graph(x, config.time_steps)
            outputs.update(
                label_ids=label_ids, character_confidence=character_confidence, confidence=confidence
            )
        return outputs

    return forward


def frozen_edge_function(recognizer, variant):
    """The variant's edge graph with its variables folded into constants (no variable ops).

    Returns a tf.function of the same signature as `edge_function`; the
    TFLite and ONNX converters start from it.
    """
    forward = edge_function(
        recognizer, variant.gru, decoded=variant.decoded, depthwise_input_conv=variant.float_input_conv
    )
    concrete = forward.get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete)

    @tf.function(input_signature=forward.input_signature)
    def serve(image):
        return tf.nest.pack_sequence_as(concrete.structured_outputs, tf.nest.flatten(frozen(image)))

    return serve
