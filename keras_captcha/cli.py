"""`keras-captcha`: train, export, evaluate and predict from the command line.

A thin layer over the library: it parses arguments, calls `keras_captcha.*`
and prints. A user's mistake (`CaptchaError`) is one line on stderr and exit
code 2. `predict` and `evaluate` with a `.tflite` model never import
TensorFlow; `train` and `export` need the `[train]` extra and say so.
"""

import argparse
import json
import os
import pathlib
import sys

from keras_captcha.core.assets import shipped_model, web_dir
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.extras import require_extra
from keras_captcha.core.variants import DEFAULT_VARIANT, VARIANTS
from keras_captcha.labelling import triage
from keras_captcha.runtime import datasets
from keras_captcha.runtime.evaluation import evaluate
from keras_captcha.runtime.loading import open_predictor
from keras_captcha.training.distribute import STRATEGIES

DEFAULT_RUN = "runs/captcha"


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-captcha", description="Read text captchas with a CNN + BiGRU + CTC model."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model on a folder of labelled images")
    train.add_argument(
        "--data",
        help="folder of images named by their label, or with a labels.csv "
        "(default: data/captcha_images_v2, downloaded when absent)",
    )
    train.add_argument("--out", default=DEFAULT_RUN, help=f"run folder (default {DEFAULT_RUN})")
    train.add_argument(
        "--epochs", type=_positive_int,
        help="epochs (default: 20, or enough for 540 steps on a small dataset)",
    )
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument("--learning-rate", type=_positive_float)
    train.add_argument("--patience", type=_positive_int, help="early-stopping patience in epochs")
    train.add_argument("--validation-split", type=_fraction, dest="validation_fraction")
    train.add_argument("--seed", type=int)
    train.add_argument("--height", type=_positive_int, help="model input height")
    train.add_argument("--width", type=_positive_int, help="model input width")
    train.add_argument(
        "--unlabeled", metavar="DIR",
        help="folder of unlabelled images of the same style (any file names) to self-train on",
    )
    train.add_argument(
        "--self-training-rounds", type=_positive_int, metavar="N",
        help="rounds on pseudo-labels after the labelled-only one (default 3; with --unlabeled)",
    )
    train.add_argument(
        "--init", metavar="MODEL|none",
        help="start from this trained model.keras (its network and input size; output mapped by "
        "character), or none: from scratch (default: the shipped pretrained base for a set of "
        "fewer than 864 training images and the default network, else from scratch)",
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
    export.add_argument("model", help="trained .keras model (a run's model.keras)")
    export.add_argument("--out", required=True, help="output folder, replaced atomically")
    export.add_argument(
        "--data",
        help="labelled images to verify and calibrate on (default: the run's "
        "validation.csv and train.csv beside the model)",
    )
    export.add_argument("--seed", type=int, default=0, help="split seed for --data")

    evaluate = commands.add_parser("evaluate", help="score a model on labelled images")
    evaluate.add_argument(
        "--model",
        help=".tflite, .onnx, .keras or SavedModel folder (default: the shipped "
        f"{VARIANTS[DEFAULT_VARIANT].file})",
    )
    evaluate.add_argument("--data", required=True, help="folder of labelled images or a CSV")
    evaluate.add_argument("--skip-bad", action="store_true")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

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
    serve.add_argument("--port", type=_positive_int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    serve.add_argument(
        "--max-body-bytes", type=_positive_int, default=4 * 1024 * 1024,
        help="larger request bodies get 413 (default 4 MiB)",
    )
    serve.add_argument(
        "--max-images", type=_positive_int, default=64, help="images one request may hold (default 64)"
    )

    triage_command = commands.add_parser(
        "triage", help="the unlabelled images to label next, least confident first, as a prefilled labels.csv"
    )
    triage_command.add_argument(
        "--model", help=".tflite, .onnx, .keras or SavedModel folder (default: the shipped "
        f"{VARIANTS[DEFAULT_VARIANT].file})",
    )
    triage_command.add_argument("--data", required=True, help="folder of unlabelled images (any file names)")
    triage_command.add_argument("--top", type=_positive_int, help="only the K least confident (default: all)")
    triage_command.add_argument("--out", required=True, help="the labels.csv to write, readings as labels")
    triage_command.add_argument("--skip-bad", action="store_true", help="skip unreadable images")
    triage_command.add_argument("--overwrite", action="store_true", help="replace an existing --out")

    predict = commands.add_parser("predict", help="read the text of captcha images")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    predict.add_argument(
        "--model",
        help=".tflite, .onnx, .keras or SavedModel folder (default: the shipped "
        f"{VARIANTS[DEFAULT_VARIANT].file})",
    )
    predict.add_argument("--json", action="store_true", help="print one JSON object per line")
    return parser


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _fraction(text):
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text}")
    return value


def run_train(args):
    require_extra("train", "keras-captcha train")
    from keras_captcha.training.download import default_data_dir  # the [train] extra: Keras
    from keras_captcha.training.options import TrainOptions
    from keras_captcha.training.run import train

    fields = (
        "epochs", "batch_size", "learning_rate", "patience", "validation_fraction", "seed",
        "unlabeled", "self_training_rounds", "init",
    )
    if args.init == "none":
        args.init = ""  # TrainOptions: a false init starts from scratch
    options = TrainOptions(
        **{name: getattr(args, name) for name in fields if getattr(args, name) is not None},
        skip_bad=args.skip_bad,
        overwrite=args.overwrite,
        strategy=args.strategy,
        verbose=1 if sys.stdout.isatty() else 2,
        model={name: getattr(args, name) for name in ("height", "width") if getattr(args, name)},
    )
    data_dir = args.data or default_data_dir()
    summary = train(data_dir, args.out, options)
    print(
        f"validation accuracy {summary['val_accuracy']:.2%}, CER {summary['val_cer']:.4f} "
        f"on {summary['validation_images']} images; {summary['epochs']} epochs in "
        f"{summary['seconds']:.0f} s; model: {summary['model']}"
    )
    if summary["init"]:
        print(f"started from {summary['init']}")
    if "self_training" in summary:
        pseudo = ", ".join(str(r["pseudo_labels"]) for r in summary["self_training"][1:])
        print(f"self-training on {summary['unlabelled_images']} unlabelled images: pseudo-labels per round {pseudo}")


def run_export(args):
    require_extra("train", "keras-captcha export")
    from keras_captcha.export.exporter import export  # the [train] extra: TensorFlow

    split = {}
    if args.data:
        train, validation = datasets.split_samples(datasets.list_samples(args.data), 0.1, args.seed)
        split = {"validation_samples": validation, "calibration_samples": train}
    card = export(args.model, args.out, **split)
    print(f"{'variant':<14} {'file':<30} {'KB':>7} {'accuracy':>9} {'CER':>7} {'ms':>7}")
    for name, variant in card["variants"].items():
        print(
            f"{name:<14} {variant['file']:<30} {variant['bytes'] / 1024:7.1f} "
            f"{variant['accuracy']:9.2%} {variant['cer']:7.4f} {variant['latency_ms']:7.3f}"
        )
    print(f"SavedModel and {len(card['variants'])} model files verified on "
          f"{card['validation_images']} images; written to {args.out}")
    skipped = sorted(set(VARIANTS) - set(card["variants"]))
    if skipped:
        print(f'not written: {", ".join(skipped)} (pip install "keras-captcha[onnx]" for the ONNX files)')


def run_evaluate(args):
    predictor = open_predictor(args.model)
    report = evaluate(predictor, datasets.list_samples(args.data, skip_bad=args.skip_bad))
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    for mismatch in report["mismatches"]:
        print(f"{mismatch['target']} -> {mismatch['prediction']}  ({mismatch['path']})")
    print(f"{report['n']} images: accuracy {report['accuracy']:.2%}, CER {report['cer']:.4f}")


def run_predict(args):
    for path in args.images:
        if not os.path.isfile(path):
            raise CaptchaError(f"{path}: no such file")
    predictor = open_predictor(args.model)
    # predict reads and checks every image (naming a bad one) before anything is printed
    for path, reading in zip(args.images, predictor.predict(args.images)):
        if args.json:
            print(json.dumps({"path": path, **reading.to_dict()}, ensure_ascii=False))
        else:
            print(f"{path}\t{reading.text}\t{reading.confidence:.4f}")


def run_triage(args):
    rows = triage.triage(open_predictor(args.model), datasets.list_images(args.data, args.skip_bad), args.top)
    out = triage.write_labels(rows, args.out, overwrite=args.overwrite)
    for path, reading in rows[:10]:
        print(f"{reading.confidence:.3f}\t{reading.text}\t{path}")
    print(f"{len(rows)} images, least confident first, written to {out}: correct the labels, then train on it")


def run_serve(args):
    require_extra("serve", "keras-captcha serve")
    from keras_captcha.serving.options import ServeOptions  # the [serve] extra: FastAPI, uvicorn
    from keras_captcha.serving.process import serve

    models, page = {}, web_dir()
    for text in args.models or [str(shipped_model())]:
        name, _, path = text.rpartition("=")
        name = name or pathlib.Path(path).stem
        if name in models:
            raise CaptchaError(f"serve: two models are named {name!r}; name them with NAME=PATH")
        models[name] = path
    options = ServeOptions(
        models=models, max_body_bytes=args.max_body_bytes, max_images=args.max_images,
        web_dir=str(page) if page else None,
    )
    serve(options, host=args.host, port=args.port, workers=args.workers)


COMMANDS = {
    "train": run_train,
    "export": run_export,
    "evaluate": run_evaluate,
    "predict": run_predict,
    "serve": run_serve,
    "triage": run_triage,
}


def main(argv=None):
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        COMMANDS[args.command](args)
    except CaptchaError as error:
        print(f"keras-captcha: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("keras-captcha: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
