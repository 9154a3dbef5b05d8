"""Multi-worker training: two local worker processes, one run folder, the chief's model."""

import json
import os
import subprocess
import sys

import pytest

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.loading import open_predictor
from keras_captcha.training import distribute

from helpers import TINY_MODEL, free_port, random_labels, write_captchas

WORKER_CODE = """
import json, sys
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train
options = TrainOptions(epochs=1, verbose=0, strategy="multiworker", model=json.loads(sys.argv[3]))
print(json.dumps(train(sys.argv[1], sys.argv[2], options)))
"""
TIMEOUT_SECONDS = 150


def test_two_workers_train_and_only_the_chief_writes_the_model(tmp_path):
    data_dir = tmp_path / "images"
    write_captchas(data_dir, random_labels(24))
    run_dir = tmp_path / "run"  # one folder, as on a shared file system
    workers = [f"127.0.0.1:{free_port()}" for _ in range(2)]
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        environment = {
            **os.environ,
            "TF_CONFIG": json.dumps(tf_config),
            "CUDA_VISIBLE_DEVICES": "",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER_CODE, str(data_dir), str(run_dir), json.dumps(TINY_MODEL)],
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=TIMEOUT_SECONDS))
    finally:
        for process in processes:
            process.kill()
    for process, (_, err) in zip(processes, outputs):
        assert process.returncode == 0, err[-3000:]
    chief_summary = json.loads(outputs[0][0].strip().splitlines()[-1])
    assert chief_summary["epochs"] == 1 and chief_summary["train_images"] + chief_summary["validation_images"] == 24

    predictor = open_predictor(run_dir / "model.keras")
    readings = predictor.predict(sorted(str(p) for p in data_dir.iterdir())[:3])
    assert len(readings) == 3 and all(0 <= reading.confidence <= 1 for reading in readings)
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith(".")) == [], (
        "the non-chief's temporary folder is removed"
    )
    assert len(list(run_dir.rglob("*.keras"))) == 1


@pytest.mark.parametrize(
    "tf_config, message",
    [
        (None, "multiworker needs TF_CONFIG"),
        ("{cluster", "TF_CONFIG is not valid JSON"),
        ('{"cluster": {"worker": ["a:1"]}}', "needs a 'cluster' and a 'task'"),
        ('{"cluster": {"ps": ["a:1"]}, "task": {"type": "ps", "index": 0}}', "'ps' is not supported"),
        ('{"cluster": {"worker": ["nohost"]}, "task": {"type": "worker", "index": 0}}', "'host:port'"),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}', "'chief' is not a job"),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}', "index 1 is not in 0..0"),
    ],
)
def test_bad_tf_config_is_one_clear_error(monkeypatch, tf_config, message):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if tf_config is not None:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(CaptchaError, match=message):
        distribute.read_task("multiworker")


def test_chief_is_the_chief_task_or_else_worker_zero(monkeypatch, tmp_path):
    cluster = {"chief": ["a:1"], "worker": ["b:1", "c:1"]}
    for task_type, index, chief in (("chief", 0, True), ("worker", 0, False), ("worker", 1, False)):
        monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}}))
        task = distribute.read_task("multiworker")
        assert task.is_chief == chief
        assert distribute.write_dir(tmp_path, task) == (tmp_path if chief else tmp_path / f".workertemp_{index}")
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["b:1", "c:1"]}, "task": {"type": "worker", "index": 0}}))
    assert distribute.read_task("multiworker").is_chief
    assert distribute.read_task("mirrored") == distribute.LOCAL


def test_cli_multiworker_without_tf_config_exits_2(monkeypatch, capsys, tiny_dataset, tmp_path):
    from keras_captcha import cli

    monkeypatch.delenv("TF_CONFIG", raising=False)
    code = cli.main(["train", "--data", str(tiny_dataset), "--out", str(tmp_path / "run"), "--strategy", "multiworker"])
    err = capsys.readouterr().err
    assert code == 2 and "TF_CONFIG" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
