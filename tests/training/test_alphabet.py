import pytest

from keras_captcha.core.errors import CaptchaError
from keras_captcha.training.alphabet import choose_charset

SAMPLES = [("a.png", "ab12"), ("b.png", "ba21")]


def test_the_labels_characters_without_a_start_model():
    assert choose_charset(SAMPLES) == "12ab"


def test_a_start_model_widens_each_class_the_labels_touch():
    start = "0123456789abcdefghijklmnopqrstuvwxyzABC+="
    assert choose_charset(SAMPLES, start_charset=start) == "0123456789abcdefghijklmnopqrstuvwxyz"
    assert choose_charset([("c.png", "A+1")], start_charset=start) == "+0123456789ABC"


def test_a_declared_charset_is_kept_as_given():
    assert choose_charset(SAMPLES, declared="ba21w", start_charset="xyz") == "ba21w"


@pytest.mark.parametrize("declared, message", [
    ("", "--charset is empty"),
    ("ab12a1", "--charset 'ab12a1' repeats '1a'"),
    ("ab1", "b.png: label 'ba21' has '2', which --charset 'ab1' lacks"),
])
def test_bad_declared_charsets_name_the_problem(declared, message):
    samples = [("a.png", "ab1"), ("b.png", "ba21")]
    with pytest.raises(CaptchaError, match=message.replace("+", r"\+")):
        choose_charset(samples, declared=declared)
