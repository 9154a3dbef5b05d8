"""Real ddddocr, from PyPI in its own virtualenv, reads with our exported pair exactly as our runtime does."""

import json
import subprocess
import sys

import pytest

from keras_captcha.core.variants import VARIANTS
from keras_captcha.runtime.onnx import OnnxPredictor

from helpers import random_labels, write_captchas

DDDDOCR = "ddddocr==1.6.1"
READ_CODE = """
import json, sys, ddddocr
folder, paths = sys.argv[1], sys.argv[2:]
ocr = ddddocr.DdddOcr(det=False, ocr=False, show_ad=False,
                      import_onnx_path=folder + "/captcha.onnx", charsets_path=folder + "/charsets.json")
print(json.dumps([ocr.classification(open(path, "rb").read()) for path in paths]))
"""


@pytest.fixture(scope="module")
def ddddocr_python(tmp_path_factory):
    venv = tmp_path_factory.mktemp("ddddocr") / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", DDDDOCR], capture_output=True, text=True, timeout=600
    )
    if installed.returncode:
        pytest.skip(f"{DDDDOCR} could not be installed: {installed.stderr.strip().splitlines()[-1:]}")
    return python


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_ddddocr_reads_generated_captchas_as_our_runtime_does(exported, ddddocr_python, tmp_path, mode):
    out, _, _, _, _ = exported
    paths = write_captchas(tmp_path, random_labels(20, seed=7), mode=mode)
    result = subprocess.run(
        [ddddocr_python, "-c", READ_CODE, (out / VARIANTS["ddddocr"].file).parent, *paths],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    theirs = json.loads(result.stdout.strip().splitlines()[-1])
    ours = [reading.text for reading in OnnxPredictor(out / VARIANTS["onnx"].file).predict(paths)]
    assert theirs == ours
