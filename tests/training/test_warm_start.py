"""Starting from a trained model: its config is read without TensorFlow, its output mapped by character."""

import zipfile

import numpy as np
import pytest

from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.errors import CaptchaError
from keras_captcha.training.model import CaptchaRecognizer
from keras_captcha.training.warm_start import OUTPUT_LAYER, copy_weights, init_config, read_init_config

from helpers import TINY_MODEL


def test_the_config_of_a_trained_model_is_read_and_given_the_run_charset(trained_run):
    run_dir, _ = trained_run
    saved = read_init_config(run_dir / "model.keras")
    config = init_config(run_dir / "model.keras", saved, "xyz", {"height": saved.height})
    assert config.charset == "xyz"
    assert config.to_dict() | {"charset": saved.charset} == saved.to_dict()


def test_a_different_input_size_asked_for_is_one_clear_error(trained_run):
    run_dir, _ = trained_run
    saved = read_init_config(run_dir / "model.keras")
    with pytest.raises(CaptchaError, match=f"its height {saved.height}, not 40 as asked"):
        init_config(run_dir / "model.keras", saved, "xyz", {"height": 40})


@pytest.mark.parametrize("contents", [b"plain text", b"PK\x03\x04 truncated zip", None])
def test_a_file_that_is_not_a_keras_captcha_model_is_named(tmp_path, contents):
    path = tmp_path / "other.keras"
    if contents is None:  # a Keras archive of another model
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("config.json", '{"registered_name": "Sequential", "config": {}}')
    else:
        path.write_bytes(contents)
    with pytest.raises(CaptchaError, match="other.keras: not a keras_captcha model"):
        read_init_config(path)
    with pytest.raises(CaptchaError, match="missing.keras: not a keras_captcha model"):
        read_init_config(tmp_path / "missing.keras")


def test_the_output_layer_is_copied_by_character_and_new_characters_start_fresh():
    source = CaptchaRecognizer(CaptchaConfig(charset="abc", **TINY_MODEL))
    target = CaptchaRecognizer(CaptchaConfig(charset="bcd", **TINY_MODEL))
    fresh_kernel, fresh_bias = (w.copy() for w in target.get_layer(OUTPUT_LAYER).get_weights())
    assert copy_weights(source, target) == "d"
    kernel, bias = target.get_layer(OUTPUT_LAYER).get_weights()
    source_kernel, source_bias = source.get_layer(OUTPUT_LAYER).get_weights()
    # classes: 0 blank, then the charset in order; target b, c, d = 1, 2, 3, source b, c = 2, 3
    np.testing.assert_array_equal(kernel[:, [0, 1, 2]], source_kernel[:, [0, 2, 3]])
    np.testing.assert_array_equal(bias[[0, 1, 2]], source_bias[[0, 2, 3]])
    np.testing.assert_array_equal(kernel[:, 3], fresh_kernel[:, 3])
    np.testing.assert_array_equal(bias[3], fresh_bias[3])
    for layer in ("conv1", "projection", "bigru1"):
        for copied, original in zip(target.get_layer(layer).get_weights(), source.get_layer(layer).get_weights()):
            np.testing.assert_array_equal(copied, original)


def test_a_width_asked_for_is_taken_as_the_weights_do_not_depend_on_it(trained_run):
    run_dir, _ = trained_run
    saved = read_init_config(run_dir / "model.keras")
    config = init_config(run_dir / "model.keras", saved, saved.charset, {"width": saved.width + 64})
    assert config.width == saved.width + 64 and config.replace(width=saved.width) == saved
