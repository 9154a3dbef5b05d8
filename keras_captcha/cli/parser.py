"""The command line's arguments: one subparser per command, and the argument types that refuse bad values."""

import argparse

from keras_captcha import __version__
from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.variants import DEFAULT_VARIANT, VARIANTS
from keras_captcha.serving.options import COLLECT_MAX_MB, MAX_BODY_BYTES, MAX_IMAGES, UNCERTAIN_BELOW
from keras_captcha.training.distribute import STRATEGIES
from keras_captcha.training.input_width import STEPS_PER_CHARACTER
from keras_captcha.training.options import DEFAULT_EPOCHS, MIN_STEPS, TrainOptions

DEFAULT_RUN = "runs/captcha"
#: `TrainOptions`' defaults, for the help texts: the library's are the ones a run uses.
TRAIN_DEFAULTS = TrainOptions()


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-captcha", description="Read text captchas with a CNN + BiGRU + CTC model."
    )
    parser.add_argument("--version", action="version", version=f"keras-captcha {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model on a folder of labelled images")
    train.add_argument(
        "--data",
        help="folder of images named by their label, or with a labels.csv "
        "(default: none when --unlabeled is given, and the run learns from the pool alone; "
        "else data/captcha_images_v2, downloaded when absent)",
    )
    train.add_argument("--out", default=DEFAULT_RUN, help=f"run folder (default {DEFAULT_RUN})")
    train.add_argument(
        "--epochs", type=_positive_int,
        help=f"epochs (default: {DEFAULT_EPOCHS}, or enough for {MIN_STEPS} steps on a small dataset)",
    )
    train.add_argument(
        "--batch-size", type=_positive_int, help=f"images a step (default {TRAIN_DEFAULTS.batch_size})"
    )
    train.add_argument(
        "--learning-rate", type=_positive_float,
        help=f"peak of the one-cycle schedule (default {TRAIN_DEFAULTS.learning_rate:g})",
    )
    train.add_argument(
        "--patience", type=_positive_int,
        help=f"early-stopping patience in epochs (default {TRAIN_DEFAULTS.patience}; stretched as the epochs are)",
    )
    train.add_argument(
        "--validation-split", type=_fraction, dest="validation_fraction", metavar="FRACTION",
        help=f"share of the labelled images held out to validate on (default {TRAIN_DEFAULTS.validation_fraction:g})",
    )
    train.add_argument(
        "--seed", type=int,
        help=f"seed of the validation split, the shuffling and the weights (default {TRAIN_DEFAULTS.seed})",
    )
    train.add_argument(
        "--height", type=_positive_int,
        help="model input height (also with --init: the projection is fitted to the rows); "
        f"default: the start model's, {CaptchaConfig.height}",
    )
    train.add_argument(
        "--width",
        type=_positive_int,
        help="model input width (also with --init: its weights fit any width); default: the start model's, "
        f"widened when the longest label would get under {STEPS_PER_CHARACTER} output steps a character",
    )
    train.add_argument(
        "--unlabeled", metavar="DIR",
        help="folder of unlabelled images of the same style (any file names) to self-train on; "
        "without --data, the start model's surest readings of it are the first labels",
    )
    train.add_argument(
        "--self-training-rounds", type=_positive_int, metavar="N",
        help="rounds on pseudo-labels after the labelled-only one "
        f"(default {TRAIN_DEFAULTS.self_training_rounds}; with --unlabeled)",
    )
    train.add_argument(
        "--init", metavar="MODEL|none", type=init_value,
        help="start from this trained model.keras (its network and input size; output mapped by "
        "character), or none: from scratch (default: the shipped pretrained base with the default "
        "network of any input size, from scratch when another network size is given)",
    )
    train.add_argument(
        "--answer", metavar="RULE",
        help="the answer rule the model carries (arithmetic: labels are expressions as drawn, 14+18=?, "
        "and every reading gets its answer, 32)",
    )
    train.add_argument(
        "--charset", metavar="CHARS",
        help="every character the captchas use, as one string (default: the labels' characters, and "
        "when starting from the base each of its digits, lowercase or uppercase the labels touch)",
    )
    train.add_argument("--skip-bad", action="store_true", help="skip unreadable images")
    train.add_argument("--overwrite", action="store_true", help="replace a finished run")
    train.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="default",
        help="default: one device; mirrored: every local GPU; multiworker: the "
        "machines of TF_CONFIG (--batch-size is per replica)",
    )

    export = commands.add_parser(
        "export", help="write a verified SavedModel, TFLite models and a model card"
    )
    export.add_argument("model", nargs="?", help="trained .keras model (a run's model.keras)")
    export.add_argument(
        "--model", dest="model_flag", metavar="MODEL", help="the same, named as the other commands name it"
    )
    export.add_argument("--out", required=True, help="output folder, replaced atomically")
    export.add_argument(
        "--data",
        help="labelled images to verify and calibrate on (default: the run's "
        "validation.csv and train.csv beside the model)",
    )
    export.add_argument("--seed", type=int, default=0, help="split seed for --data")
    export.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        metavar="NAME",
        help=f"write only these files: {', '.join(VARIANTS)} (default: every one the installed extras allow)",
    )

    evaluate = commands.add_parser("evaluate", help="score a model on labelled images")
    _add_model(evaluate)
    evaluate.add_argument("--data", required=True, help="folder of labelled images or a CSV")
    evaluate.add_argument("--skip-bad", action="store_true", help="skip unreadable images")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    _add_allowed(evaluate)

    serve = commands.add_parser("serve", help="serve an HTTP API that reads captchas (the [serve] extra)")
    serve.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="[NAME=]PATH",
        help="a model to serve, named NAME (default: its file name); repeat for several, the first "
        f"is the default (default: the shipped {VARIANTS[DEFAULT_VARIANT].file})",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0: any free one)")
    serve.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    serve.add_argument(
        "--max-body-bytes", type=_positive_int, default=MAX_BODY_BYTES,
        help="larger request bodies get 413 (default 4 MiB)",
    )
    serve.add_argument(
        "--max-images", type=_positive_int, default=MAX_IMAGES, help=f"images one request may hold (default {MAX_IMAGES})"
    )
    serve.add_argument(
        "--threshold", type=_fraction, default=UNCERTAIN_BELOW,
        help="readings less confident than this are uncertain: counted, and collected with --collect "
        f"(default {UNCERTAIN_BELOW})",
    )
    serve.add_argument(
        "--collect", metavar="DIR",
        help="save the images of uncertain readings here, with readings.jsonl; POST /v1/feedback labels them",
    )
    serve.add_argument(
        "--collect-max-mb", type=_positive_float, default=COLLECT_MAX_MB, metavar="N",
        help=f"stop collecting when DIR holds this many MB (default {COLLECT_MAX_MB})",
    )
    serve.add_argument("--token-file", metavar="F", help="require 'Authorization: Bearer <the token in F>' to read")
    serve.add_argument("--admin-token", metavar="TOKEN", help="enable POST /v1/reload for this bearer token")
    serve.add_argument("--no-metrics", dest="metrics", action="store_false", help="count nothing; no GET /metrics")

    triage_command = commands.add_parser(
        "triage", help="the unlabelled images to label next, least confident first, as a prefilled labels.csv"
    )
    _add_model(triage_command)
    triage_command.add_argument("--data", required=True, help="folder of unlabelled images (any file names)")
    triage_command.add_argument("--top", type=_positive_int, help="only the K least confident (default: all)")
    triage_command.add_argument("--out", required=True, help="the labels.csv to write, readings as labels")
    triage_command.add_argument("--skip-bad", action="store_true", help="skip unreadable images")
    triage_command.add_argument("--overwrite", action="store_true", help="replace an existing --out")

    label = commands.add_parser(
        "label", help="label captchas in a local web page, least confident first, prefilled (the [serve] extra)"
    )
    label.add_argument("--data", required=True, help="folder of images with any names (subfolders not read)")
    label.add_argument("--out", required=True, help="the labels.csv to append to (created if absent; never overwritten)")
    label.add_argument(
        "--model", help="the model whose readings prefill and order the page (default: the general reader, "
        "exported/base/ as .tflite, or its .keras)",
    )
    label.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    label.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0: any free one)")
    label.add_argument("--no-browser", dest="browser", action="store_false", help="print the URL, open no browser")
    label.add_argument(
        "--retrain-every", type=_positive_int, metavar="N",
        help="after every N labels, train in the background (train --data OUT --unlabeled DATA) and take its readings",
    )

    predict = commands.add_parser("predict", help="read the text of captcha images")
    predict.add_argument(
        "images", nargs="+", metavar="IMAGE",
        help="an image file, a folder (its images, by name), or - for one image on standard input",
    )
    _add_model(predict)
    predict.add_argument("--json", action="store_true", help="print one JSON object per line")
    _add_allowed(predict)
    return parser


def _add_model(command):
    command.add_argument(
        "--model",
        help=f".tflite, .onnx, .keras or SavedModel folder (default: the shipped {VARIANTS[DEFAULT_VARIANT].file})",
    )


def _add_allowed(command):
    command.add_argument(
        "--allowed", metavar="CHARS", type=_characters,
        help="read only these characters, as one string (e.g. 0123456789 for a site of digits; "
        "default: every character of the model)",
    )


def init_value(text):
    """`TrainOptions.init` for an `--init` value: "none" is "" (a false init starts from scratch)."""
    return "" if text == "none" else text


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text}")
    return value


def _port(text):
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _characters(text):
    if not text:
        raise argparse.ArgumentTypeError("expected at least one character, got an empty string")
    return text


def _fraction(text):
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text}")
    return value
