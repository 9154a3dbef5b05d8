"""Greedy CTC decoding in TensorFlow ops, for graphs that decode themselves.

The decoded TFLite variant and the SavedModel's `predict_bytes` signature
end with it; `keras_captcha.runtime.decode.greedy_decode` is the NumPy rule it
restates, and export checks that the two agree.
"""

import tensorflow as tf

from keras_captcha.core.vocabulary import BLANK_INDEX


def greedy_decode_graph(probabilities, max_length):
    """Greedy CTC decoding in TFLite builtin ops.

    probabilities (batch, T, C) -> label_ids (batch, max_length) int32, the
    decoded classes from the front padded with the blank; character_confidence
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
