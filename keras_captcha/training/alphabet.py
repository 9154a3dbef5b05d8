"""The characters a run's model can emit: declared (`train --charset`), or its labels' widened by the base.

Fifty labels rarely show every character a site draws. With `--charset` the
user says which it draws; without it, a run that starts from a trained model
(the general reader) keeps each of that model's `CHARACTER_CLASSES` that the
labels touch whole: labels with some lowercase letters get every lowercase
letter the start model reads, so a `w` no label showed is still readable.
"""

import string

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.datasets import derive_charset

#: Character classes a site draws all of or none of, as far as `choose_charset` guesses.
CHARACTER_CLASSES = (string.digits, string.ascii_lowercase, string.ascii_uppercase)


def check_declared(charset, samples):
    """Raises `CaptchaError` for an empty or repeating `charset`, or naming the first
    `(path, label)` sample whose label has a character outside it."""
    if not charset:
        raise CaptchaError("--charset is empty: name every character the captchas use")
    repeated = sorted({char for char in charset if charset.count(char) > 1})
    if repeated:
        raise CaptchaError(f"--charset {charset!r} repeats {''.join(repeated)!r}")
    for path, label in samples:
        outside = derive_charset(set(label) - set(charset))
        if outside:
            raise CaptchaError(f"{path}: label {label!r} has {outside!r}, which --charset {charset!r} lacks")


def choose_charset(samples, declared=None, start_charset=None):
    """The run's charset for `(path, label)` samples.

    `declared` (checked by `check_declared`) is kept as given. Otherwise the
    labels' characters, plus, when the run starts from a model with
    `start_charset`, the rest of each `CHARACTER_CLASSES` class the labels
    use that this model knows; sorted.
    """
    if declared is not None:
        check_declared(declared, samples)
        return declared
    used = set("".join(label for _, label in samples))
    if start_charset:
        for group in CHARACTER_CLASSES:
            if used & set(group):
                used |= set(group) & set(start_charset)
    return derive_charset(used)
