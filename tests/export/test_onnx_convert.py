"""ONNX conversion: the ddddocr file resizes in its graph exactly as preprocess does, and says what ddddocr needs."""

import json

import numpy as np

from keras_captcha.core.variants import DDDDOCR_CHARSETS, VARIANTS
from keras_captcha.export import onnx_convert
from keras_captcha.runtime import preprocess
from keras_captcha.runtime.images import read_pixels
from keras_captcha.runtime.onnx import open_session


def test_the_ddddocr_file_takes_the_gray_source_image_and_returns_log_probabilities(exported):
    out, card, recognizer, samples, images = exported
    session = open_session(out / VARIANTS["ddddocr"].file)
    [node] = session.get_inputs()
    charsets = json.loads((out / VARIANTS["ddddocr"].file).with_name(DDDDOCR_CHARSETS).read_text())
    width, height = charsets["image"]
    assert node.shape == [1, 1, height, width] and charsets["channel"] == 1 and charsets["word"] is False
    gray = preprocess.to_gray(read_pixels(samples[0][0]))[..., 0]
    [log_probabilities] = session.run(None, {node.name: gray[None, None]})
    expected = recognizer.predict(images[:1], verbose=0)
    np.testing.assert_allclose(np.exp(log_probabilities), expected, atol=1e-4)
    assert card["variants"]["ddddocr"]["image"] == [width, height]


def test_ddddocr_charset_puts_the_blank_first_as_an_empty_string(exported):
    _, _, recognizer, _, _ = exported
    vocabulary = recognizer.config.vocabulary
    charsets = onnx_convert.ddddocr_charsets(vocabulary, (200, 50))
    assert charsets["charset"][vocabulary.blank_index] == ""
    assert "".join(charsets["charset"]) == vocabulary.charset
    assert charsets["image"] == [200, 50]


def test_the_onnx_files_have_no_loops(exported):
    out, card, _, _, _ = exported
    for name in ("onnx", "ddddocr"):
        ops = onnx_convert.list_ops((out / VARIANTS[name].file).read_bytes())
        assert ops == card["variants"][name]["ops"] and "Loop" not in ops
