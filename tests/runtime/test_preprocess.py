"""The TF-free image contract: every source kind, errors, cached resize weights, no TensorFlow import.

Its parity with the tf.data pipeline is tests/training/test_preprocess_parity.py.
"""

import base64
import io

import numpy as np
import pytest

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime import preprocess

from helpers import draw_captcha, encode_image, run_without_tensorflow


def test_every_source_kind_gives_the_same_image(tmp_path):
    image = draw_captcha("ab12", mode="RGB")
    image.save(tmp_path / "x.png")
    from_path = preprocess.preprocess(tmp_path / "x.png", 32, 128)
    encoded = encode_image(image)
    data_url = "data:image/png;base64," + base64.b64encode(encoded).decode()
    for source in (str(tmp_path / "x.png"), encoded, bytearray(encoded), io.BytesIO(encoded), data_url, image,
                   np.asarray(image)):
        np.testing.assert_array_equal(preprocess.preprocess(source, 32, 128), from_path)


def test_unreadable_sources_are_named(tmp_path):
    (tmp_path / "bad.png").write_text("nope")
    with pytest.raises(CaptchaError, match="bad.png: not a readable image"):
        preprocess.preprocess(tmp_path / "bad.png", 32, 128)
    with pytest.raises(CaptchaError, match="missing.png"):
        preprocess.preprocess(tmp_path / "missing.png", 32, 128)
    with pytest.raises(CaptchaError, match="cannot read an image from a int"):
        preprocess.preprocess(3, 32, 128)
    with open(tmp_path / "bad.png") as text_file:
        with pytest.raises(CaptchaError, match="bad.png: a text file; open it with 'rb'"):
            preprocess.preprocess(text_file, 32, 128)
    with pytest.raises(CaptchaError, match=r"data URL: not a base64 data: URL \(data:image/png;base64,\.\.\.\)"):
        preprocess.preprocess("data:image/png,not-base64", 32, 128)
    for shape in ((0, 0, 3), (50, 0), (4,), (2, 3, 4, 1)):
        with pytest.raises(CaptchaError, match=rf"array: expected \(height, width\[, channels\]\) pixels, got shape"):
            preprocess.preprocess(np.zeros(shape, np.uint8), 32, 128)


def test_resize_weights_are_cached_and_read_only():
    first = preprocess.triangle_weights(50, 32)
    assert preprocess.triangle_weights(50, 32) is first
    assert not first.flags.writeable
    np.testing.assert_allclose(first.sum(1), 1.0, rtol=1e-6)


def test_preprocess_imports_without_tensorflow_or_keras():
    code = (
        "import keras_captcha.runtime.preprocess as preprocess\n"
        "print(preprocess.preprocess(bytes.fromhex(sys.argv[1]), 8, 16).shape)\n"
    )
    result = run_without_tensorflow(code, encode_image(draw_captcha("a", mode="RGB")).hex())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(8, 16, 1)"
