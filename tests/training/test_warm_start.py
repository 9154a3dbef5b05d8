"""Starting from a trained model: its config is read without TensorFlow, its output mapped by character."""

import zipfile

import numpy as np
import pytest

from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.errors import CaptchaError
from keras_captcha.training.model import CaptchaRecognizer
from keras_captcha.training.warm_start import (
    OUTPUT_LAYER, PROJECTION_LAYER, copy_weights, fit_rows, init_config, read_init_config,
)

from helpers import TINY_MODEL


def test_the_config_of_a_trained_model_is_read_and_given_the_run_charset(trained_run):
    run_dir, _ = trained_run
    saved = read_init_config(run_dir / "model.keras")
    config = init_config(run_dir / "model.keras", saved, "xyz", {"height": saved.height})
    assert config.charset == "xyz"
    assert config.to_dict() | {"charset": saved.charset} == saved.to_dict()


def test_another_network_size_asked_for_is_one_clear_error(trained_run):
    run_dir, _ = trained_run
    saved = read_init_config(run_dir / "model.keras")
    with pytest.raises(CaptchaError, match=f"its rnn_units {saved.rnn_units}, not 7 as asked"):
        init_config(run_dir / "model.keras", saved, "xyz", {"rnn_units": 7})


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
    with pytest.raises(CaptchaError, match="missing.keras: no such file"):
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


def test_a_height_asked_for_is_taken_and_the_projection_fitted_to_its_rows(trained_run):
    run_dir, _ = trained_run
    saved = read_init_config(run_dir / "model.keras")
    config = init_config(run_dir / "model.keras", saved, saved.charset, {"height": saved.height * 2})
    assert config.height == saved.height * 2 and config.replace(height=saved.height) == saved
    source, target = CaptchaRecognizer(saved), CaptchaRecognizer(config)
    copy_weights(source, target)
    kernel, bias = target.get_layer(PROJECTION_LAYER).get_weights()
    source_kernel, source_bias = source.get_layer(PROJECTION_LAYER).get_weights()
    assert kernel.shape[0] == 2 * source_kernel.shape[0]
    np.testing.assert_array_equal(bias, source_bias)
    np.testing.assert_array_equal(target.get_layer("bigru1").get_weights()[0], source.get_layer("bigru1").get_weights()[0])


def test_fitted_rows_project_a_map_that_is_the_same_on_every_row_to_the_same_values():
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(4 * 3, 5)).astype(np.float32)  # 4 rows of 3 channels -> 5 units
    row = rng.normal(size=3).astype(np.float32)
    for rows in (1, 2, 3, 4, 6, 7):
        fitted = fit_rows(kernel, 4, rows)
        assert fitted.shape == (rows * 3, 5) and fitted.dtype == kernel.dtype
        np.testing.assert_allclose(np.tile(row, rows) @ fitted, np.tile(row, 4) @ kernel, rtol=1e-5)
    np.testing.assert_array_equal(fit_rows(kernel, 4, 4), kernel)

