"""Triage: the least confident readings first, written as a prefilled labels.csv."""

from unittest import mock

import pytest

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.errors import CaptchaError
from keras_captcha.labelling.triage import triage, write_labels
from keras_captcha.runtime.datasets import list_images
from keras_captcha.runtime.loading import open_predictor

from helpers import assert_user_error, run_cli, write_captchas


def test_least_confident_first_and_top_k(tmp_path):
    paths = [str(p) for p in write_captchas(tmp_path / "unlabelled", ["ab1", "c2d", "e12", "dd1", "b2b"])]
    predictor = open_predictor(shipped_model())
    rows = triage(predictor, paths)
    confidences = [reading.confidence for _, reading in rows]
    assert confidences == sorted(confidences) and sorted(p for p, _ in rows) == sorted(paths)
    assert triage(predictor, paths, top=2) == rows[:2]


def test_the_written_manifest_holds_the_readings_and_is_never_overwritten(tmp_path):
    write_captchas(tmp_path / "unlabelled", ["ab1", "c2d", "e12"])
    rows = triage(open_predictor(shipped_model()), list_images(tmp_path / "unlabelled"), top=2)
    write_labels(rows, tmp_path / "labels.csv")
    lines = (tmp_path / "labels.csv").read_text().splitlines()
    assert lines[0] == "path,label" and len(lines) == 3
    assert [line.split(",", 1)[1] for line in lines[1:]] == [reading.text for _, reading in rows]
    with pytest.raises(CaptchaError, match="already exists"):
        write_labels(rows, tmp_path / "labels.csv")


def test_cli_triage_and_its_mistakes(tmp_path, capsys):
    model = shipped_model()
    write_captchas(tmp_path / "unlabelled", ["ab1", "c2d", "e12"])
    code, printed, err = run_cli(capsys, "triage", "--model", model, "--data", tmp_path / "unlabelled",
                                 "--top", 2, "--out", tmp_path / "labels.csv")
    assert code == 0, err
    assert "2 images, least confident first" in printed
    assert len((tmp_path / "labels.csv").read_text().splitlines()) == 3
    bad = {
        "already exists": (tmp_path / "unlabelled", tmp_path / "labels.csv"),
        "absent: no such folder": (tmp_path / "absent", tmp_path / "x.csv"),
        "empty: no images": (tmp_path / "empty", tmp_path / "x.csv"),
    }
    (tmp_path / "empty").mkdir()
    for message, (data, written) in bad.items():
        assert_user_error(capsys, ["triage", "--model", model, "--data", data, "--out", written], message)
    with mock.patch("keras_captcha.labelling.triage.triage", side_effect=AssertionError("read before --out")):
        assert_user_error(capsys, ["triage", "--model", model, "--data", tmp_path / "unlabelled", "--out",
                                   tmp_path / "labels.csv"], "already exists")
        assert_user_error(capsys, ["triage", "--model", model, "--data", tmp_path / "unlabelled", "--out",
                                   tmp_path, "--overwrite"], "is a folder; name the .csv file to write")
    (tmp_path / "unlabelled" / "junk.png").write_text("no")
    assert_user_error(capsys, ["triage", "--model", model, "--data", tmp_path / "unlabelled", "--out",
                               tmp_path / "x.csv"], "junk.png: not a readable image")
    assert not (tmp_path / "x.csv").exists()
