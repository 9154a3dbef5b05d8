"""The vocabulary owns text <-> class ids and the blank."""

import pytest

from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.vocabulary import BLANK_INDEX, BLANK_NAME, Vocabulary


def test_characters_follow_the_blank_in_charset_order():
    vocabulary = Vocabulary("xa7")
    assert vocabulary.blank_index == BLANK_INDEX
    assert vocabulary.num_classes == 4
    assert vocabulary.class_names == [BLANK_NAME, "x", "a", "7"]
    ids = vocabulary.encode("a7x")
    assert BLANK_INDEX not in ids and len(set(ids)) == 3
    assert [vocabulary.class_names[i] for i in ids] == ["a", "7", "x"]
    assert [vocabulary.character(i) for i in ids] == ["a", "7", "x"]


def test_decode_inverts_encode_and_skips_blanks_and_padding():
    vocabulary = Vocabulary("abc")
    ids = vocabulary.encode("cab")
    assert vocabulary.decode(ids) == "cab"
    assert vocabulary.decode([BLANK_INDEX, *ids, BLANK_INDEX, -1]) == "cab"
    assert vocabulary.decode([BLANK_INDEX]) == ""


def test_unknown_characters_and_bad_charsets():
    vocabulary = Vocabulary("abc")
    assert vocabulary.unknown("zaby") == "yz"
    with pytest.raises(KeyError):
        vocabulary.encode("z")
    with pytest.raises(CaptchaError, match="repeats"):
        Vocabulary("aa")
    with pytest.raises(CaptchaError, match="empty"):
        Vocabulary("")
    assert Vocabulary("ab") == Vocabulary("ab") != Vocabulary("ba")
