"""One labelling session: a folder of images, the model's readings of them, and the labels.csv being written.

    session = LabelSession("unlabelled/", "labels.csv", open_predictor("exported/base/captcha_float32.tflite"))
    session.state()                     # progress, the queue (least confident first), character counts
    session.label(session.queue()[0]["id"], "x7y3m")   # on disk when it returns

Images are named by ids the session assigns (`img0`, `img1`, ...), never by a
path a client sends. Images already in `labels.csv` (an earlier session) are
not asked again; labelling one twice in a session corrects it.
"""

import collections
import pathlib
import sys

from keras_captcha.core.errors import CaptchaError
from keras_captcha.labelling.label_file import AlreadyLabelled, LabelFile
from keras_captcha.labelling.triage import triage
from keras_captcha.runtime.datasets import image_files
from keras_captcha.runtime.images import check_image


def readable_images(folder, report=print):
    """The readable images of `folder` (subfolders not read), sorted; each unreadable one is one `report` line.

    `CaptchaError` naming the folder when it is missing or holds no readable image.
    """
    paths = image_files(folder)
    inside = pathlib.Path(folder).resolve()
    readable = []
    for path in paths:
        if inside not in path.resolve().parents:
            report(f"skipped: {path}: a link to a file outside {folder}")
            continue
        try:
            check_image(path)
            readable.append(str(path))
        except CaptchaError as error:
            report(f"skipped: {error}")
    if not readable:
        raise CaptchaError(f"{folder}: no readable images ({len(paths)} files looked like images)")
    return readable


class LabelSession:
    """The images of `data_dir`, read by `predictor`, labelled into the labels CSV `out`."""

    def __init__(self, data_dir, out, predictor, report=None):
        self.labels = LabelFile(out)
        readable = readable_images(data_dir, report or (lambda line: print(line, file=sys.stderr)))
        self.paths = [str(pathlib.Path(path).resolve()) for path in readable]  # as the label file's rows name them
        self.ids = {f"img{index}": path for index, path in enumerate(self.paths)}
        self._id_of = {path: image_id for image_id, path in self.ids.items()}
        self.set_readings(triage(predictor, self.paths), predictor.config.charset)

    def set_readings(self, ranked, charset):
        """Takes `(path, Reading)` pairs, least confident first, as the prefills and the order."""
        ranked = [(str(pathlib.Path(path).resolve()), reading) for path, reading in ranked]
        self.readings = {path: reading for path, reading in ranked}
        self.order = [path for path, _ in ranked]
        self.charset = charset

    def path(self, image_id):
        """The image file of an id this session assigned, or None."""
        return self.ids.get(image_id)

    def labelled(self):
        """`{path: label}` of this folder's images in the labels file."""
        rows = self.labels.rows()
        return {path: rows[path] for path in self.paths if path in rows}

    def queue(self, done=None):
        """The images still to label (not in `done`, default: `labelled()`), least confident first:
        `[{"id", "reading", "confidence"}]`."""
        done = self.labelled() if done is None else done
        return [
            {"id": self._id_of[path], "reading": self.readings[path].text,
             "confidence": round(self.readings[path].confidence, 4)}
            for path in self.order if path not in done
        ]

    def label(self, image_id, text):
        """Writes `text` as the label of image `image_id` (correcting an earlier label); returns `state()`."""
        path = self.path(image_id)
        if path is None:
            raise KeyError(image_id)
        try:
            self.labels.append(path, text)
        except AlreadyLabelled:
            self.labels.replace(path, text)
        return self.state()

    def state(self):
        """What the page shows: progress, the queue, the characters labelled so far with their counts."""
        done = self.labelled()
        counts = collections.Counter("".join(done.values()))
        return {
            "total": len(self.paths),
            "labelled": len(done),
            "queue": self.queue(done),
            "counts": dict(sorted(counts.items())),
            "charset": self.charset,
        }
