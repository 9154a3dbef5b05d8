"""The SavedModel for TF Serving: `serving_default` (images -> probabilities) and
`predict_bytes` (encoded image files -> text and confidence), the model card as an asset."""

import pathlib

import tensorflow as tf

from keras_captcha.core.errors import CaptchaError
from keras_captcha.export.decode_graph import greedy_decode_graph
from keras_captcha.training.dataset import decode_image
from keras_captcha.training.keras_predictor import SavedModelPredictor

DIR_NAME = "saved_model"


class CaptchaServing(tf.Module):
    """The SavedModel's two signatures around a dynamic-batch, dropout-free recognizer."""

    def __init__(self, recognizer, card_path):
        super().__init__()
        self.model = recognizer
        self.model_card = tf.saved_model.Asset(str(card_path))
        config = recognizer.config
        vocabulary = config.vocabulary
        # class id -> its text ("" for the blank)
        self.class_texts = tf.constant([vocabulary.decode([i]) for i in range(vocabulary.num_classes)])
        self.serve = tf.function(
            self._serve,
            input_signature=[
                tf.TensorSpec([None, config.height, config.width, 1], tf.float32, name="images")
            ],
        )
        self.predict_bytes = tf.function(
            self._predict_bytes,
            input_signature=[tf.TensorSpec([None], tf.string, name="encoded_images")],
        )

    def _serve(self, images):
        return {"probabilities": self.model(images, training=False)}

    def _predict_bytes(self, encoded_images):
        config = self.model.config
        images = tf.map_fn(
            lambda encoded: decode_image(encoded, config.height, config.width, config.normalisation),
            encoded_images,
            fn_output_signature=tf.TensorSpec((config.height, config.width, 1), tf.float32),
        )
        probabilities = self.model(images, training=False)
        ids, _, confidence = greedy_decode_graph(probabilities, config.time_steps)
        text = tf.strings.reduce_join(tf.gather(self.class_texts, ids), axis=-1)
        return {"text": text, "confidence": confidence}


def save(recognizer, path, card_path):
    """Writes the SavedModel with `serving_default` and `predict_bytes` signatures."""
    module = CaptchaServing(recognizer.variant(batch_size=None), card_path)
    tf.saved_model.save(
        module,
        str(path),
        signatures={"serving_default": module.serve, "predict_bytes": module.predict_bytes},
    )


def check(path, images, expected_texts, samples):
    """Raises `CaptchaError` unless both signatures of the SavedModel at `path` read `expected_texts`.

    images: (n, height, width, 1) float32 of `samples`, whose files feed `predict_bytes`.
    """
    predictor = SavedModelPredictor(path)
    texts = [reading.text for reading in predictor.decode(predictor.probabilities(images))]
    encoded = tf.constant([pathlib.Path(p).read_bytes() for p, _ in samples])
    byte_texts = predictor.signatures["predict_bytes"](encoded_images=encoded)["text"].numpy()
    byte_texts = [text.decode("utf-8") for text in byte_texts]
    if texts != expected_texts or byte_texts != expected_texts:
        raise CaptchaError("export: the SavedModel's signatures do not decode like the Keras model")
