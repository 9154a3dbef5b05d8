"""Shared fixtures: small generated captcha datasets, a trained tiny run, its export, the real data.

Helper functions live in `helpers.py` (`from helpers import ...`).
"""

import os
import pathlib
import socket

import pytest

from helpers import TINY_MODEL, random_labels, write_captchas


@pytest.fixture
def taken_port():
    """A port of 127.0.0.1 that another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """40 generated captchas of 3 to 5 characters from TINY_CHARSET."""
    folder = tmp_path_factory.mktemp("tiny") / "images"
    write_captchas(folder, random_labels(40))
    return folder


@pytest.fixture(scope="session")
def trained_run(tiny_dataset, tmp_path_factory):
    """A run folder trained for 2 epochs on the tiny dataset through the library."""
    from keras_captcha.training.options import TrainOptions
    from keras_captcha.training.run import train  # TensorFlow: only for tests that train

    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    summary = train(
        tiny_dataset, run_dir, TrainOptions(epochs=2, batch_size=8, verbose=0, model=TINY_MODEL)
    )
    return run_dir, summary


@pytest.fixture(scope="session")
def exported(tiny_dataset, tmp_path_factory):
    """A tiny model trained until its outputs are confident, exported.

    Barely trained outputs are near-uniform, and int8 rounding flips their
    near ties: the export would rightly refuse it. Returns (out folder, card
    dict, recognizer, validation samples, their (n, 32, 128, 1) images).
    """
    from keras_captcha.export import exporter as export  # TensorFlow: only for tests that export
    from keras_captcha.runtime.datasets import list_samples
    from keras_captcha.training import dataset as data
    from keras_captcha.training.keras_predictor import load_keras_model
    from keras_captcha.training.options import TrainOptions
    from keras_captcha.training.run import train

    run_dir = tmp_path_factory.mktemp("exported") / "run"
    options = TrainOptions(epochs=6, learning_rate=1e-2, warmup_fraction=0.0, verbose=0, model=TINY_MODEL)
    train(tiny_dataset, run_dir, options)
    out = run_dir.parent / "out"
    card = export.export(run_dir / "model.keras", out)
    recognizer = load_keras_model(run_dir / "model.keras")
    samples = list_samples(run_dir / "validation.csv")
    images = data.load_images([path for path, _ in samples], recognizer.config)
    return out, card, recognizer, samples, images


@pytest.fixture
def real_data():
    """The shared captcha_images_v2 folder, from KERAS_CAPTCHA_DATA."""
    folder = os.environ.get("KERAS_CAPTCHA_DATA")
    if not folder or not pathlib.Path(folder).is_dir():
        pytest.skip("KERAS_CAPTCHA_DATA does not point at the captcha_images_v2 folder")
    return pathlib.Path(folder)
