"""A labelling session on the shipped model: ids for images, triage order, resuming, corrections, bad folders."""

import os

import pytest

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.errors import CaptchaError
from keras_captcha.labelling.session import LabelSession
from keras_captcha.runtime.datasets import list_samples
from keras_captcha.runtime.litert import LiteRTPredictor

from helpers import write_captchas


def _session(tmp_path, **kwargs):
    return LabelSession(tmp_path / "pool", tmp_path / "labels.csv", LiteRTPredictor(shipped_model()), **kwargs)


def test_the_queue_is_least_confident_first_and_labels_leave_it(tmp_path):
    paths = write_captchas(tmp_path / "pool", ["ab1", "c2d", "e12", "dd1"])
    session = _session(tmp_path)
    queue = session.queue()
    assert [item["confidence"] for item in queue] == sorted(item["confidence"] for item in queue)
    assert sorted(session.path(item["id"]) for item in queue) == sorted(str(p) for p in paths)
    state = session.label(queue[0]["id"], "ab1")
    assert state["labelled"] == 1 and state["total"] == 4 and state["counts"] == {"1": 1, "a": 1, "b": 1}
    assert [item["id"] for item in state["queue"]] == [item["id"] for item in queue[1:]]
    assert session.path("../labels.csv") is None and session.path(str(paths[0])) is None


def test_a_new_session_resumes_and_a_second_label_corrects(tmp_path):
    write_captchas(tmp_path / "pool", ["ab1", "c2d", "e12"])
    first = _session(tmp_path)
    [one, two, _] = first.queue()
    first.label(one["id"], "xx1")
    first.label(two["id"], "yy2")
    first.label(one["id"], "ab1")  # back, and corrected
    again = _session(tmp_path)
    assert len(again.queue()) == 1
    assert sorted(label for _, label in list_samples(tmp_path / "labels.csv")) == ["ab1", "yy2"]


def test_a_folder_given_relative_to_the_working_directory_shows_its_labels(tmp_path, monkeypatch):
    write_captchas(tmp_path / "pool", ["ab1", "c2d"])
    monkeypatch.chdir(tmp_path)
    session = LabelSession("pool", "labels.csv", LiteRTPredictor(shipped_model()))
    first, second = session.queue()
    state = session.label(first["id"], "ab1")
    assert state["labelled"] == 1 and [item["id"] for item in state["queue"]] == [second["id"]]
    # a background run's readings name the images as the folder was given: relative
    relative = [(os.path.relpath(session.path(item["id"])), session.readings[session.path(item["id"])])
                for item in (second, first)]
    session.set_readings(relative, session.charset)
    assert [item["id"] for item in session.queue()] == [second["id"]]


def test_unreadable_images_and_links_out_of_the_folder_are_skipped_with_a_line_each(tmp_path):
    write_captchas(tmp_path / "pool", ["ab1"])
    (tmp_path / "pool" / "broken.png").write_bytes(b"not a png")
    write_captchas(tmp_path / "elsewhere", ["zz9"])
    os.symlink(tmp_path / "elsewhere" / "zz9.png", tmp_path / "pool" / "link.png")
    lines = []
    session = _session(tmp_path, report=lines.append)
    assert len(session.queue()) == 1 and len(lines) == 2
    assert any("broken.png" in line for line in lines) and any("outside" in line for line in lines)


def test_empty_folders_and_bad_outputs_are_one_error(tmp_path):
    (tmp_path / "pool").mkdir()
    with pytest.raises(CaptchaError, match="no readable images"):
        _session(tmp_path)
    write_captchas(tmp_path / "pool", ["ab1"])
    (tmp_path / "labels.csv").write_text("a,b,c\n1,2,3\n")
    with pytest.raises(CaptchaError, match="not a labels CSV"):
        _session(tmp_path)
    with pytest.raises(CaptchaError, match="does not exist"):
        LabelSession(tmp_path / "pool", tmp_path / "absent" / "labels.csv", LiteRTPredictor(shipped_model()))
