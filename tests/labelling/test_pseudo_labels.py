"""The unlabelled pool (checked, labelled images left out) and the choice of pseudo-labels, without TensorFlow."""

import shutil

import numpy as np
import pytest

from keras_captcha.core.answers import RULES
from keras_captcha.core.errors import CaptchaError
from keras_captcha.labelling.pseudo_labels import (
    common_lengths, most_confident, shift_images, stable_readings, teachable, unlabelled_pool,
)
from keras_captcha.runtime.datasets import list_samples
from keras_captcha.runtime.decode import Reading

from helpers import write_captchas


def _reading(text, confidence):
    return Reading(text, confidence, False, tuple((char, confidence) for char in text))


def test_the_pool_leaves_out_images_that_are_also_labelled(tmp_path):
    labelled = write_captchas(tmp_path / "labelled", ["abc", "bcd"])
    pool = write_captchas(tmp_path / "pool", ["cde", "ab1"], suffix=".jpg", mode="RGB")
    shutil.copy(labelled[0], tmp_path / "pool" / "copy_of_abc.png")  # any name, same bytes
    (tmp_path / "pool" / "notes.txt").write_text("not an image")  # not an image suffix: ignored
    listed = list_samples(tmp_path / "labelled")
    assert unlabelled_pool(tmp_path / "pool", listed) == sorted(str(path) for path in pool)


def test_a_pool_of_labelled_images_only_is_one_error_naming_the_folder(tmp_path):
    write_captchas(tmp_path / "labelled", ["abc"])
    shutil.copytree(tmp_path / "labelled", tmp_path / "pool")
    with pytest.raises(CaptchaError, match="pool: every image in it is also labelled"):
        unlabelled_pool(tmp_path / "pool", list_samples(tmp_path / "labelled"))


@pytest.mark.parametrize("make, message", [
    (lambda folder: None, "no such folder"),
    (lambda folder: folder.mkdir(), "no images"),
])
def test_a_missing_or_empty_pool_is_named(tmp_path, make, message):
    make(tmp_path / "pool")
    with pytest.raises(CaptchaError, match=f"pool: {message}"):
        unlabelled_pool(tmp_path / "pool", [])


def test_an_unreadable_image_in_the_pool_is_named_unless_skipped(tmp_path):
    good = write_captchas(tmp_path / "pool", ["abc"])
    (tmp_path / "pool" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(CaptchaError, match="broken.png"):
        unlabelled_pool(tmp_path / "pool", [])
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        assert unlabelled_pool(tmp_path / "pool", [], skip_bad=True) == [str(good[0])]


def test_the_surest_fraction_of_the_pool_of_labelled_lengths_is_kept():
    paths = ["a.png", "b.png", "c.png", "d.png", "e.png", "f.png"]
    readings = [
        _reading("abcde", 0.5), _reading("abc", 0.99), _reading("bcdea", 0.9),
        _reading("cdeab", 0.7), _reading("deabc", 0.9), _reading("eabcd", 0.1),
    ]
    assert most_confident(paths, readings, {5}, 0.5) == [("c.png", "bcdea"), ("e.png", "deabc"), ("d.png", "cdeab")]
    assert len(most_confident(paths, readings, {5}, 1.0)) == 5  # "abc" has no labelled length
    assert most_confident(paths, readings, {3, 5}, 1 / 6) == [("b.png", "abc")]


def test_with_an_answer_rule_only_readings_it_answers_are_pseudo_labels():
    paths = ["a.png", "b.png", "c.png", "d.png"]
    readings = [_reading("14+8", 0.9), _reading("14++", 0.99), _reading("3x12", 0.8), _reading("7=?3", 0.95)]
    assert most_confident(paths, readings, {4}, 1.0) == [("b.png", "14++"), ("d.png", "7=?3"), ("a.png", "14+8"),
                                                         ("c.png", "3x12")]
    keep = teachable(readings, rule=RULES["arithmetic"])
    assert keep == [True, False, True, False]
    assert most_confident(paths, readings, {4}, 1.0, keep) == [("a.png", "14+8"), ("c.png", "3x12")]


def test_a_declared_charset_keeps_only_readings_within_it():
    readings = [_reading("1234", 0.9), _reading("12a4", 0.9), _reading("", 0.9)]
    assert teachable(readings, charset="0123456789") == [True, False, True]  # the empty one is left to the length check


def test_the_common_lengths_are_those_of_a_large_share_of_the_readings():
    texts = ["abcd"] * 6 + ["abcde"] * 3 + ["ab", "abcdefg", ""]
    assert common_lengths(texts) == {4, 5}  # 2 and 7 are 1 of 11 each; the empty reading is no length
    assert common_lengths([]) == set()


def test_shifted_images_move_and_repeat_their_edges():
    images = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1)
    right_down = shift_images(images, 1, 1)[0, :, :, 0]
    assert right_down.tolist() == [[0, 0, 1, 2], [0, 0, 1, 2], [4, 4, 5, 6]]
    left_up = shift_images(images, -2, -1)[0, :, :, 0]
    assert left_up.tolist() == [[6, 7, 7, 7], [10, 11, 11, 11], [10, 11, 11, 11]]
    assert shift_images(images, 0, 0).tolist() == images.tolist()


class _LeftColumnReader:
    """A predictor whose reading of an image is "a" when its first column is dark, else "b"."""

    def probabilities(self, images):
        return images[:, 0, 0, 0]

    def decode(self, probabilities):
        return [_reading("a" if value < 0.5 else "b", 0.9) for value in probabilities]


def test_a_reading_that_a_small_shift_changes_is_not_stable():
    steady = np.zeros((32, 128, 1), np.float32)  # dark everywhere: any shift reads "a"
    edge = np.ones((32, 128, 1), np.float32)
    edge[:, :2] = 0.0  # dark in the first two columns only: shifted left by 3, it reads "b"
    readings, stable = stable_readings(_LeftColumnReader(), np.stack([steady, edge]))
    assert [reading.text for reading in readings] == ["a", "a"]
    assert stable == [True, False]


def test_only_stable_readings_are_pseudo_labels():
    paths = ["a.png", "b.png", "c.png"]
    readings = [_reading("abc", 0.9), _reading("bcd", 0.99), _reading("cde", 0.5)]
    assert most_confident(paths, readings, {3}, 1.0, keep=[True, False, True]) == [("a.png", "abc"), ("c.png", "cde")]
