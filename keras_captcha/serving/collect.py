"""`serve --collect DIR`: the images the model is unsure of, saved for labelling, off the request path.

Each uncertain reading's image becomes `DIR/<id>.<png|jpg|gif|bmp|webp>` and one
JSON line of `DIR/readings.jsonl` (`id`, `time`, `model`, `text`,
`confidence`); the result the client gets carries that `id`, which
`POST /v1/feedback` answers. A writer thread does the disk work, so a
request only queues its image (when `QUEUE_LENGTH` readings already wait, it
is not saved). At `max_bytes` (the folder's whole size, shared out among the
workers) collection stops with one log line, and
`keras_captcha_collect_skipped_total` counts what it no longer saves.
`DIR` is then what `keras-captcha train --unlabeled DIR` and
`keras-captcha label --data DIR` read.
"""

import json
import logging
import os
import pathlib
import queue
import tempfile
import threading
import time
import uuid

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.images import suffix_of

log = logging.getLogger("keras_captcha.server")

READINGS_NAME = "readings.jsonl"
#: Bytes a JSON line takes at most, counted against the size limit with its image.
LINE_BYTES = 256
#: Readings waiting for the writer at most; more are not saved (counted as skipped): the queue's
#: memory stays bounded when the disk is slower than the requests.
QUEUE_LENGTH = 256


def folder_size(folder):
    """Bytes of the files directly in `folder`."""
    return sum(entry.stat().st_size for entry in os.scandir(folder) if entry.is_file())


def check_folder(folder):
    """Creates `folder` if needed; `CaptchaError` naming it when it cannot be written."""
    folder = pathlib.Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as error:
        raise CaptchaError(f"--collect {folder}: cannot write there ({error.strerror or error})") from None
    return folder


class Collector:
    """Saves uncertain readings into `folder` until it holds `max_bytes` (this process's share: `1 / shares`)."""

    def __init__(self, folder, max_bytes, metrics, shares=1):
        self.folder = check_folder(folder)
        self.metrics = metrics
        self.budget = max(max_bytes - folder_size(self.folder), 0) // shares
        self.used = 0
        self.full = False
        self._queue = queue.Queue(QUEUE_LENGTH)
        self._lock = threading.Lock()
        threading.Thread(target=self._write_forever, name="keras-captcha-collect", daemon=True).start()

    def offer(self, model, image, result):
        """Queues one uncertain reading (`result`, a `Reading` dict) of encoded `image`; returns its id, or None when full."""
        size = len(image) + LINE_BYTES
        with self._lock:
            if self.full or self.used + size > self.budget:
                if not self.full:
                    self.full = True
                    log.warning("--collect %s reached its size limit; no more images are saved", self.folder)
                self.metrics.collect_skipped.inc()
                return None
            self.used += size
        reading_id = uuid.uuid4().hex
        line = {"id": reading_id, "time": time.time(), "model": model, "text": result["text"],
                "confidence": result["confidence"]}
        try:
            self._queue.put_nowait((reading_id, suffix_of(image), image, line))
        except queue.Full:  # the writer is behind: this one is not saved
            with self._lock:
                self.used -= size
            self.metrics.collect_skipped.inc()
            return None
        self.metrics.collected.labels(model).inc()
        return reading_id

    def flush(self, timeout=10.0):
        """Waits until everything queued so far is on disk (tests, shutdown)."""
        done = threading.Event()
        self._queue.put(done, timeout=timeout)
        done.wait(timeout)

    def _write_forever(self):
        while True:
            item = self._queue.get()
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                self._write(*item)
            except OSError as error:
                log.error("--collect %s: could not save a reading (%s)", self.folder, error)

    def _write(self, reading_id, suffix, image, line):
        staging = self.folder / f".{reading_id}{suffix}.partial"
        staging.write_bytes(image)
        os.replace(staging, self.folder / f"{reading_id}{suffix}")
        encoded = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        descriptor = os.open(self.folder / READINGS_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, encoded)  # one O_APPEND write: whole lines, whatever the workers do
        finally:
            os.close(descriptor)
