"""Export: every file written, verified and listed in the model card; atomic on failure."""

import json

import pytest

from keras_captcha import export as export_lib
from keras_captcha.card import CARD_NAME, read_card
from keras_captcha.errors import CaptchaError
from keras_captcha.savedmodel import DIR_NAME as SAVED_MODEL_DIR
from keras_captcha.variants import VARIANTS


def test_export_writes_every_artifact_and_a_model_card(exported):
    out, card, recognizer, samples, _ = exported
    assert sorted(p.name for p in out.iterdir()) == sorted(
        {variant.file.split("/")[0] for variant in VARIANTS.values()} | {CARD_NAME, SAVED_MODEL_DIR}
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
    real_convert = export_lib.tflite_convert.convert
    calls = []

    def convert_then_fail(recognizer, variant, calibration_images):
        calls.append(variant)
        if len(calls) == 2:  # the first variant is already staged
            raise CaptchaError("export: simulated failure")
        return real_convert(recognizer, variant, calibration_images)

    monkeypatch.setattr(export_lib.tflite_convert, "convert", convert_then_fail)
    with pytest.raises(CaptchaError, match="simulated failure"):
        export_lib.export(run_dir / "model.keras", out, variants=["float32", "float16"])
    assert _tree_bytes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exported"], "no staging folder is left"
