"""Helpers shared by the benchmark scripts: the data folder, JSON output, the CPU, ddddocr's virtualenv and readings (no TensorFlow)."""

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DDDDOCR_VENV = ROOT / "runs" / "ddddocr-1.6.1-venv"
#: Reads the image files named after the first two arguments with ddddocr's own model, restricted by
#: `set_ranges` to the characters of the second when it is not empty; prints their texts as JSON.
DDDDOCR_READ = """
import json, sys, ddddocr
ocr = ddddocr.DdddOcr(show_ad=False)
if sys.argv[1]:
    ocr.set_ranges(sys.argv[1])
print(json.dumps([ocr.classification(open(path, "rb").read()) for path in sys.argv[2:]]))
"""


def data_dir():
    folder = os.environ.get("KERAS_CAPTCHA_DATA", "../shared/data/captcha_images_v2")
    if not pathlib.Path(folder).is_dir():
        sys.exit(f"set KERAS_CAPTCHA_DATA to the captcha_images_v2 folder (tried {folder})")
    return pathlib.Path(folder)


def emit(result):
    """Prints the benchmark's JSON result on stdout."""
    print(json.dumps(result, indent=2))


def cpu():
    """The CPU's model name and its int8-relevant instruction sets, from /proc/cpuinfo (Linux)."""
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    name = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), None)
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return {"model": name, "avx512f": "avx512f" in flags, "vnni": any("vnni" in flag for flag in flags)}


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


def ddddocr_read(python, paths, allowed=None):
    """ddddocr's readings (its own model, no training) of the image files `paths`, in order;
    with `allowed`, only those characters (its `set_ranges`, which drops the others from the reading)."""
    result = subprocess.run([python, "-c", DDDDOCR_READ, allowed or "", *map(str, paths)], capture_output=True, text=True,
                            check=True, timeout=1800)
    return json.loads(result.stdout.strip().splitlines()[-1])
