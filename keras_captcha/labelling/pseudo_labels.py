"""Unlabelled images -> pseudo-labelled samples for self-training (`train --unlabeled DIR`).

No TensorFlow: the pool is listed and checked like a dataset
(`samples.list_images`), and the readings come from any `Predictor`.
"""

import collections
import hashlib
import pathlib

import numpy as np

from keras_captcha.core.answers import answer
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.datasets import list_images

#: A length counts as one the style draws when at least this share of the readings have it.
COMMON_LENGTH_SHARE = 0.15
#: The shifts, `(columns, rows)` of the model's input, that a pseudo-label's image is read again at:
#: a reading that changes under a shift the training augmentation covers is a guess. On a held-out
#: arithmetic style, the readings stable under both were right 91% of the time against 82% for the
#: same share of the most confident ones (benchmarks/RESULTS.md, "Stable pseudo-labels").
STABILITY_SHIFTS = ((3, 1), (-3, -1))


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


def stable_readings(predictor, images):
    """The `predictor`'s readings of `images` (n, height, width, 1), and per image whether the
    reading stays the same with the image shifted by each of `STABILITY_SHIFTS` (edges repeated)."""
    readings = predictor.decode(predictor.probabilities(images))
    stable = np.ones(len(readings), dtype=bool)
    for columns, rows in STABILITY_SHIFTS:
        moved = predictor.decode(predictor.probabilities(shift_images(images, columns, rows)))
        stable &= [a.text == b.text for a, b in zip(readings, moved)]
    return readings, stable.tolist()


def shift_images(images, columns, rows):
    """(n, height, width, channels) moved right by `columns` and down by `rows` (negative: left, up),
    the edge pixels repeated into the space left behind."""
    height, width = images.shape[1:3]
    pad_rows, pad_columns = abs(rows), abs(columns)
    padded = np.pad(images, ((0, 0), (pad_rows, pad_rows), (pad_columns, pad_columns), (0, 0)), mode="edge")
    top, left = pad_rows - rows, pad_columns - columns
    return padded[:, top:top + height, left:left + width]


def teachable(readings, charset=None, rule=None):
    """One bool per reading: whether its text may teach, that is within `charset` when one is
    declared and, with an answer `rule` (`keras_captcha.core.answers`), a text the rule answers
    (a misread `14++8` teaches nothing)."""
    return [(charset is None or set(reading.text) <= set(charset))
            and (rule is None or answer(reading.text, rule) is not None) for reading in readings]


def most_confident(paths, readings, lengths, fraction, keep=None):
    """`(path, text)` samples of the surest `fraction` of the `readings` of `paths`.

    Only texts of one of the labelled `lengths` count (a captcha style's
    lengths are few), with `keep` (one bool per reading: stable under
    `stable_readings`, `teachable`) only the kept ones; of those, the
    `round(fraction * len(paths))` most confident are kept (ties by path). A
    rank rather than a confidence threshold: a model trained on few labels is
    under-confident, and by how much varies from run to run (benchmarks/RESULTS.md).
    """
    candidates = sorted(
        (-reading.confidence, path, reading.text)
        for path, reading, kept in zip(paths, readings, keep or [True] * len(readings))
        if kept and len(reading.text) in lengths
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
