"""The edge graph: both GRU forms compute what Keras' GRU does; batch norm moves only where exact."""

import keras
import numpy as np
import pytest

from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.variants import GRU_FORMS
from keras_captcha.export import edge_graph
from keras_captcha.training.model import CaptchaRecognizer

from helpers import TINY_MODEL


@pytest.mark.parametrize("form", GRU_FORMS)
@pytest.mark.parametrize("decoded, depthwise_input_conv", [(False, False), (True, False), (False, True)])
def test_edge_function_matches_the_keras_model(form, decoded, depthwise_input_conv):
    recognizer = CaptchaRecognizer(CaptchaConfig(charset="abc", **{**TINY_MODEL, "rnn_layers": 2}))
    images = np.random.default_rng(3).random((1, 32, 128, 1), dtype="float32")
    outputs = edge_graph.edge_function(
        recognizer, form, decoded=decoded, depthwise_input_conv=depthwise_input_conv
    )(images)
    np.testing.assert_allclose(outputs["probabilities"], recognizer.predict(images, verbose=0), atol=1e-5)
    assert ("label_ids" in outputs) == decoded


def test_edge_graph_normalises_before_pooling_only_where_that_is_exact():
    recognizer = CaptchaRecognizer(
        CaptchaConfig(charset="ab", conv_filters=(4, 4), conv_pools=((2, 2), (2, 2)))
    ).variant(batch_size=1)
    first_norm = recognizer.get_layer("conv1_norm")
    gamma, beta, mean, variance = first_norm.get_weights()
    first_norm.set_weights([-gamma, beta, mean, variance])  # negative scale: not exact
    recognizer.get_layer("conv2_norm").set_weights(
        [np.array(values, "float32") for values in
         ([0.5, 1, 2, 3], [0.1, -0.2, 0.3, 0], [0.2, -0.1, 0, 0.4], [0.5, 1, 2, 0.3])]
    )
    layers = [layer for layer in recognizer.layers if not isinstance(layer, keras.layers.InputLayer)]
    names = [layer.name for layer in edge_graph._normalise_before_pooling(layers)]
    assert names[:8] == [
        "conv1", "conv1_pool", "conv1_norm", "conv1_relu",
        "conv2", "conv2_norm", "conv2_pool", "conv2_relu",
    ]
    image = np.random.default_rng(5).random((1, 32, 128, 1), dtype="float32")
    x = image
    for layer in edge_graph._normalise_before_pooling(layers):
        x = layer(x, training=False)
    np.testing.assert_allclose(x, recognizer.predict(image, verbose=0), atol=1e-5)
