"""The recognizer rewritten for TFLite: a GRU whose weights are shared constants.

Keras' GRU converts to a WHILE loop over TensorLists that int8 calibration
crashes on, and `unroll=True` stores the recurrent weights once per step. Here
the same trained weights run in a GRU written with plain TensorFlow ops:

* float variants use one `tf.while_loop` (a WHILE op; each weight stored once);
* int8 variants unroll the time steps in Python, both directions advancing
  together through one BATCH_MATMUL with a (2, units, 3 * units) constant, so
  every step reads the same weight tensor and calibration works.

Everything else (conv blocks, projection, output) runs the model's own Keras
layers in inference mode, in the variant without dropout or augmentation.
"""

import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_captcha.config import BLANK_INDEX

#: variant -> (GRU form, converter settings)
FORMS = {
    "float32": "while",
    "float16": "while",
    "dynamic_range": "while",
    "int8": "unrolled",
    "decoded": "unrolled",
}


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


def _bigru_while(x, forward, backward):
    """x (T, F) -> (T, 2u), both directions in one WHILE loop."""
    steps, units = int(x.shape[0]), forward[1].shape[0]
    inputs = [tf.matmul(x, tf.constant(w[0])) + tf.constant(w[2]) for w in (forward, backward)]
    recurrents = [tf.constant(w[1]) for w in (forward, backward)]
    biases = [tf.constant(w[3]) for w in (forward, backward)]
    rows = tf.constant(np.eye(steps, dtype=np.float32)[:, :, None])  # one-hot row writes

    def body(i, states, outputs):
        new_states, new_outputs = [], []
        for direction in range(2):
            t = steps - 1 - i if direction else i
            x_zr, x_h = tf.split(tf.gather(inputs[direction], t), [2 * units, units], axis=0)
            h = _gru_step(x_zr, x_h, states[direction], recurrents[direction], biases[direction], units, 1)
            new_states.append(h)
            new_outputs.append(outputs[direction] + tf.gather(rows, t) * h)
        return i + 1, new_states, new_outputs

    initial = ([tf.zeros((1, units))] * 2, [tf.zeros((steps, units))] * 2)
    _, _, (ahead, behind) = tf.while_loop(
        lambda i, *_: i < steps, body, (tf.constant(0), *initial), maximum_iterations=steps
    )
    return tf.concat([ahead, behind], axis=1)


def _bigru_unrolled(x, forward, backward):
    """x (T, F) -> (T, 2u), unrolled; both directions share one BATCH_MATMUL per step."""
    steps, units = int(x.shape[0]), forward[1].shape[0]
    ahead = tf.matmul(x, tf.constant(forward[0])) + tf.constant(forward[2])
    behind = tf.matmul(tf.reverse(x, [0]), tf.constant(backward[0])) + tf.constant(backward[2])
    projected = tf.reshape(tf.stack([ahead, behind], axis=1), (steps, 2, 1, 3 * units))
    x_zr, x_h = (tf.unstack(part) for part in tf.split(projected, [2 * units, units], axis=3))
    recurrent = tf.constant(np.stack([forward[1], backward[1]]))
    recurrent_bias = tf.constant(np.stack([forward[3], backward[3]])[:, None, :])
    h = tf.zeros((2, 1, units))
    states = []
    for t in range(steps):
        h = _gru_step(x_zr[t], x_h[t], h, recurrent, recurrent_bias, units, 2)
        states.append(h)
    ahead, behind = tf.split(tf.reshape(tf.stack(states), (steps, 2 * units)), 2, axis=1)
    return tf.concat([ahead, tf.reverse(behind, [0])], axis=1)


def greedy_decode_graph(probabilities, max_length):
    """Greedy CTC decoding in TFLite builtin ops.

    probabilities (batch, T, C) -> label_ids (batch, max_length) int32, the
    decoded classes from the front padded with 0; character_confidence
    (batch, max_length) float32, each character's probability (0 in the
    padding); confidence (batch,) float32, the smallest per-step maximum.
    """
    best = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
    best_probability = tf.reduce_max(probabilities, axis=-1)
    previous = tf.concat([tf.fill([tf.shape(best)[0], 1], BLANK_INDEX), best[:, :-1]], axis=1)
    emitted = tf.logical_and(tf.not_equal(best, BLANK_INDEX), tf.not_equal(best, previous))
    slot = tf.cumsum(tf.cast(emitted, tf.int32), axis=1) - 1
    placed = tf.logical_and(
        tf.equal(slot[..., None], tf.range(max_length)[None, None, :]), emitted[..., None]
    )
    # ids in int32 arithmetic: int8 quantisation must not touch them
    label_ids = tf.reduce_sum(tf.cast(placed, tf.int32) * best[..., None], axis=1)
    character_confidence = tf.reduce_sum(
        tf.cast(placed, tf.float32) * best_probability[..., None], axis=1
    )
    confidence = tf.reduce_min(best_probability, axis=-1)
    return label_ids, character_confidence, confidence


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


def edge_function(recognizer, form, decoded=False):
    """A tf.function (1, height, width, 1) float32 -> {"probabilities", ...} for conversion."""
    config = recognizer.config
    bigru = _bigru_while if form == "while" else _bigru_unrolled
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

    @tf.function(
        input_signature=[tf.TensorSpec((1, config.height, config.width, 1), tf.float32, name="image")]
    )
    def forward(image):
        x = image
        for layer in layers:
            if layer.name in gru_weights:
                x = bigru(x[0], *gru_weights[layer.name])[None]
            else:
                x = layer(x, training=False)
        outputs = {"probabilities": x}
        if decoded:
            label_ids, character_confidence, confidence = greedy_decode_graph(x, config.time_steps)
            outputs.update(
                label_ids=label_ids, character_confidence=character_confidence, confidence=confidence
            )
        return outputs

    return forward


def convert(recognizer, variant, calibration_images):
    """Converts `recognizer` to the named TFLite variant; returns the compacted flatbuffer bytes.

    calibration_images: (n, height, width, 1) float32, used by the int8 variants.
    """
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    forward = edge_function(recognizer, FORMS[variant], decoded=variant == "decoded")
    concrete = forward.get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete)  # no variable ops in the graph

    @tf.function(input_signature=forward.input_signature)
    def serve(image):
        return tf.nest.pack_sequence_as(concrete.structured_outputs, tf.nest.flatten(frozen(image)))

    module = tf.Module()
    module.serve = serve
    scratch = tempfile.mkdtemp(prefix="keras_captcha_edge_")
    try:
        # Through a SavedModel, so the .tflite gets a signature with named tensors.
        tf.saved_model.save(module, scratch, signatures={"serving_default": serve.get_concrete_function()})
        converter = tf.lite.TFLiteConverter.from_saved_model(scratch)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if variant != "float32":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if variant == "float16":
            converter.target_spec.supported_types = [tf.float16]
        if variant in ("int8", "decoded"):
            converter.representative_dataset = lambda: ([image[None]] for image in calibration_images)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        return compact(converter.convert())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def compact(tflite_bytes):
    """Shrinks a flatbuffer without changing what it computes.

    Drops tensor names (the signature keeps the input and output names),
    points every tensor without constant data at the shared empty buffer 0,
    and writes identical quantisation tables, option tables and small vectors
    once (flatbuffers allow shared sub-objects; the runtime only reads them).
    The unrolled int8 graph shrinks by about a third.
    """
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(tflite_bytes))
    model.description = None
    used = {0}
    for subgraph in model.subgraphs:
        subgraph.name = None
        for tensor in subgraph.tensors:
            tensor.name = None
            buffer = model.buffers[tensor.buffer]
            if buffer.data is None or len(buffer.data) == 0:
                if not getattr(buffer, "size", 0):
                    tensor.buffer = 0
            used.add(tensor.buffer)
    used.update(entry.buffer for entry in model.metadata or [])
    order = sorted(used)
    renumber = {old: new for new, old in enumerate(order)}
    model.buffers = [model.buffers[i] for i in order]
    for subgraph in model.subgraphs:
        for tensor in subgraph.tensors:
            tensor.buffer = renumber[tensor.buffer]
    for entry in model.metadata or []:
        entry.buffer = renumber[entry.buffer]

    cache = {}
    create_vector = flatbuffers.Builder.CreateNumpyVector

    def shared_vector(builder, values):
        values = np.asarray(values)
        if values.dtype == np.uint8 and values.size > 64:  # weights: never merged
            return create_vector(builder, values)
        key = ("vector", values.dtype.str, values.shape, values.tobytes())
        if key not in cache:
            cache[key] = create_vector(builder, values)
        return cache[key]

    tables = [schema.QuantizationParametersT] + [
        getattr(schema, name) for name in dir(schema)
        if name.endswith("OptionsT") and hasattr(getattr(schema, name), "Pack")
    ]
    originals = {cls: cls.Pack for cls in tables}
    try:
        flatbuffers.Builder.CreateNumpyVector = shared_vector
        for cls in tables:
            cls.Pack = _memoised(cls, originals[cls], cache)
        return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    finally:
        flatbuffers.Builder.CreateNumpyVector = create_vector
        for cls, pack in originals.items():
            cls.Pack = pack


def _memoised(cls, pack, cache):
    """`cls.Pack` that writes an identical table once and reuses its offset."""

    def pack_once(self, builder):
        fields = tuple(
            (name, value.tobytes() if isinstance(value, np.ndarray)
             else tuple(value) if isinstance(value, list) else value)
            for name, value in sorted(vars(self).items())
        )
        try:
            key = (cls.__name__, fields)
            hash(key)
        except TypeError:  # a nested table: write it as it is
            return pack(self, builder)
        if key not in cache:
            cache[key] = pack(self, builder)
        return cache[key]

    return pack_once
