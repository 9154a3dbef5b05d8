"""The network: conv blocks -> columns as time steps -> bidirectional GRU -> per-step classes."""

import math

import keras
import tensorflow as tf

from keras_captcha.core.config import CaptchaConfig
from keras_captcha.training.loss import CTCLoss


@keras.saving.register_keras_serializable(package="keras_captcha")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """`BatchNormalization` of (batch, height, width, channels) maps whose training
    step runs TensorFlow's fused kernel (one op forward, one backward).

    Keras builds the batch statistics from a dozen element-wise ops; the fused
    kernel takes the conv stack's training pass from 15.0 to 12.5 ms at batch
    32 (benchmarks/RESULTS.md). Inference, weights and saved files are those of
    `BatchNormalization`; the moving averages take the kernel's batch variance,
    which has Bessel's correction (n / (n - 1), n in the thousands here).
    """

    def call(self, inputs, training=None, mask=None):
        fused = (
            training and self.trainable and mask is None and not self.renorm
            and len(inputs.shape) == 4 and self.axis in (-1, 3) and self.center and self.scale
        )
        if not fused:
            return super().call(inputs, training=training, mask=mask)
        no_statistics = tf.constant([], tf.float32)
        outputs, mean, variance, *_ = tf.raw_ops.FusedBatchNormV3(
            x=inputs,
            scale=self.gamma,
            offset=self.beta,
            mean=no_statistics,
            variance=no_statistics,
            epsilon=self.epsilon,
            data_format="NHWC",
            is_training=True,
        )
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(
            self.moving_variance * self.momentum + variance * (1.0 - self.momentum)
        )
        return outputs


@keras.saving.register_keras_serializable(package="keras_captcha")
class CaptchaRecognizer(keras.Model):
    """Functional inference model: images -> per-step character probabilities.

    Input `(batch, height, width, 1)` float32 in [0, 1]; output
    `(batch, time_steps, num_classes)` softmax probabilities, classes as
    `config.vocabulary` numbers them. The `CaptchaConfig` is saved with the model (`model.config`).

    `batch_size` fixes the batch dimension (TFLite conversion needs it) and
    `inference_only` drops dropout from the graph; weights are the same in
    every variant, so `variant.set_weights(model.get_weights())` copies them.
    """

    def __init__(self, config, batch_size=None, inference_only=False, **kwargs):
        if isinstance(config, dict):
            config = CaptchaConfig.from_dict(config)
        image = keras.Input(
            (config.height, config.width, 1), batch_size=batch_size, name="image"
        )
        x = image
        if config.augment_shift and not inference_only:
            # Active only while training; shifts by up to this fraction of the size.
            x = keras.layers.RandomTranslation(
                config.augment_shift, config.augment_shift, fill_mode="nearest", name="augment"
            )(x)
        for block, (filters, pool) in enumerate(
            zip(config.conv_filters, config.conv_pools), start=1
        ):
            x = keras.layers.Conv2D(
                filters, 3, padding="same", use_bias=False, name=f"conv{block}"
            )(x)
            # Pooling first: normalising and rectifying the pooled map costs a
            # quarter as much (the full-size maps made training memory-bound).
            x = keras.layers.MaxPooling2D(pool, name=f"conv{block}_pool")(x)
            # momentum 0.9: with ~30 steps an epoch the default 0.99 lags for epochs
            x = FusedBatchNormalization(momentum=0.9, name=f"conv{block}_norm")(x)
            x = keras.layers.ReLU(name=f"conv{block}_relu")(x)
        # (batch, h, w, c) -> (batch, w, h, c) -> (batch, time_steps, h * c)
        x = keras.layers.Permute((2, 1, 3), name="columns")(x)
        x = keras.layers.Reshape(
            (config.time_steps, x.shape[2] * x.shape[3]), name="time_steps"
        )(x)
        x = keras.layers.Dense(
            config.projection_units, activation="relu", name="projection"
        )(x)
        if config.dropout and not inference_only:
            x = keras.layers.Dropout(config.dropout, name="projection_dropout")(x)
        for layer in range(1, config.rnn_layers + 1):
            x = keras.layers.Bidirectional(
                keras.layers.GRU(config.rnn_units, return_sequences=True),
                name=f"bigru{layer}",
            )(x)
        logits = keras.layers.Dense(config.num_classes, name="logits")(x)
        probabilities = keras.layers.Softmax(name="probabilities")(logits)
        super().__init__(image, probabilities, **kwargs)
        self.config = config
        self.batch_size = batch_size
        self.inference_only = inference_only

    def get_config(self):
        return {
            "name": self.name,
            "config": self.config.to_dict(),
            "batch_size": self.batch_size,
            "inference_only": self.inference_only,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def variant(self, batch_size=None, inference_only=True):
        """A copy with a fixed batch size and/or no dropout, sharing nothing but weight values."""
        copy = CaptchaRecognizer(
            self.config, batch_size=batch_size, inference_only=inference_only, name=self.name
        )
        copy.set_weights(self.get_weights())
        return copy


def set_blank_prior(recognizer, label_length):
    """Starts the output layer at CTC's prior: blank on most steps, characters uniform.

    A label of `label_length` characters over `time_steps` steps leaves about
    `time_steps - label_length` blank steps, so the blank's bias is set to
    log((time_steps - label_length) * len(charset) / label_length) above the
    characters'. From the default (uniform) start, CTC first spends epochs
    learning this all-blank output and then sits on that plateau; from here
    validation accuracy leaves 0 within two or three epochs (benchmarks/RESULTS.md).
    """
    config = recognizer.config
    if not 0 < label_length < config.time_steps:
        raise ValueError(f"label_length must be in (0, {config.time_steps}), got {label_length}")
    logits = recognizer.get_layer("logits")
    kernel, bias = logits.get_weights()
    bias[:] = 0.0
    bias[config.vocabulary.blank_index] = math.log(
        (config.time_steps - label_length) * len(config.charset) / label_length
    )
    logits.set_weights([kernel, bias])


def build_training_model(recognizer):
    """Wraps `recognizer` with the CTC loss as the endpoint of a trainable model.

    Inputs `{"image": (batch, height, width, 1) float32, "labels": (batch,
    max_length) int32 padded with 0}`; output: the probabilities, with the CTC
    loss, exact-match accuracy and character error rate attached by `CTCLoss`.
    The recognizer's weights are shared, so training this model trains it.
    """
    config = recognizer.config
    image = keras.Input((config.height, config.width, 1), name="image")
    labels = keras.Input((None,), dtype="int32", name="labels")
    probabilities = recognizer(image)
    outputs = CTCLoss(name="ctc")(labels, probabilities)
    return keras.Model({"image": image, "labels": labels}, outputs, name="captcha_trainer")
