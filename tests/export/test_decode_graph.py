"""Greedy decoding in TensorFlow ops agrees with the NumPy rule, in the graph and in the decoded .tflite."""

import numpy as np
import pytest
import tensorflow as tf

from keras_captcha.core.variants import VARIANTS
from keras_captcha.core.vocabulary import Vocabulary
from keras_captcha.export.decode_graph import greedy_decode_graph
from keras_captcha.runtime import decode
from keras_captcha.runtime.litert import LiteRTPredictor


def test_graph_decoding_matches_numpy_decoding():
    vocabulary = Vocabulary("abcd")
    rng = np.random.default_rng(7)
    logits = rng.normal(0, 3, (16, 12, vocabulary.num_classes)).astype("float32")
    probabilities = tf.nn.softmax(logits).numpy()
    label_ids, character_confidence, confidence = (
        t.numpy() for t in greedy_decode_graph(tf.constant(probabilities), 12)
    )
    for row, reading in enumerate(decode.greedy_decode(probabilities, vocabulary)):
        assert vocabulary.decode(label_ids[row]) == reading.text
        n = len(reading.text)
        np.testing.assert_allclose(character_confidence[row, :n], [p for _, p in reading.characters], rtol=1e-6)
        assert not character_confidence[row, n:].any()
        assert confidence[row] == pytest.approx(reading.confidence, rel=1e-6)


def test_decoded_variant_outputs_ids_and_confidences(exported):
    out, card, recognizer, _, images = exported
    runner = LiteRTPredictor(out / VARIANTS["decoded"].file)
    outputs = runner.run(images[0])
    assert outputs["label_ids"].shape == (1, recognizer.config.time_steps)
    [reading] = runner.decode(outputs["probabilities"])
    ids = outputs["label_ids"][0]
    assert recognizer.config.vocabulary.decode(ids) == reading.text
    assert (outputs["character_confidence"][0][ids == recognizer.config.vocabulary.blank_index] == 0).all()
    assert outputs["confidence"][0] == pytest.approx(reading.confidence, abs=1e-6)
