"""Export: a trained `.keras` model -> a verified SavedModel, TFLite and ONNX files and a model card.

    from keras_captcha.export.exporter import export
    card = export("runs/captcha/model.keras", "exported")

The variants are the records of `keras_captcha.core.variants.VARIANTS`. Every
file is checked before the folder appears: each runs in its own runtime on
the validation images and must decode the same text as the Keras model (on
every image, or on the variant's `required_agreement` share). The folder is
written beside `out` and swapped in at the end, so a failed or killed export
leaves the previous one as it was.
"""

import contextlib
import os
import pathlib
import shutil
import tempfile

import numpy as np

from keras_captcha.core import run_files
from keras_captcha.core.card import CARD_NAME, ModelCard, build_card, write_card
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.extras import has_extra
from keras_captcha.core.timing import median_ms
from keras_captcha.core.variants import VARIANTS
from keras_captcha.export import savedmodel
from keras_captcha.export.writers import WRITERS
from keras_captcha.runtime.datasets import list_samples
from keras_captcha.runtime.metrics import score
from keras_captcha.training.dataset import load_images
from keras_captcha.training.keras_predictor import KerasPredictor, load_keras_model

#: Calls of a file's run whose median is its card's `latency_ms`.
LATENCY_RUNS = 100
CALIBRATION_IMAGES = 200


def available_variants():
    """The names of the variants whose tools are installed: the ONNX ones need the `[onnx]` extra."""
    return [name for name, variant in VARIANTS.items() if variant.format != "onnx" or has_extra("onnx")]


def export(model_path, out_dir, validation_samples=None, calibration_samples=None, variants=None):
    """Exports `model_path` into `out_dir`; returns the model card dict.

    The samples default to the `validation.csv` and `train.csv` a training run
    wrote beside the model; `variants` (names) default to `available_variants()`. Raises
    `CaptchaError` naming the variant that fails its checks; `out_dir` is then
    left as it was.
    """
    model_path = pathlib.Path(model_path)
    available = available_variants()
    variants = variants or available
    missing = [name for name in variants if name not in available]
    if missing:
        raise CaptchaError(f'export: {", ".join(missing)} need the ONNX tools: pip install "keras-captcha[onnx]"')
    recognizer = load_keras_model(model_path)
    config = recognizer.config
    validation_samples = validation_samples or _run_samples(model_path, run_files.VALIDATION_CSV)
    calibration_samples = calibration_samples or _run_samples(model_path, run_files.TRAIN_CSV)
    for path, label in validation_samples:
        config.check_characters(label, path)
    validation_images = load_images([p for p, _ in validation_samples], config)
    calibration_images = load_images(
        [p for p, _ in calibration_samples[:CALIBRATION_IMAGES]], config
    )
    targets = [label for _, label in validation_samples]
    keras_predictor = KerasPredictor(recognizer)
    keras_probabilities = keras_predictor.probabilities(validation_images)
    keras_texts = [r.text for r in keras_predictor.decode(keras_probabilities)]
    card = build_card(config, len(validation_samples))
    card["reference"] = dict(zip(("accuracy", "cer"), score(targets, keras_texts)))

    with atomic_directory(out_dir) as staging:
        for name in variants:
            variant = VARIANTS[name]
            path = staging / variant.file
            write = WRITERS[variant.format, variant.client]
            written = write(
                recognizer, variant, path, card=ModelCard(config, card, None), images=validation_images,
                samples=validation_samples, calibration_images=calibration_images,
                keras_probabilities=keras_probabilities,
            )
            checked = range(len(targets)) if written.checked is None else written.checked
            expected = [keras_texts[i] for i in checked]
            agreement = float(np.mean([a == b for a, b in zip(written.texts, expected)]))
            if agreement < variant.required_agreement:
                raise CaptchaError(
                    f"export: the {name} model decodes {agreement:.1%} of the validation "
                    f"images like the Keras model; it needs {variant.required_agreement:.1%} "
                    f"(--variants chooses the files to write)"
                )
            accuracy, cer = score([targets[i] for i in checked], written.texts)
            card["variants"][name] = {
                "file": variant.file,
                "bytes": path.stat().st_size,
                "accuracy": accuracy,
                "cer": cer,
                "agreement_with_keras": agreement,
                "latency_ms": median_ms(written.run, [written.image], LATENCY_RUNS),
                "ops": written.ops,
                **written.extra,
            }
        write_card(card, staging / CARD_NAME)
        savedmodel.save(recognizer, staging / savedmodel.DIR_NAME, staging / CARD_NAME)
        savedmodel.check(staging / savedmodel.DIR_NAME, validation_images, keras_texts, validation_samples)
    return card


def _run_samples(model_path, name):
    path = model_path.parent / name
    if not path.is_file():
        raise CaptchaError(
            f"{model_path}: no {name} beside it (a training run writes one); pass --data DIR"
        )
    return list_samples(path)


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
