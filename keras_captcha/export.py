"""Export: a trained `.keras` model -> a verified SavedModel, TFLite variants and a model card.

    from keras_captcha.export import export
    card = export("runs/captcha/model.keras", "exported")

Every artifact is checked before the folder appears: each TFLite file runs in
the LiteRT interpreter on the validation images and must decode the same text
as the Keras model (every image for float variants, at least 99.5% for int8).
The folder is written beside `out` and swapped in at the end, so a failed or
killed export leaves the previous one as it was.
"""

import contextlib
import json
import os
import pathlib
import shutil
import tempfile
import time

import numpy as np
import tensorflow as tf

from keras_captcha import data as data_lib
from keras_captcha import decode, edge, lite
from keras_captcha.errors import CaptchaError
from keras_captcha.predict import KerasPredictor, SavedModelPredictor, load_keras_model

CARD_NAME = lite.CARD_NAME
SAVED_MODEL_DIR = "saved_model"
#: name -> (file, fraction of validation texts that must equal the Keras model's)
VARIANTS = {
    "float32": ("captcha_float32.tflite", 1.0),
    "dynamic_range": ("captcha_dynamic_range.tflite", 0.995),
    "float16": ("captcha_float16.tflite", 1.0),
    "int8": ("captcha_int8.tflite", 0.995),
    "decoded": ("captcha_decoded.tflite", 0.995),  # int8 too
}
FORBIDDEN_OPS = {"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE", "CUSTOM", "DELEGATE"}
LATENCY_RUNS = 100


class CaptchaServing(tf.Module):
    """The SavedModel's two signatures around a dynamic-batch, dropout-free recognizer."""

    def __init__(self, recognizer, card_path):
        super().__init__()
        self.model = recognizer
        self.model_card = tf.saved_model.Asset(str(card_path))
        config = recognizer.config
        self.charset_table = tf.constant([""] + list(config.charset))
        self.serve = tf.function(
            self._serve,
            input_signature=[
                tf.TensorSpec([None, config.height, config.width, 1], tf.float32, name="images")
            ],
        )
        self.predict_bytes = tf.function(
            self._predict_bytes,
            input_signature=[tf.TensorSpec([None], tf.string, name="encoded_images")],
        )

    def _serve(self, images):
        return {"probabilities": self.model(images, training=False)}

    def _predict_bytes(self, encoded_images):
        config = self.model.config
        images = tf.map_fn(
            lambda encoded: data_lib.decode_image(encoded, config.height, config.width),
            encoded_images,
            fn_output_signature=tf.TensorSpec((config.height, config.width, 1), tf.float32),
        )
        probabilities = self.model(images, training=False)
        ids, _, confidence = edge.greedy_decode_graph(probabilities, config.time_steps)
        text = tf.strings.reduce_join(tf.gather(self.charset_table, ids), axis=-1)
        return {"text": text, "confidence": confidence}


def save_savedmodel(recognizer, path, card_path):
    """Writes the SavedModel with `serving_default` and `predict_bytes` signatures."""
    module = CaptchaServing(recognizer.variant(batch_size=None), card_path)
    tf.saved_model.save(
        module,
        str(path),
        signatures={"serving_default": module.serve, "predict_bytes": module.predict_bytes},
    )


def list_ops(tflite_bytes):
    """Every builtin op name in every subgraph of a `.tflite` flatbuffer, with counts."""
    from tensorflow.lite.python import schema_py_generated as schema

    names = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    model = schema.Model.GetRootAsModel(tflite_bytes, 0)
    codes = [
        names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "CUSTOM")
        for code in map(model.OperatorCodes, range(model.OperatorCodesLength()))
    ]
    counts = {}
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for o in range(subgraph.OperatorsLength()):
            name = codes[subgraph.Operators(o).OpcodeIndex()]
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def check_ops(name, ops):
    """Raises `CaptchaError` if a variant uses Flex, custom or variable/state ops."""
    bad = sorted(op for op in ops if op in FORBIDDEN_OPS or op.startswith("Flex"))
    if bad:
        raise CaptchaError(f"export: the {name} TFLite model uses non-builtin or state ops: {bad}")


def _run_lite(path, card, images):
    """Greedy texts of one `.tflite` variant on `images`, run as export users run it.

    For the decoded variant, its in-graph `label_ids` must spell the same texts.
    """
    runner = lite.LiteRecognizer(path, card=card)
    outputs = [runner.run(image) for image in images]
    probabilities = np.stack([output["probabilities"][0] for output in outputs])
    texts = [text for text, _ in decode.greedy_decode(probabilities, card["charset"])]
    if "label_ids" in outputs[0]:
        graph_texts = [
            "".join(card["charset"][i - 1] for i in output["label_ids"][0] if i > 0)
            for output in outputs
        ]
        if graph_texts != texts:
            raise CaptchaError(
                f"export: {path.name}'s label_ids disagree with decoding its probabilities"
            )
    return texts, runner


def latency_ms(runner, image, runs=LATENCY_RUNS, warmup=1):
    """Median wall time in ms of one `runner.run(image)` call, after `warmup` calls."""
    for _ in range(warmup):
        runner.run(image)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        runner.run(image)
        times.append(time.perf_counter() - started)
    return round(float(np.median(times)) * 1000, 4)


def build_card(config, validation_count):
    """The model card's fixed part: what an app needs to feed and read the models."""
    return {
        "format": "keras-captcha model card",
        "version": 1,
        "charset": config.charset,
        "blank_index": config.blank_index,
        "input": {
            "name": "image",
            "shape": [1, config.height, config.width, 1],
            "height": config.height,
            "width": config.width,
            "channels": 1,
            "dtype": "float32",
            "range": [0.0, 1.0],
            "normalisation": config.to_dict()["normalisation"],
        },
        "outputs": {
            "probabilities": f"[1, {config.time_steps}, {config.num_classes}] float32 softmax "
            f"per time step; class {config.blank_index} is the CTC blank, class i > 0 is "
            "charset[i - 1]; greedy decoding: argmax per step, merge repeats, drop blanks",
            "decoded": {
                "label_ids": f"[1, {config.time_steps}] int32: the decoded characters' classes "
                "(charset[id - 1]) from the front, padded with 0",
                "character_confidence": f"[1, {config.time_steps}] float32: the probability of "
                "each decoded character, 0 in the padding",
                "confidence": "[1] float32: the smallest per-step maximum probability",
            },
        },
        "time_steps": config.time_steps,
        "model": config.to_dict(),
        "validation_images": validation_count,
        "variants": {},
    }


def export(model_path, out_dir, validation_samples=None, calibration_samples=None, variants=None):
    """Exports `model_path` into `out_dir`; returns the model card dict.

    The samples default to the `validation.csv` and `train.csv` a training run
    wrote beside the model. Raises `CaptchaError` naming the variant that
    fails its checks; `out_dir` is then left as it was.
    """
    model_path = pathlib.Path(model_path)
    recognizer = load_keras_model(model_path)
    config = recognizer.config
    validation_samples = validation_samples or _run_samples(model_path, "validation.csv")
    calibration_samples = calibration_samples or _run_samples(model_path, "train.csv")
    for path, label in validation_samples:
        config.check_characters(label, path)
    validation_images = data_lib.load_images([p for p, _ in validation_samples], config)
    calibration_images = data_lib.load_images([p for p, _ in calibration_samples[:200]], config)
    targets = [label for _, label in validation_samples]
    keras_texts = [
        text for text, _ in decode.greedy_decode(KerasPredictor(recognizer).probabilities(validation_images), config.charset)
    ]
    card = build_card(config, len(validation_samples))
    card["keras"] = dict(zip(("accuracy", "cer"), decode.score(targets, keras_texts)))

    with atomic_directory(out_dir) as staging:
        for name in variants or VARIANTS:
            file_name, required_agreement = VARIANTS[name]
            tflite_bytes = edge.convert(recognizer, name, calibration_images)
            ops = list_ops(tflite_bytes)
            check_ops(name, ops)
            (staging / file_name).write_bytes(tflite_bytes)
            texts, runner = _run_lite(staging / file_name, card, validation_images)
            agreement = float(np.mean([a == b for a, b in zip(texts, keras_texts)]))
            if agreement < required_agreement:
                raise CaptchaError(
                    f"export: the {name} TFLite model decodes {agreement:.1%} of the "
                    f"validation images like the Keras model; it needs {required_agreement:.1%}"
                )
            accuracy, cer = decode.score(targets, texts)
            card["variants"][name] = {
                "file": file_name,
                "bytes": len(tflite_bytes),
                "accuracy": accuracy,
                "cer": cer,
                "agreement_with_keras": agreement,
                "latency_ms": latency_ms(runner, validation_images[0]),
                "ops": ops,
            }
        (staging / CARD_NAME).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
        save_savedmodel(recognizer, staging / SAVED_MODEL_DIR, staging / CARD_NAME)
        _check_savedmodel(staging / SAVED_MODEL_DIR, validation_images, keras_texts, validation_samples)
    return card


def _check_savedmodel(path, images, keras_texts, samples):
    predictor = SavedModelPredictor(path)
    charset = predictor.config.charset
    texts = [text for text, _ in decode.greedy_decode(predictor.probabilities(images), charset)]
    encoded = tf.constant([pathlib.Path(p).read_bytes() for p, _ in samples])
    byte_texts = predictor.signatures["predict_bytes"](encoded_images=encoded)["text"].numpy()
    byte_texts = [text.decode("utf-8") for text in byte_texts]
    if texts != keras_texts or byte_texts != keras_texts:
        raise CaptchaError("export: the SavedModel's signatures do not decode like the Keras model")


def _run_samples(model_path, name):
    path = model_path.parent / name
    if not path.is_file():
        raise CaptchaError(
            f"{model_path}: no {name} beside it (a training run writes one); pass --data DIR"
        )
    return data_lib.list_samples(path)


@contextlib.contextmanager
def atomic_directory(out_dir):
    """Yields a staging folder beside `out_dir` that replaces it only on success."""
    out_dir = pathlib.Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        yield staging
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # mkdtemp makes it private
        previous = None
        if out_dir.exists():
            previous = out_dir.with_name(f".{out_dir.name}.previous-{os.getpid()}")
            os.replace(out_dir, previous)
        os.replace(staging, out_dir)
        if previous is not None:
            shutil.rmtree(previous)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
