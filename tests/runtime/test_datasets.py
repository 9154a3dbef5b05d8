"""Listing and checking datasets on disk: folders, manifests, the split (no TensorFlow)."""

import pytest

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime import datasets as samples

from helpers import write_captchas


def test_list_samples_reads_labels_from_file_stems(tmp_path):
    write_captchas(tmp_path, ["ab1", "ba22", "c"])
    listed = samples.list_samples(tmp_path)
    assert [label for _, label in listed] == ["ab1", "ba22", "c"]
    assert samples.derive_charset(label for _, label in listed) == "12abc"


def test_manifest_problems_name_the_row(tmp_path):
    write_captchas(tmp_path, ["abc"])
    (tmp_path / "labels.csv").write_text("path,label\nabc.png,abc\nmissing.png,x\n")
    with pytest.raises(CaptchaError, match=r"labels.csv:3: missing.png: no such file"):
        samples.list_samples(tmp_path)
    (tmp_path / "labels.csv").write_text("path,label\nabc.png,abc\nabc.png,abd\n")
    with pytest.raises(CaptchaError, match="listed twice"):
        samples.list_samples(tmp_path)


def test_a_manifest_header_is_optional_and_rows_are_named_by_their_line(tmp_path):
    write_captchas(tmp_path, ["abc", "bca"])
    for header in ("", "path,label\n", "Filename,Text\n", "image,label\n"):
        (tmp_path / "labels.csv").write_text(f"{header}abc.png,x1\nbca.png,x2\n")
        assert [label for _, label in samples.list_samples(tmp_path)] == ["x1", "x2"]
        (tmp_path / "labels.csv").write_text(f"{header}abc.png,x1\nmissing.png,x2\n")
        line = 2 + bool(header)
        with pytest.raises(CaptchaError, match=rf"labels.csv:{line}: missing.png: no such file"):
            samples.list_samples(tmp_path)


def test_split_is_seeded_and_order_independent(tiny_dataset):
    listed = samples.list_samples(tiny_dataset)
    train, validation = samples.split_samples(listed, 0.1, seed=3)
    assert len(validation) == 4 and len(train) == 36
    assert not set(train) & set(validation)
    assert samples.split_samples(listed[::-1], 0.1, seed=3) == (train, validation)
    assert samples.split_samples(listed, 0.1, seed=4)[1] != validation


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "empty file"), (b"not an image at all", "not a readable image")],
)
def test_unreadable_file_is_named(tmp_path, content, reason):
    write_captchas(tmp_path, ["abc"])
    (tmp_path / "bad.png").write_bytes(content)
    with pytest.raises(CaptchaError, match=rf"bad.png: .*{reason}"):
        samples.list_samples(tmp_path)
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        assert [label for _, label in samples.list_samples(tmp_path, skip_bad=True)] == ["abc"]


def test_truncated_png_is_named(tmp_path):
    write_captchas(tmp_path, ["abc", "cut"])
    whole = (tmp_path / "cut.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CaptchaError, match="cut.png: not a readable image"):
        samples.list_samples(tmp_path)


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(CaptchaError, match="no images"):
        samples.list_samples(tmp_path)
    with pytest.raises(CaptchaError, match="absent: no such folder"):
        samples.list_samples(tmp_path / "absent")


@pytest.mark.parametrize("text", ["", "path,label\n", "\n\n"])
def test_a_manifest_without_rows_is_named_as_such(tmp_path, text):
    (tmp_path / "labels.csv").write_text(text)
    for data in (tmp_path, tmp_path / "labels.csv"):
        with pytest.raises(CaptchaError, match=r"labels\.csv: no 'path,label' rows$"):
            samples.list_samples(data)


def test_a_missing_manifest_file_is_no_such_file(tmp_path):
    with pytest.raises(CaptchaError, match=r"absent\.csv: no such file$"):
        samples.list_samples(tmp_path / "absent.csv")


def test_real_dataset_lists_936_five_character_captchas(real_data):
    listed = samples.list_samples(real_data)
    assert len(listed) == 936
    assert {len(label) for _, label in listed} == {5}
    assert samples.derive_charset(label for _, label in listed) == "2345678bcdefgmnpwxy"


def test_list_images_takes_any_names_and_names_bad_files(tmp_path):
    write_captchas(tmp_path, ["abc", "x y!"])
    assert [p.rsplit("/", 1)[1] for p in samples.list_images(tmp_path)] == ["abc.png", "x y!.png"]
    (tmp_path / "bad.gif").write_bytes(b"GIF89a nope")
    with pytest.raises(CaptchaError, match="bad.gif: not a readable image"):
        samples.list_images(tmp_path)
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        assert len(samples.list_images(tmp_path, skip_bad=True)) == 2


def test_write_samples_replaces_a_file_whole(tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("")
    target = tmp_path / "run" / "train.csv"
    target.parent.mkdir()
    target.write_text("previous")
    samples.write_samples(target, [("a.png", "ab"), ("b.png", "ba")])
    lines = target.read_text().splitlines()
    assert lines[0] == "path,label" and [line.rsplit(",", 1)[1] for line in lines[1:]] == ["ab", "ba"]
    assert target.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777, "the permissions open() gives"
    assert sorted(p.name for p in target.parent.iterdir()) == ["train.csv"]


def test_a_manifest_that_cannot_be_written_is_named(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(CaptchaError, match=r"a_file/labels.csv: cannot be written \(Not a directory\)"):
        samples.write_samples(tmp_path / "a_file" / "labels.csv", [("x.png", "x")])
    (tmp_path / "a_folder").mkdir()
    with pytest.raises(CaptchaError, match="a_folder: is a folder; name the .csv file to write"):
        samples.write_samples(tmp_path / "a_folder", [("x.png", "x")])
    assert not list((tmp_path / "a_folder").iterdir()) and sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "a_folder"]


def test_a_spreadsheets_manifest_reads_and_other_encodings_are_named(tmp_path):
    write_captchas(tmp_path, ["abc"])
    (tmp_path / "labels.csv").write_bytes("\ufeffpath,label\nabc.png,x1\n".encode("utf-8"))  # Excel's CSV UTF-8
    assert [label for _, label in samples.list_samples(tmp_path)] == ["x1"]
    (tmp_path / "labels.csv").write_bytes("path,label\nabc.png,验证\n".encode("gbk"))
    with pytest.raises(CaptchaError, match="labels.csv: not UTF-8 text .*save it as UTF-8"):
        samples.list_samples(tmp_path)
