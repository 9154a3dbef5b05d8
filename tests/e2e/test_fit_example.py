"""examples/fit.py: plain `model.fit` from the package's public names, saving a model `export` takes."""

import pathlib
import subprocess
import sys

from keras_captcha.core import run_files
from keras_captcha.runtime.datasets import list_samples

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "fit.py"


def test_the_fit_example_trains_one_epoch_and_saves_a_model_export_takes(tiny_dataset, tmp_path):
    from keras_captcha.training.keras_predictor import load_keras_model

    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, EXAMPLE, "--data", tiny_dataset, "--out", out, "--epochs", "1"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "validation accuracy" in result.stdout
    recognizer = load_keras_model(out / run_files.MODEL)  # safe mode, a CaptchaRecognizer
    assert recognizer.config.charset == "".join(sorted(set("".join(label for _, label in list_samples(tiny_dataset)))))
    # the split export verifies and calibrates on, as a training run leaves it
    listed = list_samples(out / run_files.TRAIN_CSV) + list_samples(out / run_files.VALIDATION_CSV)
    assert sorted(listed) == list_samples(tiny_dataset)
    assert (out / run_files.HISTORY_CSV).read_text().count("\n") == 2  # header + one epoch

    from keras_captcha.export import export

    card = export(out / run_files.MODEL, tmp_path / "exported", variants=["float32"])  # as `keras-captcha export`
    assert card["variants"]["float32"]["agreement_with_keras"] == 1.0
