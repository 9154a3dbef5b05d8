"""The CTC loss endpoint layer and its accuracy and CER metrics."""

import numpy as np
import pytest
from keras import ops

from keras_captcha.core.vocabulary import BLANK_INDEX
from keras_captcha.training.loss import CTCLoss


def test_loss_layer_matches_keras_ctc_loss_and_scores_greedy_paths():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(3, 8, 4)).astype("float32")
    probabilities = ops.softmax(logits)
    assert BLANK_INDEX == 0  # the ids below: characters 1..3, padded with the blank
    labels = np.array([[1, 2, 0], [3, 3, 1], [2, 0, 0]], "int32")
    layer = CTCLoss()
    assert layer(labels, probabilities) is probabilities
    expected = ops.ctc_loss(labels, logits, np.array([2, 3, 1]), np.full(3, 8), mask_index=BLANK_INDEX)
    assert float(layer.losses[0]) == pytest.approx(float(ops.mean(expected)), rel=1e-4)
    # A confident path that spells the first label exactly and the others wrongly.
    confident = np.full((3, 8, 4), 0.01, "float32")
    for row, path in enumerate([[1, 0, 2, 0, 0, 0, 0, 0], [3, 1] + [0] * 6, [0] * 8]):
        confident[row, np.arange(8), path] = 0.97
    layer = CTCLoss()
    layer(labels, confident)
    assert float(layer.accuracy.result()) == pytest.approx(1 / 3)
    # edits: 0 for "ab", 1 for "cc a" -> "ca", 1 for "b" -> ""; 6 label characters
    assert float(layer.cer.result()) == pytest.approx(2 / 6)
    assert CTCLoss.from_config(layer.get_config()).epsilon == layer.epsilon
