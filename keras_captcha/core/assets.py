"""The files keras-captcha ships, found in a checkout or in an installed copy.

A checkout has them in `exported/` (and the browser page in `web/`); a wheel
installs `exported/` under `<prefix>/share/keras-captcha/exported`. Every
consumer finds them through `shipped_file`.
"""

import pathlib
import sys

from keras_captcha.core.card import CARD_NAME
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.variants import DEFAULT_VARIANT, VARIANTS

#: The checkout's root: the folder holding the package.
CHECKOUT = pathlib.Path(__file__).resolve().parents[2]
#: The pretrained base (the general reader), relative to the shipped `exported/` folder, and its TFLite export.
BASE_MODEL = "base/model.keras"
BASE_EXPORT = f"base/{VARIANTS['float32'].file}"


def shipped_folders():
    """Where the shipped `exported/` folder may be: a checkout's, then an installed copy's."""
    return (CHECKOUT / "exported", pathlib.Path(sys.prefix) / "share" / "keras-captcha" / "exported")


def shipped_file(relative, beside=()):
    """The first shipped `exported/<relative>` that exists (with the files `beside` it), or None."""
    for folder in shipped_folders():
        path = folder / relative
        if path.is_file() and all((path.parent / name).is_file() for name in beside):
            return path
    return None


def shipped_model():
    """Path of the default model shipped in `exported/`, with its model card; `CaptchaError` if none."""
    path = shipped_file(VARIANTS[DEFAULT_VARIANT].file, beside=(CARD_NAME,))
    if path is None:
        raise CaptchaError("no --model given and no shipped model is installed (exported/)")
    return path


def shipped_base():
    """Path of the shipped pretrained base model (`exported/base/model.keras`), or None."""
    return shipped_file(BASE_MODEL)


def general_reader():
    """The general reader `keras-captcha label` starts from: the base's TFLite export when shipped,
    else the base's `.keras` (the `[train]` extra); `CaptchaError` when neither is installed."""
    path = shipped_file(BASE_EXPORT, beside=(CARD_NAME,)) or shipped_base()
    if path is None:
        raise CaptchaError("no --model given and no general reader is installed (exported/base/)")
    return path


def web_dir():
    """The browser page's folder (`web/` of a checkout) when it is built, else None."""
    folder = CHECKOUT / "web"
    return folder if (folder / "dist" / "app.js").is_file() else None
