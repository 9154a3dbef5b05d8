"""The labelling page's background run, for real: the default few-label command on the labels so far, new prefills."""

import time

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.errors import CaptchaError
from keras_captcha.labelling.retrain import Retrainer
from keras_captcha.labelling.session import LabelSession
from keras_captcha.runtime.litert import LiteRTPredictor

from helpers import random_labels, write_captchas


def test_a_run_trains_on_the_labels_and_its_readings_become_the_prefills(tmp_path):
    labels = random_labels(30, charset="abcde12", lengths=(4, 4), seed=5)
    write_captchas(tmp_path / "pool", labels)
    session = LabelSession(tmp_path / "pool", tmp_path / "labels.csv", LiteRTPredictor(shipped_model()))
    # a short schedule: the default one takes minutes (540 optimizer steps a round, 4 rounds)
    retrainer = Retrainer(session, tmp_path / "pool", tmp_path / "runs", schedule={"epochs": 3, "self_training_rounds": 1})
    first = session.queue()[0]["id"]
    session.label(first, session.path(first).rsplit("/", 1)[1][:-4])
    try:
        retrainer.start()
        raise AssertionError("one label is too few")
    except CaptchaError as error:
        assert "at least 2" in str(error)
    for item in session.queue()[:11]:
        session.label(item["id"], session.path(item["id"]).rsplit("/", 1)[1][:-4])
    status = retrainer.start()
    assert status["state"] == "running" and status["runs"] == 1
    deadline = time.monotonic() + 600
    while retrainer.running and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(1)  # the follower thread takes the readings after the process ends
    status = retrainer.status()
    assert status["state"] == "finished", status
    assert 0 <= status["val_accuracy"] <= 1 and status["epoch"] >= 1
    assert (tmp_path / "runs" / "run1" / "model.keras").is_file()
    # the labels' classes (lowercase, digits) widened by the base's: a "z" no label showed is readable
    assert set("abcde12z9") <= set(session.charset) and len(session.queue()) == 18
