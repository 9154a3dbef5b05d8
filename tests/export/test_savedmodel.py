"""The SavedModel: both signatures read like the Keras model; its card travels as an asset."""

import numpy as np
import tensorflow as tf

from keras_captcha.core.card import read_card
from keras_captcha.export.savedmodel import DIR_NAME
from keras_captcha.runtime import decode


def test_savedmodel_signatures_agree_with_keras(exported):
    out, _, recognizer, samples, images = exported
    loaded = tf.saved_model.load(str(out / DIR_NAME))
    assert set(loaded.signatures) == {"serving_default", "predict_bytes"}
    probabilities = loaded.signatures["serving_default"](images=tf.constant(images))["probabilities"]
    expected_probabilities = recognizer.predict(images, verbose=0)
    np.testing.assert_allclose(probabilities.numpy(), expected_probabilities, atol=1e-5)
    encoded = tf.constant([open(path, "rb").read() for path, _ in samples])
    result = loaded.signatures["predict_bytes"](encoded_images=encoded)
    expected = decode.greedy_decode(expected_probabilities, recognizer.config.vocabulary)
    assert [t.decode() for t in result["text"].numpy()] == [reading.text for reading in expected]
    np.testing.assert_allclose(result["confidence"].numpy(), [r.confidence for r in expected], atol=1e-5)
    card_path = loaded.model_card.asset_path.numpy().decode()
    assert read_card(card_path).config == recognizer.config
