"""The CTC loss endpoint layer and the metrics it reports while training."""

import keras
import tensorflow as tf
from keras import ops

from keras_captcha.core.vocabulary import BLANK_INDEX


@keras.saving.register_keras_serializable(package="keras_captcha")
class CharacterErrorRate(keras.metrics.Metric):
    """Edit distance summed over samples, divided by the number of target characters."""

    def __init__(self, name="cer", **kwargs):
        super().__init__(name=name, **kwargs)
        self.edits = self.add_variable((), initializer="zeros", name="edits")
        self.characters = self.add_variable((), initializer="zeros", name="characters")

    def update_state(self, edits, characters):
        self.edits.assign_add(ops.sum(ops.cast(edits, "float32")))
        self.characters.assign_add(ops.sum(ops.cast(characters, "float32")))

    def result(self):
        return self.edits / ops.maximum(self.characters, 1.0)


@keras.saving.register_keras_serializable(package="keras_captcha")
class CTCLoss(keras.layers.Layer):
    """Endpoint layer: adds the mean CTC loss and passes the probabilities through.

    Call with `labels` (batch, max_length) int32, ids 1..n padded with the
    blank 0, and `probabilities` (batch, time_steps, classes) softmax output.
    The loss is TensorFlow's CTC on the log-probabilities (a valid set of
    logits, since log-softmax of log p is log p). It also tracks greedy-decoded
    exact-match `accuracy` and character error rate `cer`, which Keras reports
    for training and (prefixed `val_`) validation every epoch.
    """

    def __init__(self, epsilon=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.accuracy = keras.metrics.Mean(name="accuracy")
        self.cer = CharacterErrorRate(name="cer")

    def call(self, labels, probabilities):
        labels = ops.cast(labels, "int32")
        label_length = ops.sum(ops.cast(ops.not_equal(labels, BLANK_INDEX), "int32"), -1)
        batch_size, time_steps = ops.shape(probabilities)[0], ops.shape(probabilities)[1]
        output_length = ops.full((batch_size,), time_steps, dtype="int32")
        log_probabilities = ops.log(probabilities + self.epsilon)
        # tf.nn.ctc_loss on sparse labels runs TensorFlow's fused CTC kernel;
        # keras.ops.ctc_loss passes dense labels, which take a graph-built
        # forward-backward pass four times slower on CPU (benchmarks/RESULTS.md).
        loss = tf.nn.ctc_loss(
            tf.sparse.from_dense(labels),
            log_probabilities,
            label_length=None,
            logit_length=output_length,
            logits_time_major=False,
            blank_index=BLANK_INDEX,
        )
        self.add_loss(ops.mean(loss))

        decoded, _ = ops.ctc_decode(
            log_probabilities, output_length, strategy="greedy", mask_index=BLANK_INDEX
        )
        decoded = ops.cast(ops.maximum(decoded[0], BLANK_INDEX), "int64")  # -1 pad -> 0
        # tf.edit_distance is the one op keras.ops lacks; sparse drops the padding.
        edits = tf.edit_distance(
            tf.sparse.from_dense(decoded),
            tf.sparse.from_dense(ops.cast(labels, "int64")),
            normalize=False,
        )
        edits = ops.reshape(edits, (-1,))  # the op's static rank is unknown
        self.accuracy.update_state(ops.cast(ops.equal(edits, 0.0), "float32"))
        self.cer.update_state(edits, label_length)
        return probabilities

    def compute_output_spec(self, labels, probabilities):
        return keras.KerasTensor(probabilities.shape, dtype=probabilities.dtype)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
