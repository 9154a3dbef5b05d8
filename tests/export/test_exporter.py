"""Export: every file written, verified and listed in the model card; atomic on failure."""

import json

import numpy as np
import pytest

from keras_captcha.core import run_files
from keras_captcha.core.card import CARD_NAME, read_card
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.variants import VARIANTS
from keras_captcha.export import exporter as export_lib
from keras_captcha.export import writers
from keras_captcha.export.savedmodel import DIR_NAME
from keras_captcha.runtime.loading import open_predictor
from keras_captcha.runtime.onnx import OnnxPredictor
from keras_captcha.runtime.predictor import Predictor
from keras_captcha.training.keras_predictor import KerasPredictor


def test_export_writes_every_artifact_and_a_model_card(exported):
    out, card, recognizer, samples, _ = exported
    assert sorted(p.name for p in out.iterdir()) == sorted(
        {variant.file.split("/")[0] for variant in VARIANTS.values()} | {CARD_NAME, DIR_NAME}
    )
    assert sorted(card["variants"]) == sorted(VARIANTS)
    on_disk = json.loads((out / CARD_NAME).read_text())
    assert on_disk == json.loads(json.dumps(card))
    assert read_card(out / CARD_NAME).config == recognizer.config
    assert card["validation_images"] == len(samples)
    assert 0 <= card["reference"]["accuracy"] <= 1
    for name, variant in card["variants"].items():
        assert variant["file"] == VARIANTS[name].file and (out / variant["file"]).is_file()
        assert variant["bytes"] == (out / variant["file"]).stat().st_size
        assert 0 <= variant["accuracy"] <= 1 and variant["latency_ms"] > 0
        assert variant["agreement_with_keras"] >= VARIANTS[name].required_agreement
        assert variant["ops"] and all(count > 0 for count in variant["ops"].values())


def test_export_without_a_run_folder_says_to_pass_data(trained_run, tmp_path):
    run_dir, _ = trained_run
    (tmp_path / "model.keras").write_bytes((run_dir / "model.keras").read_bytes())
    with pytest.raises(CaptchaError, match="no validation.csv beside it .*pass --data DIR"):
        export_lib.export(tmp_path / "model.keras", tmp_path / "out")


def _tree_bytes(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failing_export_leaves_the_previous_output_untouched(trained_run, tmp_path, monkeypatch):
    run_dir, _ = trained_run
    out = tmp_path / "exported"
    out.mkdir()
    (out / "captcha_int8.tflite").write_bytes(b"the previous export")
    (out / "model_card.json").write_text('{"previous": true}')
    before = _tree_bytes(out)
    real_convert = writers.tflite_convert.convert
    calls = []

    def convert_then_fail(recognizer, variant, calibration_images):
        calls.append(variant)
        if len(calls) == 2:  # the first variant is already staged
            raise CaptchaError("export: simulated failure")
        return real_convert(recognizer, variant, calibration_images)

    monkeypatch.setattr(writers.tflite_convert, "convert", convert_then_fail)
    with pytest.raises(CaptchaError, match="simulated failure"):
        export_lib.export(run_dir / "model.keras", out, variants=["float32", "float16"])
    assert _tree_bytes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exported"], "no staging folder is left"


def test_every_format_opens_as_a_predictor_that_reads_like_keras(exported, trained_run):
    out, _, recognizer, samples, images = exported
    paths = [path for path, _ in samples]
    expected = [reading.text for reading in KerasPredictor(recognizer).predict(paths)]
    for model in (out / DIR_NAME, out / VARIANTS["float32"].file, out / VARIANTS["onnx"].file):
        predictor = open_predictor(model)
        assert isinstance(predictor, Predictor) and predictor.config == recognizer.config
        assert [reading.text for reading in predictor.predict(paths)] == expected
    assert isinstance(open_predictor(trained_run[0] / run_files.MODEL), KerasPredictor)
    onnx = OnnxPredictor(out / VARIANTS["onnx"].file)
    np.testing.assert_allclose(onnx.probabilities(images), recognizer.predict(images, verbose=0), atol=1e-4)
