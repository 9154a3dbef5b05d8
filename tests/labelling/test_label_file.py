"""The append-only labels.csv: rows on disk at once, CSV escapes that `train` reads back, one row per image."""

import threading

import pytest

from keras_captcha.core.errors import CaptchaError
from keras_captcha.labelling.label_file import AlreadyLabelled, LabelFile, check_label_text
from keras_captcha.runtime.datasets import list_samples

from helpers import write_captchas


def test_rows_are_relative_escaped_and_read_back_by_the_training_manifest_reader(tmp_path):
    paths = write_captchas(tmp_path / "images", ["ab1", "c2d", "e12"])
    labels = LabelFile(tmp_path / "labels.csv")
    for path, label in zip(paths, ['a,b', 'say "hi"', "ünï 12"]):
        labels.append(path, label)
    text = (tmp_path / "labels.csv").read_text()
    assert text.splitlines()[0] == "path,label" and "images/ab1.png" in text and '"a,b"' in text
    assert list_samples(tmp_path / "labels.csv") == sorted(
        (str(p.resolve()), label) for p, label in zip(paths, ['a,b', 'say "hi"', "ünï 12"])
    )
    assert LabelFile(tmp_path / "labels.csv").rows()[str(paths[1].resolve())] == 'say "hi"'


def test_an_image_is_labelled_once_and_bad_labels_are_refused(tmp_path):
    [path] = write_captchas(tmp_path, ["ab1"])
    labels = LabelFile(tmp_path / "labels.csv")
    labels.append(path, "ab1")
    with pytest.raises(AlreadyLabelled, match="ab1.png is already labelled"):
        labels.append(path, "xyz")
    for bad, message in (("", "non-empty"), ("a\nb", "control characters"), ("a\x00", "control characters")):
        with pytest.raises(CaptchaError, match=message):
            check_label_text(bad, "x.png")
    assert (tmp_path / "labels.csv").read_text().count("\n") == 2


def test_files_that_are_not_label_files_and_missing_folders_are_named(tmp_path):
    (tmp_path / "other.csv").write_text("name,value,extra\n1,2,3\n")
    with pytest.raises(CaptchaError, match="other.csv: not a labels CSV"):
        LabelFile(tmp_path / "other.csv")
    with pytest.raises(CaptchaError, match="does not exist"):
        LabelFile(tmp_path / "absent" / "labels.csv")
    with pytest.raises(CaptchaError, match="is a folder; name the .csv file to write"):
        LabelFile(tmp_path)


def test_a_hand_edited_file_without_a_last_newline_keeps_its_rows(tmp_path):
    first, second = write_captchas(tmp_path, ["ab1", "c2d"])
    (tmp_path / "labels.csv").write_text("path,label\nab1.png,ab1")
    LabelFile(tmp_path / "labels.csv").append(second, "c2d")
    assert [label for _, label in list_samples(tmp_path / "labels.csv")] == ["ab1", "c2d"]


def test_concurrent_appenders_lose_no_row(tmp_path):
    paths = write_captchas(tmp_path / "images", [f"a{i:02d}" for i in range(40)])
    labels = LabelFile(tmp_path / "labels.csv")

    def append(share):
        for path in share:
            LabelFile(labels.path).append(path, path.stem)

    threads = [threading.Thread(target=append, args=(paths[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(label for _, label in list_samples(labels.path)) == sorted(p.stem for p in paths)
