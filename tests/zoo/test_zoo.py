"""The style zoo: seeded, within each style's ranges, readable by the runtime, written as a dataset train reads."""

import dataclasses
import re
from unittest import mock

import numpy as np
import pytest
from PIL import Image

from keras_captcha.runtime.datasets import list_samples
from keras_captcha.runtime.images import read_pixels
from keras_captcha.zoo import draw as draw_module
from keras_captcha.zoo.draw import TURN_ALIKE, TURN_ALIKE_ROTATION, draw, encode, smallest_font_size, turn
from keras_captcha.zoo.generate import captcha, contact_sheet, generate, write_dataset
from keras_captcha.zoo.styles import MIXED, STYLES
from keras_captcha.zoo.text import OPERATORS, expression

from helpers import glyph_cuts

EXPRESSION = re.compile(rf"\d{{1,2}}([{re.escape(OPERATORS)}]\d{{1,2}}){{1,3}}(=\?|=)?")


def test_an_image_is_fixed_by_its_seed_and_index_alone():
    first = [encode(*_image_and_encoding(MIXED, 7, index)) for index in range(5)]
    assert first == [encode(*_image_and_encoding(MIXED, 7, index)) for index in range(5)]
    assert encode(*_image_and_encoding(MIXED, 7, 3)) == first[3]  # not the 4th of a stream: the image 3
    assert first != [encode(*_image_and_encoding(MIXED, 8, index)) for index in range(5)]


def _image_and_encoding(style, seed, index):
    image, _, encoding = captcha(style, seed, index)
    return image, encoding


@pytest.mark.parametrize("style", [*STYLES.values(), MIXED], ids=lambda style: style.name)
def test_every_style_stays_in_its_ranges_and_reads_back(style):
    for image, label, encoding in (captcha(style, 1, index) for index in range(30)):
        assert style.width[0] <= image.size[0]  # wider than the range only for a long text (below)
        assert style.height[0] <= image.size[1] <= style.height[1]
        if EXPRESSION.fullmatch(label) and style.arithmetic:
            continue
        assert set(label) <= set(style.alphabet) and style.length[0] <= len(label) <= style.length[1], label
        pixels = read_pixels(encode(image, encoding))
        assert pixels.shape[:2] == (image.size[1], image.size[0]) and pixels.std() > 0


@pytest.mark.parametrize("name", ["boxed_arithmetic", "grid_overlap", "low_contrast"])
def test_every_glyph_lies_within_the_canvas(name):
    """Long, boxed, rotated texts: a glyph off the edge would make the label unreadable."""
    cuts = glyph_cuts(STYLES[name], 60, seed=5)
    assert len(cuts) == 60 and max(cuts) == 0.0


def test_a_long_text_widens_the_canvas_instead_of_shrinking_below_the_smallest_font():
    sizes, load_font = [], draw_module.load_font
    style = STYLES["boxed_arithmetic"]
    with mock.patch.object(draw_module, "load_font", lambda font, size: sizes.append(size) or load_font(font, size)):
        images = []
        for index in range(40):
            sizes.clear()
            image, label, _ = captcha(style, 3, index)
            images.append(image)
            assert min(sizes) >= smallest_font_size(image.size[1]), label
    assert any(image.size[0] > style.width[1] for image in images)  # some expressions needed more room
    assert any(image.size[0] <= style.width[1] for image in images)


def test_plus_and_times_turn_too_little_to_be_read_as_each_other():
    style, rng = STYLES["boxed_arithmetic"], np.random.default_rng(0)
    assert style.rotation > TURN_ALIKE_ROTATION
    alike = [abs(turn(char, style, rng)) for char in TURN_ALIKE * 300]
    others = [abs(turn(char, style, rng)) for char in "0123456789-=?*" * 60]
    assert max(alike) <= TURN_ALIKE_ROTATION < max(others) <= style.rotation
    assert max(alike) > 0.9 * TURN_ALIKE_ROTATION  # the whole narrower range, not one angle


def test_arithmetic_captchas_say_expressions():
    rng = np.random.default_rng(0)
    texts = [expression(rng) for _ in range(300)]
    assert all(EXPRESSION.fullmatch(text) for text in texts)
    assert {text.count("=") for text in texts} == {0, 1} and any(text.endswith("=?") for text in texts)
    assert all(EXPRESSION.fullmatch(label) for _, label in generate(STYLES["boxed_arithmetic"], 20))


def test_light_text_on_dark_backgrounds_and_one_bit_images():
    style = STYLES["dark_background"].__class__(**{**STYLES["dark_background"].__dict__, "background": ("dark",),
                                                  "ink": ("light",), "lines": (0, 0), "curves": (0, 0)})
    for image, _ in generate(style, 10, seed=2):
        gray = np.asarray(image.convert("L"), dtype=np.float32)
        assert np.median(gray) < 110 and gray.max() > np.median(gray) + 60  # a dark page, lighter glyphs
    binary, _, _ = captcha(STYLES["binary_fonts"], 0, 0)
    assert binary.mode == "1"


def test_blur_ripple_stretch_and_shear_change_the_drawing_not_the_text():
    plain = dataclasses.replace(STYLES["plain"], lines=(0, 0))
    for knob, value in [("blur", 1.0), ("ripple", 0.3), ("stretch", 0.3), ("shear", 20.0)]:
        styled = dataclasses.replace(plain, **{knob: value})
        for index in range(3):
            (before, label, _), (after, styled_label, _) = captcha(plain, 4, index), captcha(styled, 4, index)
            assert styled_label == label and after.size[1] == before.size[1], knob
            assert after.tobytes() != before.tobytes(), knob
    blurred = dataclasses.replace(plain, blur=1.0)  # a radius drawn per captcha: some blur little
    ratios = [_edge_energy(captcha(blurred, 4, index)[0]) / _edge_energy(captcha(plain, 4, index)[0])
              for index in range(5)]
    assert max(ratios) < 1 and np.median(ratios) < 0.95, ratios


def _edge_energy(image):
    gray = np.asarray(image.convert("L"), dtype=np.float32)
    return float(np.abs(np.diff(gray, axis=1)).mean())


def test_a_slanted_tile_moves_each_row_by_the_slope():
    bar = Image.new("L", (6, 20), 0)
    bar.paste(255, (2, 0, 4, 20))
    for slope in (0.5, -0.5):
        slanted = np.asarray(draw_module._slant(bar, slope)) > 127
        assert slanted.shape == (20, 6 + 10)
        top, bottom = np.nonzero(slanted[1])[0].mean(), np.nonzero(slanted[18])[0].mean()
        assert top - bottom == pytest.approx(slope * 17, abs=1.0)


def test_a_written_dataset_is_what_train_reads(tmp_path):
    manifest = write_dataset(tmp_path / "zoo", STYLES["jpeg_noise"], count=24, seed=5, processes=2)
    samples = list_samples(manifest)
    assert len(samples) == 24 and all(path.endswith(".jpg") for path, _ in samples)
    assert [label for _, label in sorted(samples)] == [label for _, label in generate(STYLES["jpeg_noise"], 24, 5)]


def test_the_contact_sheet_has_a_row_per_style():
    sheet = contact_sheet({name: STYLES[name] for name in ("plain", "grid_overlap")}, per_style=3)
    assert sheet.size == (130 + 3 * 204, 2 * 68) and sheet.mode == "RGB"


def test_draw_without_fonts_on_the_machine_uses_pillows_own():
    image, label, _ = draw(STYLES["plain"], np.random.default_rng(0), fonts=(None,))
    assert image.size[0] >= 120 and label


@pytest.mark.parametrize("across", [False, True])
def test_a_warp_shifts_each_column_or_row_by_at_most_its_amplitude(across):
    pixels = np.zeros((40, 60, 3), np.uint8)
    if across:
        pixels[:, 30] = 255  # a vertical line: each row's dot moves left or right
    else:
        pixels[20] = 255  # a horizontal line: each column's dot moves up or down
    warped = draw_module._warp(pixels, 4.0, np.random.default_rng(0), across=across)
    lines = warped[..., 0] if across else warped[..., 0].T  # one line per row (across) or column
    where = np.array([np.flatnonzero(line) for line in lines]).ravel()  # exactly one lit pixel per line
    offsets = where - (30 if across else 20)
    assert len(where) == len(lines) and np.abs(offsets).max() <= 4 and len(set(offsets.tolist())) > 3
