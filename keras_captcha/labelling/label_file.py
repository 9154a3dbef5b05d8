"""A `labels.csv` that only grows: rows are added one at a time, each on disk before `append` returns.

The file is the manifest `train --data` reads (`path,label`, paths relative
to the file's folder, commas and quotes as CSV escapes). Rows are never
rewritten: each is one `write` of a whole line under an exclusive lock
(`fcntl.flock` on `.labels.csv.lock` beside it, so several processes may
append), then `fsync`ed; a process
killed at any moment leaves every row it reported written. A correction
(`replace`) writes the whole file beside it and renames it over the old one. The labelling
page (`keras-captcha label`) and the server's feedback append through here.
"""

import contextlib
import csv
import fcntl
import io
import os
import pathlib
import unicodedata

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.datasets import MANIFEST_HEADER, refuse_folder, write_samples


class AlreadyLabelled(CaptchaError):
    """The image already has a row in the file."""


def check_label_text(label, source):
    """Raises `CaptchaError` naming `source` unless `label` is non-empty text without control characters."""
    if not isinstance(label, str) or not label:
        raise CaptchaError(f"{source}: a label must be non-empty text")
    controls = [char for char in label if unicodedata.category(char).startswith("C")]
    if controls:
        raise CaptchaError(f"{source}: the label {label!r} holds control characters {''.join(controls)!r}")


class LabelFile:
    """The `labels.csv` at `path` (created with its header on the first append).

    `CaptchaError` names the file when it is a folder, its folder does not exist or it is not
    a `path,label` CSV.
    """

    def __init__(self, path):
        self.path = refuse_folder(path)
        if not self.path.parent.is_dir():
            raise CaptchaError(f"{self.path}: its folder {self.path.parent} does not exist")
        if self.path.exists():
            self.rows()  # refuses a file that is not ours

    def rows(self):
        """`{absolute image path: label}` of every row."""
        return self._parse(self._text())

    def _text(self):
        if not self.path.exists():
            return ""
        try:
            return self.path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CaptchaError(f"{self.path}: not a readable labels CSV ({error})") from None

    def _parse(self, text):
        lines = list(csv.reader(io.StringIO(text)))
        if not lines:
            return {}
        header = tuple(cell.strip().lower() for cell in lines[0])
        if header != MANIFEST_HEADER or any(len(row) not in (0, 2) for row in lines):
            raise CaptchaError(f"{self.path}: not a labels CSV (expected a 'path,label' header and two columns)")
        return {str((self.path.parent / path).resolve()): label for path, label in (row for row in lines[1:] if row)}

    def append(self, image_path, label):
        """Adds the row `image_path,label` (the path written relative to the file's folder).

        Raises `AlreadyLabelled` when the image has a row, `CaptchaError` for a bad label.
        """
        check_label_text(label, image_path)
        image_path = pathlib.Path(image_path).resolve()
        with self._locked():
            text = self._text()
            if str(image_path) in self._parse(text):
                raise AlreadyLabelled(f"{image_path.name} is already labelled in {self.path}")
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            if not text:
                writer.writerow(MANIFEST_HEADER)
            elif not text.endswith("\n"):  # a hand-edited last line
                buffer.write("\n")
            writer.writerow([os.path.relpath(image_path, self.path.parent.resolve()), label])
            with open(self.path, "ab") as file:
                os.write(file.fileno(), buffer.getvalue().encode("utf-8"))
                os.fsync(file.fileno())

    def replace(self, image_path, label):
        """Changes the label of an image that has a row (a correction), rewriting the file whole.

        The new file is written beside the old and renamed over it (`write_samples`), so the
        file on disk is always one or the other, every other row kept.
        """
        check_label_text(label, image_path)
        image_path = str(pathlib.Path(image_path).resolve())
        with self._locked():
            rows = self.rows()
            if image_path not in rows:
                raise CaptchaError(f"{image_path}: has no row in {self.path} to correct")
            rows[image_path] = label
            write_samples(self.path, rows.items(), relative=True)

    @contextlib.contextmanager
    def _locked(self):
        """Holds an exclusive lock on a file beside the CSV: the CSV itself is renamed over by `replace`,
        and a lock on the file it replaced would not keep out an appender that opened the new one."""
        with open(self.path.with_name(f".{self.path.name}.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
