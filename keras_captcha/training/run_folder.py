"""The run folder's bookkeeping: creating it, clearing a finished run, resuming a killed one.

The file names are `keras_captcha.core.run_files`. A killed run resumes from
Keras' `BackupAndRestore` folder; its CSV log keeps only the epochs that
backup completed, so every epoch is logged once.
"""

import csv
import json
import math
import pathlib
import shutil

from keras_captcha.core import run_files
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.datasets import write_samples

#: What `prepare_run(overwrite=True)` removes: everything a finished run wrote but its split.
STALE_FILES = (
    run_files.BACKUP_DIR, run_files.BEST_WEIGHTS, run_files.HISTORY_CSV, run_files.LOGS_DIR,
    run_files.MODEL, run_files.SUMMARY_JSON, run_files.SELF_TRAINING_DIR,
)


def prepare_run(run_dir, overwrite):
    """Creates `run_dir`; refuses a finished run unless `overwrite`. Returns the path.

    A killed run's `history.csv` keeps only the epochs its backup completed,
    so the resumed run logs each epoch once.
    """
    run_dir = pathlib.Path(run_dir)
    if (run_dir / run_files.MODEL).exists() and not overwrite:
        raise CaptchaError(
            f"{run_dir} already holds a finished run ({run_files.MODEL}); "
            "choose another --out or pass --overwrite"
        )
    if overwrite:
        for stale in STALE_FILES:
            _remove(run_dir / stale)
    run_dir.mkdir(parents=True, exist_ok=True)
    _keep_backed_up_epochs(run_dir / run_files.HISTORY_CSV, _backed_up_epochs(run_dir / run_files.BACKUP_DIR))
    return run_dir


def _remove(path):
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _backed_up_epochs(backup_dir):
    """Epochs completed according to a `BackupAndRestore` folder (0 when there is none)."""
    metadata = backup_dir / "training_metadata.json"
    if not metadata.is_file():
        return 0
    try:
        return int(json.loads(metadata.read_text())["epoch"])
    except (ValueError, KeyError, TypeError):
        return 0


def _keep_backed_up_epochs(history_csv, epochs):
    """Drops the rows of epochs >= `epochs` (killed before their backup) from a CSV log."""
    if not history_csv.exists():
        return
    with open(history_csv, newline="") as file:
        reader = csv.DictReader(file)
        rows = [row for row in reader if row.get("epoch", "").isdigit() and int(row["epoch"]) < epochs]
        fields = reader.fieldnames
    if not rows:
        history_csv.unlink()
        return
    with open(history_csv, "w", newline="") as file:
        writer = csv.DictWriter(file, fields)
        writer.writeheader()
        writer.writerows(rows)


def best_logged(history_csv, monitor):
    """The best (lowest) value of `monitor` in a resumed run's CSV log, or +inf."""
    if not history_csv.exists():
        return math.inf
    with open(history_csv, newline="") as file:
        values = [float(row[monitor]) for row in csv.DictReader(file) if row.get(monitor)]
    return min(values, default=math.inf)


def write_split(run_dir, train_samples, validation_samples):
    """Writes the split's manifests (`train.csv`, `validation.csv`) into `run_dir`."""
    write_samples(run_dir / run_files.TRAIN_CSV, train_samples)
    write_samples(run_dir / run_files.VALIDATION_CSV, validation_samples)


def epochs_run(run_dir, history):
    """Epochs completed over every attempt of the run (resumed runs included)."""
    with open(run_dir / run_files.HISTORY_CSV, newline="") as file:
        logged = sum(1 for _ in csv.DictReader(file))
    return logged or len(history.epoch)
