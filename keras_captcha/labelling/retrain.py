"""The labelling page's background run: the default few-label command on the labels so far, then new prefills.

`Retrainer.start()` runs `python -m keras_captcha.training.relabel` (the
`[train]` extra) in a process of its own: it trains
`train --data labels.csv --unlabeled DIR`, reads every image of `DIR` with
the new model and writes the readings. The page keeps answering meanwhile;
when the run ends its readings become the session's prefills and order.
"""

import json
import pathlib
import subprocess
import sys
import threading

from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.extras import has_extra
from keras_captcha.runtime.decode import Reading

#: The module the run executes (a training-layer module, started as a process, never imported here).
JOB_MODULE = "keras_captcha.training.relabel"
#: Labels a run needs at the least: a training and a validation image.
MIN_LABELS = 2


class Retrainer:
    """Background runs for `session`, written under `runs_dir`; `every` (labels) starts one on its own.

    `schedule` sets `epochs` and `self_training_rounds` of the runs (default: the default command's).
    """

    def __init__(self, session, data_dir, runs_dir, every=None, schedule=None):
        self.session, self.data_dir, self.runs_dir, self.every = session, data_dir, pathlib.Path(runs_dir), every
        self.schedule = schedule or {}
        self._lock = threading.Lock()
        self._process = None
        self._since = 0
        self._status = {"state": "idle", "runs": 0}

    def status(self):
        """`{"state": idle|running|finished|failed, "runs", ...}`: the epoch and accuracy of the last run."""
        with self._lock:
            return dict(self._status)

    def labelled_one(self):
        """Counts a label; with `every`, starts a run after each `every` labels (unless one runs)."""
        self._since += 1
        if self.every and self._since >= self.every and not self.running:
            try:
                self.start()
            except CaptchaError:
                pass  # too few labels yet: the next label tries again

    @property
    def running(self):
        return self._process is not None and self._process.poll() is None

    def start(self):
        """Starts a run; `CaptchaError` when one runs, the `[train]` extra is missing or there are too few labels."""
        if not has_extra("train"):
            raise CaptchaError('retraining needs TensorFlow: pip install "keras-captcha[train]"')
        if self.running:
            raise CaptchaError("a run is already training")
        if len(self.session.labelled()) < MIN_LABELS:
            raise CaptchaError(f"label at least {MIN_LABELS} images first")
        with self._lock:
            number = self._status["runs"] + 1
            out = self.runs_dir / f"run{number}"
            self._status = {"state": "running", "runs": number, "run": str(out), "epoch": 0}
        self._since = 0
        command = [sys.executable, "-m", JOB_MODULE, "--labels", str(self.session.labels.path),
                   "--pool", str(self.data_dir), "--out", str(out)]
        for name, value in self.schedule.items():
            command += [f"--{name.replace('_', '-')}", str(value)]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._follow, args=(self._process,), daemon=True).start()
        return self.status()

    def _follow(self, process):
        """Reads the run's JSON progress lines; at its end, takes its readings as the session's."""
        last = {}
        for line in process.stdout:
            try:
                last = json.loads(line)
            except ValueError:
                continue
            with self._lock:
                self._status.update({key: last[key] for key in ("epoch", "round", "val_accuracy") if key in last})
        process.wait()
        if process.returncode == 0 and "readings" in last:
            readings = json.loads(pathlib.Path(last["readings"]).read_text())
            ranked = [(row["path"], _reading(row)) for row in readings["readings"]]
            ranked.sort(key=lambda row: (row[1].confidence, row[0]))
            self.session.set_readings(ranked, readings["charset"])
            state = {"state": "finished", "val_accuracy": last.get("val_accuracy")}
        else:
            state = {"state": "failed", "error": last.get("error", f"the run exited with {process.returncode}")}
        with self._lock:
            self._status.update(state)


def _reading(row):
    """A `Reading.to_dict()` row read back."""
    characters = tuple((character["char"], character["confidence"]) for character in row["characters"])
    return Reading(row["text"], row["confidence"], row["uncertain"], characters)
