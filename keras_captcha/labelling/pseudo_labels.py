"""Unlabelled images -> pseudo-labelled samples for self-training (`train --unlabeled DIR`).

No TensorFlow: the pool is listed and checked like a dataset
(`samples.list_images`), and the readings come from any `Predictor`.
"""

import collections
import hashlib
import pathlib

from keras_captcha.core.answers import answer
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.datasets import list_images

#: A length counts as one the style draws when at least this share of the readings have it.
COMMON_LENGTH_SHARE = 0.15


def unlabelled_pool(folder, labelled, skip_bad=False):
    """The checked images of `folder` that are not among the `labelled` `(path, label)` samples.

    An image counts as labelled when its bytes equal a labelled file's (the
    same file, a link or a copy): it is then used once, as labelled. Returns
    sorted path strings; raises `CaptchaError` naming `folder` when it is
    missing, holds no image, or only labelled ones.
    """
    known = {_digest(path) for path, _ in labelled}
    pool = [path for path in list_images(folder, skip_bad) if _digest(path) not in known]
    if not pool:
        raise CaptchaError(f"{folder}: every image in it is also labelled; nothing unlabelled to learn from")
    return pool


def _digest(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).digest()


def most_confident(paths, readings, lengths, fraction, rule=None):
    """`(path, text)` samples of the surest `fraction` of the `readings` of `paths`.

    Only texts of one of the labelled `lengths` count (a captcha style's
    lengths are few), and with an answer `rule` (`keras_captcha.core.answers`)
    only texts it answers (a misread `14++8` teaches nothing); of those, the
    `round(fraction * len(paths))` most confident are kept (ties by path). A
    rank rather than a confidence threshold: a model trained on few labels is
    under-confident, and by how much varies from run to run (benchmarks/RESULTS.md).
    """
    candidates = sorted(
        (-reading.confidence, path, reading.text)
        for path, reading in zip(paths, readings)
        if len(reading.text) in lengths and (rule is None or answer(reading.text, rule) is not None)
    )
    return [(path, text) for _, path, text in candidates[: round(fraction * len(paths))]]


def common_lengths(texts):
    """The lengths that at least `COMMON_LENGTH_SHARE` of the non-empty `texts` have.

    What a run with no labels takes for the style's lengths: a site draws one
    length or a few, and a misreading's length is scattered.
    """
    counts = collections.Counter(len(text) for text in texts if text)
    total = sum(counts.values())
    return {length for length, count in counts.items() if count >= COMMON_LENGTH_SHARE * total}
