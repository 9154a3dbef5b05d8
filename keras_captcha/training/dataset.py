"""Checked samples -> tf.data batches: the training twin of `keras_captcha.runtime.preprocess`.

`decode_image` follows the model's `Normalisation` in TensorFlow ops; the
tests pin it to the NumPy `preprocess.preprocess`. Listing and checking the
files is `keras_captcha.runtime.datasets`, which needs no TensorFlow; the
public dataset's download is `keras_captcha.training.download`.
"""

import numpy as np
import tensorflow as tf

from keras_captcha.core.config import Normalisation
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.images import check_image


def decode_image(encoded, height, width, normalisation=Normalisation()):
    """Encoded PNG/JPEG/BMP/GIF/WebP bytes (scalar tf.string) -> (height, width, 1) float32.

    Follows `normalisation` step by step: gray from the colour channels,
    alpha over the background, GIFs' first frame, the bilinear resize with
    antialiasing (it keeps thin strokes that plain bilinear sampling skips
    when shrinking), clipped to the value range.
    """
    image = tf.image.convert_image_dtype(_decode_pixels(encoded), tf.float32)
    channels = tf.shape(image)[-1]
    has_alpha = tf.equal(channels % 2, 0)
    alpha = tf.where(has_alpha, image[..., -1:], tf.ones_like(image[..., :1]))
    color_channels = channels - tf.cast(has_alpha, tf.int32)
    color = image[..., :color_channels]
    gray = tf.cond(
        tf.equal(color_channels, 3),
        lambda: tf.reduce_sum(color * tf.constant(normalisation.gray_weights), -1, keepdims=True),
        lambda: color[..., :1],
    )
    gray = gray * alpha + normalisation.background * (1.0 - alpha)
    gray = tf.ensure_shape(gray, (None, None, 1))
    resized = tf.image.resize(
        gray, (height, width), method=normalisation.resize, antialias=normalisation.antialias
    )
    return tf.clip_by_value(resized, *normalisation.value_range)  # the kernel can overshoot by an ulp


def _decode_pixels(encoded):
    """Encoded bytes -> (h, w, c) uint8, JPEGs with the exact integer DCT that Pillow and browsers use.

    `decode_image` picks TensorFlow's default fast DCT for JPEGs, whose pixels
    differ by up to 5 levels from what `keras_captcha.runtime.images` reads:
    a model would train on other pixels than it is served.
    """
    return tf.cond(
        tf.io.is_jpeg(encoded),
        lambda: tf.io.decode_jpeg(encoded, channels=0, dct_method="INTEGER_ACCURATE"),
        lambda: tf.io.decode_image(encoded, channels=0, expand_animations=False),
    )


def encode_labels(labels, vocabulary):
    """Labels -> (n, max_length) int32 class ids, padded with the blank."""
    ids = np.full((len(labels), max(map(len, labels))), vocabulary.blank_index, dtype=np.int32)
    for row, label in enumerate(labels):
        ids[row, : len(label)] = vocabulary.encode(label)
    return ids


def make_dataset(samples, config, batch_size=32, shuffle=False, seed=0, passes=1):
    """Samples -> cached, prefetched batches of `{"image", "labels"}`, going `passes` times over them.

    `image` is (batch, height, width, 1) float32, `labels` (batch, max_length)
    int32 class ids padded with the blank. Every label is checked against `config`
    first (`CaptchaError` names the file). `shuffle` mixes all the passes together.
    """
    for path, label in samples:
        config.check_label(label, path)
    paths = [path for path, _ in samples]
    labels = encode_labels([label for _, label in samples], config.vocabulary)
    dataset = tf.data.Dataset.from_tensor_slices((paths, labels))
    dataset = dataset.map(
        lambda path, ids: {
            "image": decode_image(
                tf.io.read_file(path), config.height, config.width, config.normalisation
            ),
            "labels": ids,
        },
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    ).cache().repeat(passes)
    if shuffle:
        dataset = dataset.shuffle(passes * len(samples), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_images(paths, config):
    """Image files -> (n, height, width, 1) float32 array, each file checked first."""
    images = []
    for path in paths:
        check_image(path)
        try:
            images.append(decode_image(
                tf.io.read_file(str(path)), config.height, config.width, config.normalisation
            ).numpy())
        except tf.errors.InvalidArgumentError as error:
            reason = error.message.strip().splitlines()[0]
            raise CaptchaError(f"{path}: TensorFlow cannot decode this image ({reason})") from None
    return np.stack(images)
