"""The command line: each command end to end, and a user's mistake as one line with exit code 2."""

import io
import json
import sys

import pytest

import keras_captcha
from keras_captcha import cli
from keras_captcha.core.variants import VARIANTS
from keras_captcha.training.options import TrainOptions

from helpers import TINY_CHARSET, assert_user_error, run_cli, write_captchas


def test_cli_train_refuses_a_finished_run(trained_run, capsys, tiny_dataset):
    run_dir, _ = trained_run
    before = (run_dir / "model.keras").read_bytes()
    code, _, err = run_cli(capsys, "train", "--data", tiny_dataset, "--out", run_dir, "--epochs", 1)
    assert code == 2
    assert err.strip().endswith("pass --overwrite") and "Traceback" not in err
    assert (run_dir / "model.keras").read_bytes() == before


def test_cli_train_end_to_end(tiny_dataset, tmp_path, capsys):
    code, out, _ = run_cli(
        capsys, "train", "--data", tiny_dataset, "--out", tmp_path / "run", "--epochs", 1,
        "--height", 16, "--width", 64, "--batch-size", 16,
    )
    assert code == 0
    assert "validation accuracy" in out and str(tmp_path / "run" / "model.keras") in out
    assert "validation images say little of how well it reads: evaluate it on more labelled captchas" in out


def test_cli_train_self_trains_on_an_unlabelled_folder(tiny_dataset, tmp_path, capsys):
    write_captchas(tmp_path / "pool", ["ab1", "c2d", "e1a2"])
    code, out, _ = run_cli(
        capsys, "train", "--data", tiny_dataset, "--unlabeled", tmp_path / "pool", "--self-training-rounds", 1,
        "--out", tmp_path / "run", "--epochs", 1, "--height", 16, "--width", 64, "--batch-size", 16,
    )
    assert code == 0
    assert "self-training on 3 unlabelled images: pseudo-labels per round" in out
    assert (tmp_path / "run" / "self_training" / "round0" / "model.keras").is_file()


def test_evaluate_json_reports_accuracy_cer_and_mismatches(trained_run, tiny_dataset, capsys):
    run_dir, _ = trained_run
    code, out, _ = run_cli(capsys, "evaluate", "--model", run_dir / "model.keras", "--data", run_dir / "validation.csv", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["n"] == 4
    assert set(report) == {"n", "accuracy", "cer", "mismatches", "confusions", "unknown_characters"}
    assert sum(c["count"] for c in report["confusions"]) >= len(report["mismatches"])
    assert report["unknown_characters"] == {"characters": "", "paths": []}
    assert len(report["mismatches"]) == round(4 * (1 - report["accuracy"]))
    for mismatch in report["mismatches"]:
        assert mismatch["target"] != mismatch["prediction"]


def test_evaluate_text_lists_target_next_to_prediction(trained_run, capsys):
    run_dir, _ = trained_run
    code, out, _ = run_cli(capsys, "evaluate", "--model", run_dir / "model.keras", "--data", run_dir / "validation.csv")
    assert code == 0
    assert out.splitlines()[-1].startswith("4 images: accuracy")


def test_predict_prints_path_text_confidence(trained_run, tiny_dataset, capsys, monkeypatch):
    run_dir, _ = trained_run
    images = sorted(tiny_dataset.iterdir())[:3]
    code, out, _ = run_cli(capsys, "predict", *images, "--model", run_dir / "model.keras")
    assert code == 0
    lines = [line.split("\t") for line in out.splitlines()]
    assert [line[0] for line in lines] == [str(p) for p in images]
    for _, text, confidence in lines:
        assert set(text) <= set(TINY_CHARSET) and 0 <= float(confidence) <= 1
    code, out, _ = run_cli(capsys, "predict", tiny_dataset, images[0], "--model", run_dir / "model.keras")
    listed = [line.split("\t")[0] for line in out.splitlines()]
    assert code == 0 and listed == [str(p) for p in sorted(tiny_dataset.glob("*.png"))] + [str(images[0])]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(images[1].read_bytes())))
    code, out, _ = run_cli(capsys, "predict", "-", images[1], "--model", run_dir / "model.keras")
    piped, named = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and piped[0] == "-" and piped[1:] == named[1:]
    code, out, _ = run_cli(capsys, "predict", images[0], "--model", run_dir / "model.keras", "--json")
    record = json.loads(out)
    assert set(record) == {"path", "text", "confidence", "uncertain", "characters"}
    assert [c["char"] for c in record["characters"]] == list(record["text"])


def test_allowed_restricts_what_predict_and_evaluate_read(trained_run, tiny_dataset, capsys):
    run_dir, _ = trained_run
    model = run_dir / "model.keras"
    images = sorted(tiny_dataset.iterdir())[:4]
    allowed = TINY_CHARSET[:2]
    code, out, _ = run_cli(capsys, "predict", *images, "--model", model, "--allowed", allowed)
    assert code == 0
    assert all(set(line.split("\t")[1]) <= set(allowed) for line in out.splitlines())
    code, out, _ = run_cli(capsys, "evaluate", "--model", model, "--data", run_dir / "validation.csv",
                           "--allowed", allowed, "--json")
    assert code == 0
    assert all(set(m["prediction"]) <= set(allowed) for m in json.loads(out)["mismatches"])
    assert_user_error(capsys, ["predict", images[0], "--model", model, "--allowed", "€"], "not in the charset: '€'")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", "--model", str(model), "--data", str(tiny_dataset), "--allowed", ""])
    assert exit_info.value.code == 2 and "expected at least one character" in capsys.readouterr().err


def test_bad_data_errors_name_the_file(tmp_path, capsys):
    out = tmp_path / "run"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_user_error(capsys, ["train", "--data", empty, "--out", out], "no images")
    bad = tmp_path / "bad"
    write_captchas(bad, ["abc", "abd"])
    (bad / "junk.png").write_text("hello")
    assert_user_error(capsys, ["train", "--data", bad, "--out", out], "junk.png: not a readable image")
    (bad / "junk.png").unlink()
    (bad / "zero.png").write_bytes(b"")
    assert_user_error(capsys, ["train", "--data", bad, "--out", out], "zero.png: not a readable image (empty file)")
    (bad / "zero.png").unlink()
    write_captchas(bad, ["a" * 32])  # the input widens for long labels, to 256 columns at most: 31 characters
    assert_user_error(capsys, ["train", "--data", bad, "--out", out, "--epochs", 1], "has 32 characters")


def test_a_run_needs_an_image_to_validate_on(tmp_path, capsys):
    one, out = tmp_path / "one", tmp_path / "run"
    write_captchas(one, ["abc"])
    assert_user_error(capsys, ["train", "--data", one, "--out", out], "one: one labelled image; a run needs two")
    write_captchas(one, ["abd"])
    assert_user_error(capsys, ["train", "--data", one, "--out", out, "--validation-split", 0],
                      "--validation-split 0.0: expected a fraction above 0 and below 1")
    assert not out.exists()


def test_bad_charsets_are_one_line_and_write_nothing(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "run"
    write_captchas(data, ["abc", "abd"])
    train = ["train", "--data", data, "--out", out, "--epochs", 1]
    assert_user_error(capsys, train + ["--charset", ""], "--charset is empty")
    assert_user_error(capsys, train + ["--charset", "abcda"], "--charset 'abcda' repeats 'a'")
    assert_user_error(capsys, train + ["--charset", "abcw"], "abd.png: label 'abd' has 'd', which --charset 'abcw' lacks")
    assert not out.exists()


def test_bad_unlabelled_folders_and_init_models_are_one_line_and_write_nothing(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "run"
    train = ["train", "--data", tiny_dataset, "--out", out, "--epochs", 1]
    assert_user_error(capsys, train + ["--unlabeled", tmp_path / "absent"], "absent: no such folder")
    (tmp_path / "empty").mkdir()
    assert_user_error(capsys, train + ["--unlabeled", tmp_path / "empty"], "empty: no images")
    write_captchas(tmp_path / "pool", ["abc"])
    (tmp_path / "pool" / "junk.png").write_text("hello")
    assert_user_error(capsys, train + ["--unlabeled", tmp_path / "pool"], "junk.png: not a readable image")
    (tmp_path / "notes.keras").write_text("not a model")
    assert_user_error(capsys, train + ["--init", tmp_path / "notes.keras"], "notes.keras: not a keras_captcha model")
    assert not out.exists()


def test_evaluate_counts_characters_outside_the_charset_as_misses(trained_run, tmp_path, capsys):
    run_dir, _ = trained_run
    write_captchas(tmp_path, ["abz", "zab", "abc"])
    code, out, err = run_cli(capsys, "evaluate", "--model", run_dir / "model.keras", "--data", tmp_path, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["n"] == 3
    assert report["unknown_characters"] == {
        "characters": "z", "paths": [str(tmp_path / "abz.png"), str(tmp_path / "zab.png")]}
    assert {m["target"] for m in report["mismatches"]} >= {"abz", "zab"}
    assert report["accuracy"] <= 1 / 3
    assert len(err.strip().splitlines()) == 1 and "warning: 2 label(s)" in err and "('z')" in err, err
    assert "abz.png" in err and "zab.png" in err


def test_predict_bad_inputs(trained_run, tmp_path, capsys, monkeypatch):
    run_dir, _ = trained_run
    model = run_dir / "model.keras"
    assert_user_error(capsys, ["predict", tmp_path / "nope.png", "--model", model], "nope.png: no such file")
    (tmp_path / "empty").mkdir()
    assert_user_error(capsys, ["predict", tmp_path / "empty", "--model", model], "empty: no images (.png")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"not an image")))
    assert_user_error(capsys, ["predict", "-", "--model", model], "standard input: not a readable image")
    assert_user_error(capsys, ["predict", "-", "-", "--model", model], "- is given more than once")
    (tmp_path / "text.png").write_text("not an image")
    assert_user_error(capsys, ["predict", tmp_path / "text.png", "--model", model], "text.png: not a readable image")
    image = write_captchas(tmp_path, ["abc"])[0]
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 broken")
    assert_user_error(capsys, ["predict", image, "--model", tmp_path / "broken.keras"], "broken.keras: not a loadable")
    assert_user_error(capsys, ["predict", image, "--model", tmp_path / "absent.keras"], "absent.keras: no such model")


def test_an_out_the_system_refuses_is_one_line(trained_run, tiny_dataset, tmp_path, capsys):
    model = trained_run[0] / "model.keras"
    (tmp_path / "a_file").write_text("not a folder")
    blocked = tmp_path / "a_file" / "inside"
    assert_user_error(capsys, ["triage", "--data", tiny_dataset, "--out", blocked / "labels.csv", "--model", model],
                      "a_file/inside: cannot be read or written (Not a directory)")
    assert_user_error(capsys, ["train", "--data", tiny_dataset, "--out", blocked, "--epochs", "1"],
                      "a_file/inside: cannot be read or written (Not a directory)")
    assert_user_error(capsys, ["triage", "--data", tiny_dataset, "--out", tmp_path, "--model", model, "--overwrite"],
                      f"{tmp_path}: is a folder; name the .csv file to write")


def test_version_is_the_packages(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == f"keras-captcha {keras_captcha.__version__}"


@pytest.mark.parametrize("argv, message", [
    (["train", "--epochs", "0"], "expected a positive whole number, got 0"),
    (["serve", "--port", "70000"], "expected a port number from 0 to 65535, got 70000"),
    (["label", "--data", "x", "--out", "y.csv", "--port", "-1"], "expected a port number from 0 to 65535, got -1"),
])
def test_bad_option_values_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_export_writes_only_the_variants_named(exported, tmp_path, capsys):
    run_dir = exported[0].parent / "run"
    code, printed, _ = run_cli(capsys, "export", "--model", run_dir / "model.keras", "--out", tmp_path / "out",
                               "--variants", "float32", "float16")  # --model, as every command names it
    assert code == 0 and "not written" not in printed
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert {VARIANTS["float32"].file, VARIANTS["float16"].file} <= files
    assert VARIANTS["int8"].file not in files
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["export", str(run_dir / "model.keras"), "--out", str(tmp_path / "x"), "--variants", "int4"])
    assert exit_info.value.code == 2 and "invalid choice: 'int4'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_export_is_given_one_model(tmp_path, capsys):
    assert_user_error(capsys, ["export", "--out", tmp_path / "out"],
                      "export: name the trained .keras model to export (MODEL or --model MODEL)")
    assert_user_error(capsys, ["export", "a.keras", "--model", "b.keras", "--out", tmp_path / "out"],
                      "export: two models given, a.keras and --model b.keras; name one")
    assert not (tmp_path / "out").exists()


def test_train_help_gives_the_librarys_defaults(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())  # argparse wraps the lines
    defaults = TrainOptions()
    assert exit_info.value.code == 0
    for option, value in [("--batch-size", defaults.batch_size), ("--learning-rate", f"{defaults.learning_rate:g}"),
                          ("--patience", defaults.patience), ("--validation-split", defaults.validation_fraction),
                          ("--seed", defaults.seed), ("--self-training-rounds", defaults.self_training_rounds)]:
        assert f"(default {value}" in help_text.split(f" {option} ")[1].split(" --")[0], option


def test_evaluate_and_predict_with_a_tflite_model(exported, capsys):
    out, _, _, samples, _ = exported
    model = out / VARIANTS["int8"].file
    code, printed, _ = run_cli(capsys, "evaluate", "--model", model, "--data", out.parent / "run" / "validation.csv", "--json")
    assert code == 0 and json.loads(printed)["n"] == len(samples)
    code, printed, _ = run_cli(capsys, "predict", samples[0][0], "--model", model)
    assert code == 0 and printed.split("\t")[0] == samples[0][0]
    assert_user_error(capsys, ["evaluate", "--model", model, "--data", out.parent / "none"], "no such folder")


def test_a_model_with_an_answer_rule_predicts_a_fourth_column_and_evaluates_answers(tmp_path, capsys):
    import shutil

    from keras_captcha.core.answers import RULES
    from keras_captcha.core.assets import shipped_model
    from keras_captcha.core.card import CARD_NAME

    (tmp_path / "model").mkdir()
    shutil.copy(shipped_model(), tmp_path / "model" / "m.tflite")
    card = json.loads(shipped_model().with_name(CARD_NAME).read_text())
    card["config"]["answer"] = RULES["arithmetic"]
    (tmp_path / "model" / CARD_NAME).write_text(json.dumps(card))
    images = write_captchas(tmp_path / "data", ["2345", "6784"])
    code, out, err = run_cli(capsys, "predict", *images, "--model", tmp_path / "model" / "m.tflite")
    assert code == 0, err
    for line in out.splitlines():
        path, text, confidence, answer = line.split("\t")
        assert answer == (text if text.isdigit() else "")
    code, out, _ = run_cli(capsys, "predict", images[0], "--model", tmp_path / "model" / "m.tflite", "--json")
    assert "answer" in json.loads(out)
    code, out, err = run_cli(capsys, "evaluate", "--data", tmp_path / "data", "--model", tmp_path / "model" / "m.tflite",
                           "--json")
    assert code == 0, err
    assert "answer_accuracy" in json.loads(out)
