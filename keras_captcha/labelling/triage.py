"""Which unlabelled captchas to label next: the model's least confident readings first.

    from keras_captcha.labelling.triage import triage, write_labels
    rows = triage(open_predictor("runs/first/model.keras"), list_images("unlabelled/"), top=100)
    write_labels(rows, "labels.csv")   # path,label rows prefilled with the readings: correct, don't type

The written file is a `labels.csv` manifest that `train --data` reads once
its labels are corrected.
"""

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.datasets import refuse_folder, write_samples


def triage(predictor, paths, top=None):
    """`(path, Reading)` pairs of `paths`, least confident first (ties by path); the first `top` only."""
    readings = predictor.predict(list(paths))
    ranked = sorted(zip(paths, readings), key=lambda row: (row[1].confidence, row[0]))
    return ranked[:top] if top else ranked


def write_labels(rows, out, overwrite=False):
    """Writes `(path, Reading)` rows as a `path,label` manifest at `out`, the readings as labels.

    Refuses an existing file unless `overwrite`: a person's corrections may be in it.
    """
    out = check_out(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_samples(out, [(path, reading.text) for path, reading in rows])
    return out


def check_out(out, overwrite=False):
    """`out` as a path if `write_labels` may write it, else `CaptchaError`: a folder, or a file without `overwrite`.

    Cheap, so a command can check before it reads thousands of images.
    """
    out = refuse_folder(out)
    if out.exists() and not overwrite:
        raise CaptchaError(f"{out} already exists (it may hold corrections); choose another --out or pass --overwrite")
    return out
