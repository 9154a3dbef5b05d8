"""`POST /v1/feedback`: the true text of a collected reading, appended to `DIR/labels.csv`.

The row names the image `--collect` saved (`DIR/<id>.<suffix>`), so
`keras-captcha train --data DIR/labels.csv --unlabeled DIR` learns from what
the server found hard. `{"correct": true}` takes the model's own reading as
the label; an id is answered once.
"""

import json
import re

from keras_captcha.core.errors import CaptchaError
from keras_captcha.labelling.label_file import AlreadyLabelled, LabelFile
from keras_captcha.serving.collect import READINGS_NAME

LABELS_NAME = "labels.csv"
ID_PATTERN = re.compile(r"[0-9a-f]{32}")


class UnknownReading(CaptchaError):
    """No collected reading has this id."""


class FeedbackLog:
    """The labels of the readings collected in `folder`."""

    def __init__(self, folder):
        self.folder = folder
        self.labels = LabelFile(folder / LABELS_NAME)

    def record(self, reading_id, label=None, correct=False):
        """Appends the label of reading `reading_id`; returns `{"id", "label"}`.

        `UnknownReading` for an id with no saved image, `AlreadyLabelled` for
        one answered before, `CaptchaError` for a label with control characters.
        """
        image = self._image(reading_id)
        if correct:
            label = self._reading_text(reading_id)
        self.labels.append(image, label)
        return {"id": reading_id, "label": label}

    def _image(self, reading_id):
        if ID_PATTERN.fullmatch(reading_id):
            for path in self.folder.glob(f"{reading_id}.*"):
                if not path.name.endswith(".partial"):
                    return path
        raise UnknownReading(f"no collected reading has the id {reading_id!r}")

    def _reading_text(self, reading_id):
        with open(self.folder / READINGS_NAME, encoding="utf-8") as lines:
            for line in lines:
                if reading_id in line:
                    reading = json.loads(line)
                    if reading.get("id") == reading_id:
                        return reading["text"]
        raise UnknownReading(f"no collected reading has the id {reading_id!r}")


__all__ = ["AlreadyLabelled", "FeedbackLog", "UnknownReading"]
