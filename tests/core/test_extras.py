"""The extras: a missing one is one line saying what to install."""

import pytest

from keras_captcha.core import extras
from keras_captcha.core.errors import CaptchaError


def test_a_missing_extra_is_one_line_saying_what_to_install(monkeypatch):
    monkeypatch.setattr(extras.importlib.util, "find_spec", lambda name: None)
    assert not extras.has_extra("serve")
    with pytest.raises(CaptchaError, match=r'training needs tensorflow.*pip install "keras-captcha\[train\]"'):
        extras.require_extra("train", "training")
