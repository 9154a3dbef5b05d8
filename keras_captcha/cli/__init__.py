"""`keras-captcha`: train, export, evaluate, predict, triage and serve from the command line.

A thin layer over the library: it parses arguments, calls `keras_captcha.*`
and prints. A user's mistake (`CaptchaError`, or a path the system refuses:
an unwritable `--out`, a missing folder) is one line on stderr and exit
code 2. `predict` and `evaluate` with a `.tflite` model never import
TensorFlow; `train` and `export` need the `[train]` extra and say so.
"""

import os
import sys

from keras_captcha.cli.commands import (
    run_evaluate,
    run_export,
    run_label,
    run_predict,
    run_serve,
    run_train,
    run_triage,
)
from keras_captcha.cli.parser import build_parser
from keras_captcha.core.errors import CaptchaError

COMMANDS = {
    "train": run_train,
    "export": run_export,
    "evaluate": run_evaluate,
    "predict": run_predict,
    "serve": run_serve,
    "triage": run_triage,
    "label": run_label,
}


def main(argv=None):
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        COMMANDS[args.command](args)
    except CaptchaError as error:
        print(f"keras-captcha: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.filename is None:
            raise
        print(f"keras-captcha: error: {error.filename}: cannot be read or written ({error.strerror or error})",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("keras-captcha: interrupted", file=sys.stderr)
        return 130
    return 0
