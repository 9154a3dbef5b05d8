"""A run that starts from a trained model (`train --init MODEL`), whatever its charset.

The run keeps the model's network (`init_config`) and copies its weights
(`copy_weights`); the output layer is mapped by character, so a model
trained on other characters still gives every shared character its learned
output, new characters start fresh and missing ones are dropped. A run may
ask for another input size: the conv and GRU weights fit any width and
height, and the projection's rows are resampled to the new height.

The shipped base (`exported/base/model.keras`, built by
`tools/train_general_reader.py` from the style zoo alone) is where every
run of the default network starts by default (`keras_captcha.training.options.choose_init`).
"""

import dataclasses
import json
import os
import zipfile

import numpy as np

from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.errors import CaptchaError

#: The layer whose units are the classes: the one mapped by character.
OUTPUT_LAYER = "logits"
#: The layer whose kernel reads the conv stack's rows: its input is (rows x channels).
PROJECTION_LAYER = "projection"
#: Config fields a run may set whatever the start model's. The conv blocks apply the same
#: weights everywhere and the GRU along the width, so they fit any input size; the projection
#: reads the conv stack's rows, and its kernel is resampled to another height (`fit_rows`).
INPUT_SIZE_FIELDS = ("width", "height")


def read_init_config(path):
    """The `CaptchaConfig` saved in the `.keras` file of a `CaptchaRecognizer`, read without TensorFlow.

    Raises `CaptchaError` naming `path` for any other file.
    """
    problem = f"{path}: not a keras_captcha model (--init takes a run's model.keras)"
    if not os.path.isfile(path):
        raise CaptchaError(f"{path}: no such file (--init takes a run's model.keras)")
    try:
        with zipfile.ZipFile(path) as archive:
            saved = json.loads(archive.read("config.json"))
        if saved.get("registered_name") != "keras_captcha>CaptchaRecognizer":
            raise CaptchaError(problem)
        return CaptchaConfig.from_dict(saved["config"]["config"])
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError):
        raise CaptchaError(problem) from None


def init_config(path, config, charset, requested):
    """The run's config: `config` (the init model's at `path`, `read_init_config`) with `charset`.

    `requested` holds config fields the user asked for (`--height`,
    `--width`). Those of `INPUT_SIZE_FIELDS` are taken; any other that
    differs from the model's is a `CaptchaError` naming `path`.
    """
    differing = [
        f"{name} {getattr(config, name)}, not {value}"
        for name, value in requested.items() if name not in INPUT_SIZE_FIELDS and getattr(config, name) != value
    ]
    if differing:
        raise CaptchaError(f"{path}: its {'; '.join(differing)} as asked; drop the option or --init another model")
    free = {name: value for name, value in requested.items() if name in INPUT_SIZE_FIELDS}
    return dataclasses.replace(config, charset=charset, **free)


def copy_weights(source, target):
    """Copies `source`'s weights into `target`, two `CaptchaRecognizer`s of the same network.

    The output layer's kernel (units, classes) and bias (classes) are copied
    class by class: the blank to the blank, each character of `target` that
    `source` knows to its own class. Characters `source` lacks keep
    `target`'s initial weights. The projection's kernel is fitted to
    `target`'s height (`fit_rows`). Returns the new characters as a string.
    """
    for layer in target.layers:
        if layer.weights and layer.name == PROJECTION_LAYER:
            kernel, bias = source.get_layer(layer.name).get_weights()
            layer.set_weights([fit_rows(kernel, source.config.feature_rows, target.config.feature_rows), bias])
        elif layer.weights and layer.name != OUTPUT_LAYER:
            layer.set_weights(source.get_layer(layer.name).get_weights())
    kernel, bias = target.get_layer(OUTPUT_LAYER).get_weights()
    source_kernel, source_bias = source.get_layer(OUTPUT_LAYER).get_weights()
    source_vocabulary, vocabulary = source.config.vocabulary, target.config.vocabulary
    shared = [char for char in vocabulary.charset if char in source_vocabulary.charset]
    columns = [vocabulary.blank_index, *vocabulary.encode(shared)]
    source_columns = [source_vocabulary.blank_index, *source_vocabulary.encode(shared)]
    kernel[:, columns] = source_kernel[:, source_columns]
    bias[columns] = source_bias[source_columns]
    target.get_layer(OUTPUT_LAYER).set_weights([kernel, bias])
    return "".join(char for char in vocabulary.charset if char not in source_vocabulary.charset)


def fit_rows(kernel, source_rows, rows):
    """A projection kernel `(source_rows * channels, units)` resampled to `(rows * channels, units)`.

    Each new row is the linear interpolation of the source rows at its
    centre (a tent as wide as a new row, so that fewer rows read every
    source row); each source row's share is then scaled so that its shares sum to
    one: a feature map that is the same on every row projects to the same
    values at either height. Unchanged when the rows match.
    """
    if rows == source_rows:
        return kernel
    centres = np.clip((np.arange(rows) + 0.5) * source_rows / rows - 0.5, 0, source_rows - 1)
    width = max(source_rows / rows, 1.0)
    shares = np.maximum(1 - np.abs(centres[:, None] - np.arange(source_rows)[None, :]) / width, 0)  # (rows, source_rows)
    shares /= shares.sum(axis=0, keepdims=True)
    by_row = kernel.reshape(source_rows, -1, kernel.shape[1])
    return np.einsum("ts,scu->tcu", shares, by_row).reshape(-1, kernel.shape[1]).astype(kernel.dtype)
