"""Image files and bytes: every format's signature, WebP (still, not animated) and the folder listing."""

import pytest
from PIL import Image

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime import datasets, images

from helpers import draw_captcha, encode_image


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("JPEG", ".jpg"), ("GIF", ".gif"), ("BMP", ".bmp"),
                                         ("WEBP", ".webp")])
def test_each_format_is_known_by_its_signature(fmt, suffix):
    assert images.suffix_of(encode_image(draw_captcha("ab", mode="RGB"), fmt)) == suffix


def test_other_riff_files_are_not_webp():
    with pytest.raises(CaptchaError, match="image bytes: not a PNG, JPEG, GIF, BMP, WEBP file"):
        images.suffix_of(b"RIFF\x24\x00\x00\x00WAVEfmt ")


def test_a_webp_captcha_is_listed_and_read(tmp_path):
    draw_captcha("ab12", mode="RGB").save(tmp_path / "ab12.webp", lossless=True)
    assert [label for _, label in datasets.list_samples(tmp_path)] == ["ab12"]
    assert images.read_pixels(tmp_path / "ab12.webp").shape == (*draw_captcha("ab12").size[::-1], 3)


def test_an_animated_webp_is_refused_before_any_decoder_sees_it(tmp_path):
    frames = [Image.new("RGB", (40, 20), (60 * index, 0, 0)) for index in range(3)]
    frames[0].save(tmp_path / "moving.webp", save_all=True, append_images=frames[1:], lossless=True)
    with pytest.raises(CaptchaError, match="moving.webp: animated WebP images are not supported"):
        images.check_image(tmp_path / "moving.webp")
