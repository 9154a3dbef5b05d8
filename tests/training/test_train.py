"""Training: a complete run folder, resume after a kill, the same seed gives the same model."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np

from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train
from keras_captcha.training.run_folder import prepare_run

from helpers import TINY_MODEL, random_labels, run_cli, write_captchas

EPOCHS = 4
#: Trains through the library (the CLI has no flags for the tiny network), slowed
#: per batch so that a kill lands inside an epoch.
TRAIN_CODE = """
import json, sys, time, keras
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train
slow = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: time.sleep(0.3))
options = TrainOptions(epochs=int(sys.argv[3]), verbose=2, model=json.loads(sys.argv[4]))
print(json.dumps(train(sys.argv[1], sys.argv[2], options, callbacks=[slow])))
"""
TIMEOUT_SECONDS = 120


def test_train_writes_a_complete_run(trained_run):
    run_dir, summary = trained_run
    for name in ("model.keras", "train.csv", "validation.csv", "config.json", "history.csv", "summary.json"):
        assert (run_dir / name).exists(), name
    assert not (run_dir / "backup").exists(), "a finished run drops its resume backup"
    assert summary["epochs"] == 2 and summary["validation_images"] == 4
    assert 0.0 <= summary["val_accuracy"] <= 1.0
    history = (run_dir / "history.csv").read_text().splitlines()
    assert "val_accuracy" in history[0] and "val_cer" in history[0] and len(history) == 3


def test_a_validation_split_too_small_to_pick_an_epoch_keeps_the_last_and_never_stops_early(trained_run, tmp_path):
    from keras_captcha.training.callbacks import MIN_IMAGES_TO_PICK_EPOCH, build_callbacks

    run_dir, _ = trained_run  # 4 validation images
    assert not (run_dir / "best.weights.h5").exists()
    small = build_callbacks(tmp_path, TrainOptions(), MIN_IMAGES_TO_PICK_EPOCH - 1)
    large = build_callbacks(tmp_path, TrainOptions(), MIN_IMAGES_TO_PICK_EPOCH)
    picking = (keras.callbacks.ModelCheckpoint, keras.callbacks.EarlyStopping)
    assert not [c for c in small if isinstance(c, picking)]
    assert sorted(type(c).__name__ for c in large if isinstance(c, picking)) == ["EarlyStopping", "ModelCheckpoint"]


def test_a_large_enough_validation_split_saves_the_best_epoch(tiny_dataset, tmp_path, monkeypatch):
    from keras_captcha.training import callbacks

    monkeypatch.setattr(callbacks, "MIN_IMAGES_TO_PICK_EPOCH", 4)  # the tiny set's split
    summary = train(tiny_dataset, tmp_path / "run", TrainOptions(epochs=2, batch_size=8, verbose=0, model=TINY_MODEL))
    assert (tmp_path / "run" / "best.weights.h5").exists() and summary["epochs"] == 2


def _history_epochs(run_dir):
    path = run_dir / "history.csv"
    if not path.exists():
        return []
    return [int(line.split(",")[0]) for line in path.read_text().splitlines()[1:] if line]


def _backed_up_epochs(run_dir):
    try:
        return json.loads((run_dir / "backup" / "training_metadata.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


def _start(data_dir, run_dir):
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen(
        [sys.executable, "-c", TRAIN_CODE, str(data_dir), str(run_dir), str(EPOCHS), json.dumps(TINY_MODEL)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_run_resumes_from_its_last_finished_epoch(tmp_path):
    data_dir, run_dir = tmp_path / "images", tmp_path / "run"
    write_captchas(data_dir, random_labels(24))
    first = _start(data_dir, run_dir)
    try:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while _backed_up_epochs(run_dir) < 1 or not _history_epochs(run_dir):
            assert first.poll() is None, first.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no epoch finished in time"
            time.sleep(0.05)
        time.sleep(0.4)  # into the next epoch
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        first.kill()
    backed_up = _backed_up_epochs(run_dir)
    assert 1 <= backed_up < EPOCHS and not (run_dir / "model.keras").exists()

    second = _start(data_dir, run_dir)
    try:
        out, err = second.communicate(timeout=TIMEOUT_SECONDS)
    finally:
        second.kill()
    assert second.returncode == 0, err[-3000:]
    ran = [line for line in out.splitlines() if line.startswith("Epoch ")]
    assert ran == [f"Epoch {epoch + 1}/{EPOCHS}" for epoch in range(backed_up, EPOCHS)]
    assert _history_epochs(run_dir) == list(range(EPOCHS))
    assert json.loads(out.splitlines()[-1])["epochs"] == EPOCHS
    assert not (run_dir / "backup").exists()
    keras.models.load_model(run_dir / "model.keras")


def test_resume_drops_log_rows_the_backup_did_not_complete(tmp_path):
    run_dir = tmp_path / "run"
    header = "epoch,loss,val_loss\n"
    (run_dir / "backup").mkdir(parents=True)
    (run_dir / "history.csv").write_text(header + "0,3,3\n1,2,2\n2,1,1\n3,0.5")  # row 3 cut by the kill
    (run_dir / "backup" / "training_metadata.json").write_text('{"epoch": 2, "batch": 0}')
    prepare_run(run_dir, overwrite=False)
    assert (run_dir / "history.csv").read_text().splitlines() == ["epoch,loss,val_loss", "0,3,3", "1,2,2"]
    (run_dir / "backup" / "training_metadata.json").unlink()  # killed before the first backup
    prepare_run(run_dir, overwrite=False)
    assert not (run_dir / "history.csv").exists()


def test_same_seed_and_data_give_the_same_split_and_weights(tiny_dataset, tmp_path):
    options = TrainOptions(epochs=1, verbose=0, model=TINY_MODEL)
    runs = [tmp_path / "first", tmp_path / "second"]
    for run_dir in runs:
        train(tiny_dataset, run_dir, options)
    for name in ("train.csv", "validation.csv"):
        assert (runs[0] / name).read_text() == (runs[1] / name).read_text()
    first, second = (keras.models.load_model(run / "model.keras").get_weights() for run in runs)
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_the_schedule_adapts_to_a_small_dataset_and_keeps_given_epochs():
    from keras_captcha.training.options import DEFAULT_EPOCHS, MIN_STEPS, resolve_schedule

    full = resolve_schedule(TrainOptions(), steps_per_epoch=27)  # the 936-image set at batch 32
    assert (full.epochs, full.patience, full.min_epochs) == (DEFAULT_EPOCHS, 10, 10)
    small = resolve_schedule(TrainOptions(), steps_per_epoch=2)  # 50 labelled images
    assert small.epochs * 2 >= MIN_STEPS and small.epochs == 270
    assert (small.patience, small.min_epochs) == (135, 135)
    assert resolve_schedule(TrainOptions(epochs=3), steps_per_epoch=2).epochs == 3


def test_an_epoch_goes_over_a_small_split_as_often_as_the_full_sets_steps_allow():
    from keras_captcha.training.options import epoch_passes

    assert epoch_passes(TrainOptions(), train_images=842, batch_size=32) == 1  # the full set: 27 steps
    assert epoch_passes(TrainOptions(), train_images=45, batch_size=32) == 19  # 50 labels: 27 steps of 855
    assert epoch_passes(TrainOptions(), train_images=210, batch_size=32) == 4
    assert epoch_passes(TrainOptions(epochs=30), train_images=45, batch_size=32) == 1


def test_a_run_without_epochs_trains_and_records_the_resolved_schedule(tiny_dataset, tmp_path, monkeypatch):
    from keras_captcha.training import options as train_module

    monkeypatch.setattr(train_module, "DEFAULT_EPOCHS", 1)
    monkeypatch.setattr(train_module, "MIN_STEPS", 4)  # 36 training images at batch 16: 3 steps, 1 pass, 2 epochs
    summary = train(tiny_dataset, tmp_path / "run", TrainOptions(verbose=0, model=TINY_MODEL, batch_size=16))
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())
    assert recorded["epoch_passes"] == 1
    assert recorded["train"]["epochs"] == summary["epochs"] == 2
    assert (recorded["train"]["patience"], recorded["train"]["min_epochs"]) == (20, 20)


def test_a_small_split_is_gone_over_several_times_an_epoch(tiny_dataset, tmp_path, monkeypatch):
    from keras_captcha.training import options as train_module

    monkeypatch.setattr(train_module, "DEFAULT_EPOCHS", 2)
    monkeypatch.setattr(train_module, "MIN_STEPS", 8)  # 4 steps an epoch: 3 passes of 36 images at batch 32
    batches = []
    counting = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    summary = train(tiny_dataset, tmp_path / "run", TrainOptions(verbose=0, model=TINY_MODEL), callbacks=[counting])
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())
    assert recorded["epoch_passes"] == 3 and recorded["train"]["epochs"] == summary["epochs"] == 2
    assert len(batches) == 2 * 4  # ceil(3 * 36 / 32) steps an epoch


def test_self_training_runs_its_rounds_on_pseudo_labels_and_validates_on_labels_only(tiny_dataset, tmp_path):
    write_captchas(tmp_path / "pool", random_labels(12, seed=5), suffix=".jpg", mode="RGB")
    options = TrainOptions(
        epochs=1, batch_size=8, verbose=0, model=TINY_MODEL, unlabeled=str(tmp_path / "pool"), self_training_rounds=2
    )
    summary = train(tiny_dataset, tmp_path / "run", options)
    rounds = summary["self_training"]
    assert [r["round"] for r in rounds] == [0, 1, 2] and summary["unlabelled_images"] == 12
    assert [r["pseudo_labels"] for r in rounds][0] == 0
    labelled_train = (tmp_path / "run" / "self_training" / "round0" / "train.csv").read_text().splitlines()
    for index, folder in ((1, tmp_path / "run" / "self_training" / "round1"), (2, tmp_path / "run")):
        pseudo = (folder / "pseudo_labels.csv").read_text().splitlines()[1:]
        assert len(pseudo) == rounds[index]["pseudo_labels"] <= 12 * index // 2
        assert all(row.split(",")[0].startswith(str(tmp_path / "pool")) for row in pseudo)
        assert sorted((folder / "train.csv").read_text().splitlines()[1:]) == sorted(labelled_train[1:] + pseudo)
        assert (folder / "validation.csv").read_text() == (tmp_path / "run" / "validation.csv").read_text()
    assert json.loads((tmp_path / "run" / "summary.json").read_text()) == summary


def test_a_round_that_forgot_what_the_start_model_read_lets_the_start_model_teach(tmp_path, capsys):
    from keras_captcha.core.assets import shipped_base
    from keras_captcha.labelling.pseudo_labels import stable_readings
    from keras_captcha.runtime.datasets import list_samples
    from keras_captcha.runtime.preprocess import preprocess_batch
    from keras_captcha.training.keras_predictor import KerasPredictor, load_keras_model
    from keras_captcha.training.self_training import START_TAUGHT_RATE
    from keras_captcha.zoo.generate import write_dataset
    from keras_captcha.zoo.styles import STYLES

    write_dataset(tmp_path / "labelled", STYLES["plain"], count=12, seed=3, processes=1)
    write_dataset(tmp_path / "pool", STYLES["plain"], count=30, seed=4, processes=1)
    (tmp_path / "pool" / "labels.csv").unlink()
    # a learning rate that wrecks round 0's model: the general reader reads the plain style far better
    code, out, _ = run_cli(capsys, "train", "--data", tmp_path / "labelled", "--unlabeled", tmp_path / "pool",
                           "--epochs", 1, "--batch-size", 8, "--learning-rate", 5, "--self-training-rounds", 1,
                           "--out", tmp_path / "run")
    assert code == 0 and "round 1 learnt from the start model's readings" in out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["self_training"][0]["teacher"] == "start"
    round1 = json.loads((tmp_path / "run" / "config.json").read_text())["train"]
    assert round1["learning_rate"] == 5 * START_TAUGHT_RATE  # a round the start taught fine-tunes gently
    pool = sorted(str(path) for path in (tmp_path / "pool").iterdir())
    base = load_keras_model(shipped_base())
    readings, stable = stable_readings(KerasPredictor(base), preprocess_batch(pool, base.config))
    steady = {path: reading.text for path, reading, kept in zip(pool, readings, stable) if kept}
    pseudo = list_samples(tmp_path / "run" / "pseudo_labels.csv")
    assert len(pseudo) == summary["self_training"][1]["pseudo_labels"] > 0
    assert all(text == steady[path] for path, text in pseudo)  # the start model's steady readings


def test_a_resumed_self_training_run_reads_its_finished_rounds(tiny_dataset, tmp_path):
    write_captchas(tmp_path / "pool", random_labels(6, seed=5), suffix=".jpg", mode="RGB")
    options = TrainOptions(
        epochs=1, batch_size=8, verbose=0, model=TINY_MODEL, unlabeled=str(tmp_path / "pool"), self_training_rounds=1
    )
    first = train(tiny_dataset, tmp_path / "run", options)
    round0 = tmp_path / "run" / "self_training" / "round0" / "model.keras"
    written = round0.stat().st_mtime_ns
    (tmp_path / "run" / "model.keras").unlink()  # as if killed in the last round
    again = train(tiny_dataset, tmp_path / "run", options)
    assert round0.stat().st_mtime_ns == written
    assert again["self_training"] == first["self_training"]


def test_a_run_with_no_labels_learns_from_the_start_models_surest_readings_of_the_pool(tmp_path, capsys):
    from keras_captcha.core.assets import shipped_base
    from keras_captcha.labelling.pseudo_labels import stable_readings
    from keras_captcha.runtime.datasets import list_samples
    from keras_captcha.runtime.preprocess import preprocess_batch
    from keras_captcha.training.keras_predictor import KerasPredictor, load_keras_model
    from keras_captcha.zoo.generate import write_dataset
    from keras_captcha.zoo.styles import STYLES

    write_dataset(tmp_path / "pool", STYLES["plain"], count=40, seed=4, processes=1)
    (tmp_path / "pool" / "labels.csv").unlink()
    options = TrainOptions(epochs=1, batch_size=8, verbose=0, unlabeled=str(tmp_path / "pool"), self_training_rounds=1)
    summary = train(None, tmp_path / "run", options)
    assert summary["init"] == str(shipped_base())  # the general reader, as for a few labels
    first = list_samples(tmp_path / "run" / "self_training" / "round0" / "train.csv")
    first += list_samples(tmp_path / "run" / "validation.csv")
    assert len(first) == 10 and summary["unlabelled_images"] == 30  # the surest quarter of the pool, the rest
    pool = sorted(str(path) for path in (tmp_path / "pool").iterdir())
    base = load_keras_model(shipped_base())
    readings, stable = stable_readings(KerasPredictor(base), preprocess_batch(pool, base.config))
    steady = {path: reading for path, reading, kept in zip(pool, readings, stable) if kept}
    assert len(steady) < len(pool) and all(text == steady[path].text for path, text in first)  # stable ones only
    tenth = sorted((r.confidence for r in steady.values()), reverse=True)[9]
    assert all(steady[path].confidence >= tenth for path, _ in first)
    code, _, err = run_cli(capsys, "train", "--unlabeled", tmp_path / "pool", "--init", "none", "--out", tmp_path / "x")
    assert code == 2 and "a run with no labelled images (no --data) starts from a trained model" in err


def test_a_run_started_from_a_model_with_other_characters_keeps_its_network(trained_run, tmp_path):
    from keras_captcha.training.keras_predictor import load_keras_model

    run_dir, _ = trained_run
    # "x" is new; the init model's other lowercase letters and digits (b, c, d, 2) stay readable
    write_captchas(tmp_path / "other", ["xa1", "ax1e", "1xae", "ea1x", "x1", "aex", "1ex", "xe", "a1x", "exa"])
    options = TrainOptions(epochs=1, verbose=0, init=str(run_dir / "model.keras"))
    summary = train(tmp_path / "other", tmp_path / "run", options)
    started_from, trained = load_keras_model(run_dir / "model.keras"), load_keras_model(summary["model"])
    assert trained.config.charset == "12abcdex"
    assert trained.config.conv_filters == started_from.config.conv_filters == TINY_MODEL["conv_filters"]
    declared = train(tmp_path / "other", tmp_path / "declared", dataclasses.replace(options, charset="xea1"))
    assert load_keras_model(declared["model"]).config.charset == "xea1"  # as given: "b" is dropped


def test_a_run_from_a_model_may_change_its_input_size_as_the_weights_fit_any(trained_run, tmp_path):
    from keras_captcha.training.keras_predictor import load_keras_model

    run_dir, _ = trained_run
    write_captchas(tmp_path / "wide", ["ab1", "ba2", "1ab", "2ba", "ab", "ba", "a1b", "b2a"], size=(300, 50))
    started_from = load_keras_model(run_dir / "model.keras")
    taller = started_from.config.height + 16
    options = TrainOptions(epochs=1, verbose=0, init=str(run_dir / "model.keras"), model={"width": 192, "height": taller})
    summary = train(tmp_path / "wide", tmp_path / "run", options)
    trained = load_keras_model(summary["model"])
    assert (started_from.config.width, trained.config.width, trained.config.time_steps) == (128, 192, 48)
    assert trained.config.height == taller


def test_the_default_network_starts_from_the_shipped_base():
    from keras_captcha.core.assets import shipped_base
    from keras_captcha.training.options import choose_init

    assert choose_init(TrainOptions()) == str(shipped_base())
    assert choose_init(TrainOptions(model=TINY_MODEL)) is None  # not the base's network
    assert choose_init(TrainOptions(model={"width": 192})) == str(shipped_base())
    assert choose_init(TrainOptions(model={"height": 48, "width": 192})) == str(shipped_base())
    assert choose_init(TrainOptions(init=None)) is None
    assert choose_init(TrainOptions(init="runs/x/model.keras")) == "runs/x/model.keras"


def test_answer_arithmetic_is_saved_with_the_model_and_bad_labels_are_named(tmp_path, capsys):
    from helpers import assert_user_error

    from keras_captcha.core.answers import RULES
    from keras_captcha.runtime.datasets import list_samples
    from keras_captcha.training.input_width import width_for_labels
    from keras_captcha.training.keras_predictor import load_keras_model
    from keras_captcha.zoo.generate import write_dataset
    from keras_captcha.zoo.styles import STYLES

    manifest = write_dataset(tmp_path / "sums", STYLES["boxed_arithmetic"], count=24, seed=3, processes=1)
    options = TrainOptions(epochs=1, batch_size=8, verbose=0, model=TINY_MODEL, answer="arithmetic", init="")
    summary = train(manifest, tmp_path / "run", options)
    config = load_keras_model(summary["model"]).config
    assert config.answer == RULES["arithmetic"]
    samples = list_samples(manifest)
    longest = max(len(label) for _, label in samples)
    assert config.width == width_for_labels(samples, 128, config.pool_factor(1))
    assert config.time_steps >= 3 * longest  # long expressions widen the input
    code, out, err = run_cli(capsys, "predict", "--model", summary["model"], "--json", manifest.parent / "0000000.png")
    assert code == 0, err
    assert "answer" in json.loads(out)
    assert_user_error(capsys, ["train", "--data", manifest, "--out", tmp_path / "x", "--answer", "calculus"],
                      "unknown answer rule 'calculus'")
    (tmp_path / "bad").mkdir()
    write_captchas(tmp_path / "bad", ["12+3", "9++"])
    assert_user_error(capsys, ["train", "--data", tmp_path / "bad", "--out", tmp_path / "y", "--answer", "arithmetic"],
                      "9++.png: the label '9++' has no answer under the arithmetic rule")
