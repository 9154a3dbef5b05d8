"""Patches are scoped to their block, restored afterwards, and refuse a library version they were not checked on."""

import importlib.metadata

import pytest

from keras_captcha.core.errors import CaptchaError
from keras_captcha.training import compat


def test_keras_fit_patch_is_restored_on_exit():
    from keras.src.backend.tensorflow import trainer as tf_trainer

    before = (tf_trainer.reduce_per_replica, tf_trainer.TensorFlowTrainer._maybe_symbolic_build)
    with compat.keras_multi_worker_fit():
        assert tf_trainer.reduce_per_replica is not before[0]
    assert (tf_trainer.reduce_per_replica, tf_trainer.TensorFlowTrainer._maybe_symbolic_build) == before


def test_flatbuffer_patch_is_restored_even_after_an_error():
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    create_vector, pack = flatbuffers.Builder.CreateNumpyVector, schema.QuantizationParametersT.Pack
    with pytest.raises(RuntimeError):
        with compat.shared_flatbuffer_tables([schema.QuantizationParametersT]):
            assert schema.QuantizationParametersT.Pack is not pack
            raise RuntimeError("while packing")
    assert flatbuffers.Builder.CreateNumpyVector is create_vector
    assert schema.QuantizationParametersT.Pack is pack


def test_an_unchecked_library_version_is_refused(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "99.0.0")
    with pytest.raises(CaptchaError, match="written for keras 3.x; keras 99.0.0 is installed"):
        with compat.keras_multi_worker_fit():
            pass
