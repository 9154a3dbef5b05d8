"""Export: SavedModel signatures, TFLite variants, model card, and the TF-free runtime."""

import json

import numpy as np
import pytest
import tensorflow as tf

from conftest import draw_captcha, run_without_tensorflow, write_captchas
from keras_captcha import data, decode, export, lite
from keras_captcha.predict import KerasPredictor, load_keras_model, load_predictor

STATE_OPS = {"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE"}


@pytest.fixture(scope="module")
def exported(tiny_dataset, tmp_path_factory):
    """A tiny model trained until its outputs are confident, exported.

    Barely trained outputs are near-uniform, and int8 rounding flips their
    near ties: the export would rightly refuse it.
    """
    from conftest import TINY_MODEL
    from keras_captcha.train import TrainOptions, train

    run_dir = tmp_path_factory.mktemp("exported") / "run"
    options = TrainOptions(epochs=6, learning_rate=1e-2, warmup_fraction=0.0, verbose=0, model=TINY_MODEL)
    train(tiny_dataset, run_dir, options)
    out = run_dir.parent / "out"
    card = export.export(run_dir / "model.keras", out)
    recognizer = load_keras_model(run_dir / "model.keras")
    samples = data.list_samples(run_dir / "validation.csv")
    images = data.load_images([path for path, _ in samples], recognizer.config)
    return out, card, recognizer, samples, images


def test_export_writes_every_artifact_and_a_model_card(exported):
    out, card, recognizer, samples, _ = exported
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [file for file, _ in export.VARIANTS.values()] + ["model_card.json", "saved_model"]
    )
    on_disk = json.loads((out / "model_card.json").read_text())
    assert on_disk == json.loads(json.dumps(card))
    assert card["charset"] == recognizer.config.charset and card["blank_index"] == 0
    assert card["input"]["shape"] == [1, 32, 128, 1]
    assert card["validation_images"] == len(samples)
    for name, variant in card["variants"].items():
        assert variant["bytes"] == (out / variant["file"]).stat().st_size
        assert 0 <= variant["accuracy"] <= 1 and variant["latency_ms"] > 0
        assert variant["agreement_with_keras"] >= export.VARIANTS[name][1]


def test_savedmodel_signatures_agree_with_keras(exported):
    out, _, recognizer, samples, images = exported
    loaded = tf.saved_model.load(str(out / "saved_model"))
    assert set(loaded.signatures) == {"serving_default", "predict_bytes"}
    probabilities = loaded.signatures["serving_default"](images=tf.constant(images))["probabilities"]
    np.testing.assert_allclose(probabilities.numpy(), recognizer.predict(images, verbose=0), atol=1e-5)
    encoded = tf.constant([open(path, "rb").read() for path, _ in samples])
    result = loaded.signatures["predict_bytes"](encoded_images=encoded)
    expected = decode.greedy_decode(recognizer.predict(images, verbose=0), recognizer.config.charset)
    assert [t.decode() for t in result["text"].numpy()] == [text for text, _ in expected]
    np.testing.assert_allclose(result["confidence"].numpy(), [c for _, c in expected], atol=1e-5)


@pytest.mark.parametrize("name", list(export.VARIANTS))
def test_tflite_variant_is_builtin_stateless_and_agrees(exported, name):
    out, card, recognizer, _, images = exported
    file_name = card["variants"][name]["file"]
    ops = export.list_ops((out / file_name).read_bytes())
    assert not STATE_OPS & set(ops) and "CUSTOM" not in ops
    assert not any(op.startswith("Flex") for op in ops)
    runner = lite.LiteRecognizer(out / file_name)
    probabilities = np.stack([runner.probabilities(image) for image in images])
    expected = recognizer.predict(images, verbose=0)
    tolerance = {"float32": 1e-4, "float16": 1e-2}.get(name, 0.2)
    assert np.abs(probabilities - expected).max() < tolerance


def test_decoded_variant_outputs_ids_and_confidences(exported):
    out, card, _, _, images = exported
    runner = lite.LiteRecognizer(out / card["variants"]["decoded"]["file"])
    outputs = runner.run(images[0])
    assert outputs["label_ids"].shape == (1, card["time_steps"])
    [(text, confidence)] = decode.greedy_decode(outputs["probabilities"], card["charset"])
    ids = outputs["label_ids"][0]
    assert "".join(card["charset"][i - 1] for i in ids if i) == text
    assert (outputs["character_confidence"][0][ids == 0] == 0).all()
    assert outputs["confidence"][0] == pytest.approx(confidence, abs=1e-6)


def test_predict_and_evaluate_accept_every_format(exported, capsys):
    from keras_captcha import cli

    out, card, recognizer, samples, _ = exported
    paths = [path for path, _ in samples]
    keras_texts = KerasPredictor(recognizer).predict_files(paths)
    for model in (out / "saved_model", out / card["variants"]["float32"]["file"]):
        texts = load_predictor(model).predict_files(paths)
        assert [t for t, _ in texts] == [t for t, _ in keras_texts]
    assert cli.main(["evaluate", "--model", str(out / "captcha_int8.tflite"), "--data", str(out.parent / "none")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_lite_options_restrict_beam_and_threshold(exported, tmp_path):
    out, card, _, _, _ = exported
    image = draw_captcha("ab1", mode="RGB")
    allowed = card["charset"][:2]
    restricted = lite.LiteRecognizer(out / "captcha_float32.tflite", allowed=allowed, beam_width=4)
    assert set(restricted.predict(image).text) <= set(allowed)
    unsure = lite.LiteRecognizer(out / "captcha_float32.tflite", threshold=1.01)
    assert unsure.predict([image, image])[1].uncertain
    with pytest.raises(ValueError, match="not in the charset"):
        lite.LiteRecognizer(out / "captcha_float32.tflite", allowed="☃")


def test_lite_runtime_works_when_tensorflow_cannot_be_imported(exported, tmp_path):
    out, card, _, _, _ = exported
    image_path = write_captchas(tmp_path, ["ab12"])[0]
    code = (
        "from keras_captcha.lite import LiteRecognizer\n"
        "result = LiteRecognizer(sys.argv[1]).predict(sys.argv[2])\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
        "print(repr(result.text), result.confidence)\n"
    )
    result = run_without_tensorflow(code, out / "captcha_int8.tflite", image_path)
    assert result.returncode == 0, result.stderr
    text, confidence = result.stdout.split()
    assert set(eval(text)) <= set(card["charset"]) and 0 <= float(confidence) <= 1


SHIPPED = export.pathlib.Path(__file__).resolve().parent.parent / "exported"


def test_shipped_models_load_with_their_card_and_read_captchas():
    card = json.loads((SHIPPED / "model_card.json").read_text())
    assert lite.shipped_model() == SHIPPED / "captcha_int8.tflite"
    images = [draw_captcha(text, mode="RGBA", seed=i) for i, text in enumerate(["2b4cd", "x7y3m"])]
    for variant in card["variants"].values():
        assert variant["accuracy"] >= 0.99
        recognizer = lite.LiteRecognizer(SHIPPED / variant["file"])
        for prediction in recognizer.predict(images):
            assert set(prediction.text) <= set(card["charset"])
            assert 0 <= prediction.confidence <= 1
    assert (SHIPPED / "captcha_int8.tflite").stat().st_size <= 150 * 1024


def test_shipped_model_reads_real_captchas(real_data):
    samples = data.list_samples(real_data)[::40]
    recognizer = lite.LiteRecognizer(lite.shipped_model())
    predictions = recognizer.predict([path for path, _ in samples])
    accuracy, _ = decode.score([label for _, label in samples], [p.text for p in predictions])
    assert accuracy >= 0.95  # mostly training images: a smoke test, not a measurement


def test_edge_graph_normalises_before_pooling_only_where_that_is_exact():
    import keras

    from keras_captcha import edge
    from keras_captcha.config import CaptchaConfig
    from keras_captcha.model import CaptchaRecognizer

    recognizer = CaptchaRecognizer(
        CaptchaConfig(charset="ab", conv_filters=(4, 4), conv_pools=((2, 2), (2, 2)))
    ).variant(batch_size=1)
    first_norm = recognizer.get_layer("conv1_norm")
    gamma, beta, mean, variance = first_norm.get_weights()
    first_norm.set_weights([-gamma, beta, mean, variance])  # negative scale: not exact
    recognizer.get_layer("conv2_norm").set_weights(
        [np.array(values, "float32") for values in
         ([0.5, 1, 2, 3], [0.1, -0.2, 0.3, 0], [0.2, -0.1, 0, 0.4], [0.5, 1, 2, 0.3])]
    )
    layers = [layer for layer in recognizer.layers if not isinstance(layer, keras.layers.InputLayer)]
    names = [layer.name for layer in edge._normalise_before_pooling(layers)]
    assert names[:8] == [
        "conv1", "conv1_pool", "conv1_norm", "conv1_relu",
        "conv2", "conv2_norm", "conv2_pool", "conv2_relu",
    ]
    image = np.random.default_rng(5).random((1, 32, 128, 1), dtype="float32")
    x = image
    for layer in edge._normalise_before_pooling(layers):
        x = layer(x, training=False)
    np.testing.assert_allclose(x, recognizer.predict(image, verbose=0), atol=1e-5)
