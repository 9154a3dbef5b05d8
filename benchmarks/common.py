"""Helpers shared by the benchmark scripts: the data folder, JSON output, ddddocr's virtualenv and readings (no TensorFlow)."""

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DDDDOCR_VENV = ROOT / "runs" / "ddddocr-1.6.1-venv"
#: Reads the image files named after the first argument with ddddocr's own model; prints their texts as JSON.
DDDDOCR_READ = """
import json, sys, ddddocr
ocr = ddddocr.DdddOcr(show_ad=False)
print(json.dumps([ocr.classification(open(path, "rb").read()) for path in sys.argv[1:]]))
"""


def data_dir():
    folder = os.environ.get("KERAS_CAPTCHA_DATA", "../shared/data/captcha_images_v2")
    if not pathlib.Path(folder).is_dir():
        sys.exit(f"set KERAS_CAPTCHA_DATA to the captcha_images_v2 folder (tried {folder})")
    return pathlib.Path(folder)


def emit(result):
    """Prints the benchmark's JSON result on stdout."""
    print(json.dumps(result, indent=2))


def ddddocr_python():
    """The Python of a virtualenv holding ddddocr 1.6.1 and its API's server, or None with a note."""
    python = DDDDOCR_VENV / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", DDDDOCR_VENV], check=True)
        if subprocess.run([python, "-c", "import ddddocr.api.app"], capture_output=True).returncode:
            subprocess.run(
                [python, "-m", "pip", "install", "--quiet", "ddddocr==1.6.1", "fastapi", "uvicorn",
                 "python-multipart"],
                check=True, timeout=900,
            )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        print(f"ddddocr could not be installed ({error}); skipping it", file=sys.stderr)
        return None
    return python


def ddddocr_read(python, paths):
    """ddddocr's readings (its own model, no training) of the image files `paths`, in order."""
    result = subprocess.run([python, "-c", DDDDOCR_READ, *map(str, paths)], capture_output=True, text=True,
                            check=True, timeout=1800)
    return json.loads(result.stdout.strip().splitlines()[-1])
