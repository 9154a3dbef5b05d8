"""The runtime install: the built wheel, in a fresh virtualenv, reads a captcha with no TensorFlow."""

import json
import pathlib
import subprocess
import sys

from helpers import draw_captcha

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _run(*command, **kwargs):
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def test_the_wheel_installs_the_runtime_only_and_reads_a_captcha(tmp_path):
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", tmp_path / "dist", ROOT)
    [wheel] = (tmp_path / "dist").glob("keras_captcha-*.whl")
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    python, cli = venv / "bin" / "python", venv / "bin" / "keras-captcha"
    _run(python, "-m", "pip", "install", "--quiet", wheel)
    installed = _run(python, "-m", "pip", "list", "--format=json").stdout
    names = {package["name"].lower() for package in json.loads(installed)}
    assert {"numpy", "pillow", "ai-edge-litert", "keras-captcha"} <= names
    assert not names & {"tensorflow", "keras", "tf-keras"}

    image = tmp_path / "captcha.png"
    draw_captcha("2b4cd").save(image)
    # outside the checkout, so the shipped model comes from the install's share/ folder
    result = _run(cli, "predict", image, "--json", cwd=tmp_path)
    reading = json.loads(result.stdout)
    assert reading["path"] == str(image) and 0 <= reading["confidence"] <= 1
    assert set(reading["text"]) <= set("2345678bcdefgmnpwxy")
    base = _run(python, "-c", "from keras_captcha.core.assets import shipped_base; print(shipped_base())", cwd=tmp_path)
    assert base.stdout.strip() == str(venv / "share" / "keras-captcha" / "exported" / "base" / "model.keras")

    result = subprocess.run([cli, "train", "--data", tmp_path], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert 'pip install "keras-captcha[train]"' in result.stderr.strip()

    # the TensorFlow-free layers' own tests pass on the runtime install alone
    _run(python, "-m", "pip", "install", "--quiet", "pytest")
    tests = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", ROOT / "tests" / "core",
                 ROOT / "tests" / "runtime", ROOT / "tests" / "labelling", cwd=tmp_path)
    assert " passed" in tests.stdout and " failed" not in tests.stdout, tests.stdout[-2000:]
    where = _run(python, "-c", "import keras_captcha; print(keras_captcha.__file__)", cwd=tmp_path).stdout
    assert where.startswith(str(venv)), where
    page = _run(python, "-c", "import keras_captcha, pathlib; print((pathlib.Path(keras_captcha.__file__).parent"
                " / 'labelling' / 'static' / 'label.html').is_file())", cwd=tmp_path).stdout
    assert page.strip() == "True"  # the labelling page ships in the wheel
    reader = _run(python, "-c", "from keras_captcha.core.assets import general_reader; print(general_reader())",
                  cwd=tmp_path).stdout
    assert reader.strip().endswith("base/captcha_float32.tflite")  # installed, TF-free
