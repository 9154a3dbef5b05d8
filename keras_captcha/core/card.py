"""The model card: the one JSON file that tells any client how to feed and read an exported model.

Schema (version 2), each fact once:

* `config`: the `CaptchaConfig` (charset, input height and width, the
  normalisation as data, network sizes), read back by `read_card`;
* `vocabulary`: where the CTC blank sits (class ids: the blank, then the
  charset in order);
* `outputs`: what each output tensor holds;
* `variants`: for every exported file its size, ops, accuracy and latency;
* `reference`: the Keras model's own accuracy on the same validation images.
"""

import json
import pathlib
import typing

from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.vocabulary import BLANK_INDEX

CARD_NAME = "model_card.json"
FORMAT = "keras-captcha model card"
VERSION = 2
OUTPUTS = {
    "probabilities": "[batch, time_steps, num_classes] float32 softmax per time step; "
    "greedy decoding: argmax per step, merge repeats, drop the blank",
    "label_ids": "[batch, time_steps] int32 (decoded variant): the decoded characters' "
    "class ids from the front, padded with the blank",
    "character_confidence": "[batch, time_steps] float32 (decoded variant): each decoded "
    "character's probability, 0 in the padding",
    "confidence": "[batch] float32 (decoded variant): the smallest per-step maximum probability",
}


class ModelCard(typing.NamedTuple):
    """A card read from disk: the config it describes, and the whole card as a dict."""

    config: CaptchaConfig
    data: dict
    path: pathlib.Path


def build_card(config, validation_images):
    """A new card for models of `config`; `export` fills `variants` and `reference`."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "config": config.to_dict(),
        "vocabulary": {
            "blank_index": config.vocabulary.blank_index,
            "classes": "the blank, then config.charset in order: class i > blank_index "
            "is charset[i - blank_index - 1]",
        },
        "input": {"name": "image", "layout": "NHWC", "dtype": "float32", "channels": 1},
        "outputs": OUTPUTS,
        "validation_images": validation_images,
        "reference": {},
        "variants": {},
    }


def write_card(card, path):
    pathlib.Path(path).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_card(card_path):
    """A `model_card.json` -> `ModelCard`; `CaptchaError` naming the file if it is not one of ours."""
    card_path = pathlib.Path(card_path)
    try:
        data = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CaptchaError(f"{card_path}: not a keras_captcha model card ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CaptchaError(f"{card_path}: not a keras_captcha model card (no format {FORMAT!r})")
    if data.get("version") != VERSION:
        raise CaptchaError(
            f"{card_path}: model card version {data.get('version')!r}; this keras_captcha reads "
            f"version {VERSION} (re-export the model)"
        )
    vocabulary = data.get("vocabulary")
    if not isinstance(vocabulary, dict) or vocabulary.get("blank_index") != BLANK_INDEX:
        raise CaptchaError(f"{card_path}: the model card's blank index is not {BLANK_INDEX}")
    config = CaptchaConfig.from_dict(data.get("config"), f"{card_path}: config")
    return ModelCard(config, data, card_path)


def model_file_and_card(model_path, card=None):
    """`(path, ModelCard)` of a model file: `card`, or the card beside it; `CaptchaError` if the file is missing."""
    path = pathlib.Path(model_path)
    if not path.is_file():
        raise CaptchaError(f"{model_path}: no such model file")
    return path, card or card_beside(path)


def card_beside(model_path):
    """The `ModelCard` in `model_path`'s folder."""
    card_path = pathlib.Path(model_path).with_name(CARD_NAME)
    if not card_path.is_file():
        raise CaptchaError(
            f"{model_path}: no {CARD_NAME} beside it; the charset and input size come from it"
        )
    return read_card(card_path)
