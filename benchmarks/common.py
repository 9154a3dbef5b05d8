"""Helpers shared by the benchmark scripts: the data folder, JSON output (no TensorFlow)."""

import json
import os
import pathlib
import sys


def data_dir():
    folder = os.environ.get("KERAS_CAPTCHA_DATA", "../shared/data/captcha_images_v2")
    if not pathlib.Path(folder).is_dir():
        sys.exit(f"set KERAS_CAPTCHA_DATA to the captcha_images_v2 folder (tried {folder})")
    return pathlib.Path(folder)


def emit(result):
    """Prints the benchmark's JSON result on stdout."""
    print(json.dumps(result, indent=2))
