"""One function per command: it calls the library and prints; the TensorFlow and server layers load lazily."""

import json
import pathlib
import sys

from keras_captcha.core.assets import general_reader, shipped_model, web_dir
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.extras import require_extra
from keras_captcha.core.variants import VARIANTS
from keras_captcha.labelling import triage
from keras_captcha.runtime import datasets
from keras_captcha.runtime.evaluation import evaluate
from keras_captcha.runtime.images import open_image
from keras_captcha.runtime.loading import open_predictor

#: The `predict` argument that stands for an image piped to standard input.
STDIN = "-"


def run_train(args):
    require_extra("train", "keras-captcha train")
    from keras_captcha.training.callbacks import MIN_IMAGES_TO_PICK_EPOCH  # the [train] extra: Keras
    from keras_captcha.training.download import default_data_dir
    from keras_captcha.training.options import TrainOptions
    from keras_captcha.training.run import train

    fields = (
        "epochs", "batch_size", "learning_rate", "patience", "validation_fraction", "seed",
        "unlabeled", "self_training_rounds", "init", "answer", "charset",
    )
    options = TrainOptions(
        **{name: getattr(args, name) for name in fields if getattr(args, name) is not None},
        skip_bad=args.skip_bad,
        overwrite=args.overwrite,
        strategy=args.strategy,
        verbose=1 if sys.stdout.isatty() else 2,
        model={name: getattr(args, name) for name in ("height", "width") if getattr(args, name)},
    )
    data_dir = args.data or (None if args.unlabeled else default_data_dir())
    summary = train(data_dir, args.out, options)
    print(
        f"validation accuracy {summary['val_accuracy']:.2%}, CER {summary['val_cer']:.4f} "
        f"on {summary['validation_images']} images; {summary['epochs']} epochs in "
        f"{summary['seconds']:.0f} s; model: {summary['model']}"
    )
    if summary["validation_images"] < MIN_IMAGES_TO_PICK_EPOCH:
        print(f"{summary['validation_images']} validation images say little of how well it reads: "
              "evaluate it on more labelled captchas (keras-captcha evaluate --model MODEL --data DIR)")
    if summary["init"]:
        print(f"started from {summary['init']}")
    if "self_training" in summary:
        pseudo = ", ".join(str(r["pseudo_labels"]) for r in summary["self_training"][1:])
        print(f"self-training on {summary['unlabelled_images']} unlabelled images: pseudo-labels per round {pseudo}")
        taught = [str(r["round"] + 1) for r in summary["self_training"] if r.get("teacher") == "start"]
        if taught:
            print(f"round {', '.join(taught)} learnt from the start model's readings: it read more of the pool "
                  "steadily than the round before")


def _export_model(args):
    """The model `export` was given, as `MODEL` or `--model MODEL` (one of them)."""
    if args.model and args.model_flag and args.model != args.model_flag:
        raise CaptchaError(f"export: two models given, {args.model} and --model {args.model_flag}; name one")
    if not (args.model or args.model_flag):
        raise CaptchaError("export: name the trained .keras model to export (MODEL or --model MODEL)")
    return args.model or args.model_flag


def run_export(args):
    model = _export_model(args)
    require_extra("train", "keras-captcha export")
    from keras_captcha.export.exporter import export  # the [train] extra: TensorFlow

    split = {}
    if args.data:
        train, validation = datasets.split_samples(datasets.list_samples(args.data), 0.1, args.seed)
        split = {"validation_samples": validation, "calibration_samples": train}
    card = export(model, args.out, variants=args.variants, **split)
    print(f"{'variant':<14} {'file':<30} {'KB':>7} {'accuracy':>9} {'CER':>7} {'ms':>7}")
    for name, variant in card["variants"].items():
        print(
            f"{name:<14} {variant['file']:<30} {variant['bytes'] / 1024:7.1f} "
            f"{variant['accuracy']:9.2%} {variant['cer']:7.4f} {variant['latency_ms']:7.3f}"
        )
    print(f"SavedModel and {len(card['variants'])} model files verified on "
          f"{card['validation_images']} images; written to {args.out}")
    skipped = sorted(set(VARIANTS) - set(card["variants"]))
    if skipped and not args.variants:
        print(f'not written: {", ".join(skipped)} (pip install "keras-captcha[onnx]" for the ONNX files)')


def run_evaluate(args):
    predictor = open_predictor(args.model, allowed=args.allowed)
    report = evaluate(predictor, datasets.list_samples(args.data, skip_bad=args.skip_bad))
    unknown = report["unknown_characters"]
    if unknown["paths"]:
        print(f"keras-captcha: warning: {len(unknown['paths'])} label(s) have characters the model lacks "
              f"({unknown['characters']!r}), counted as misses: {', '.join(unknown['paths'])}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    for mismatch in report["mismatches"]:
        print(f"{mismatch['target']} -> {mismatch['prediction']}  ({mismatch['path']})")
    if report["confusions"]:
        common = ", ".join(f"{c['target']}->{c['prediction']} ({c['count']})" for c in report["confusions"][:8])
        print(f"read wrong most often (label -> read): {common}")
    answers = f", answers {report['answer_accuracy']:.2%}" if "answer_accuracy" in report else ""
    print(f"{report['n']} images: accuracy {report['accuracy']:.2%}, CER {report['cer']:.4f}{answers}")


def run_predict(args):
    if args.images.count(STDIN) > 1:
        raise CaptchaError(f"{STDIN} is given more than once; standard input holds one image")
    paths = [path for arg in args.images for path in ([STDIN] if arg == STDIN else datasets.images_of([arg]))]
    sources = [_standard_input_image() if path == STDIN else path for path in paths]
    predictor = open_predictor(args.model, allowed=args.allowed)
    # predict reads and checks every image (naming a bad one) before anything is printed
    with_answer = predictor.config.answer is not None  # a fourth column: what the reading answers
    for path, reading in zip(paths, predictor.predict(sources)):
        if args.json:
            print(json.dumps({"path": path, **reading.to_dict(with_answer)}, ensure_ascii=False))
        else:
            answer = f"\t{'' if reading.answer is None else reading.answer}" if with_answer else ""
            print(f"{path}\t{reading.text}\t{reading.confidence:.4f}{answer}")


def _standard_input_image():
    """The image file piped to `predict -`, checked (a one-line error names standard input)."""
    data = sys.stdin.buffer.read()
    open_image(data, "standard input").close()
    return data


def run_triage(args):
    triage.check_out(args.out, args.overwrite)  # before reading every image
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
        web_dir=str(page) if page else None, threshold=args.threshold, collect=args.collect,
        collect_max_mb=args.collect_max_mb, token_file=args.token_file, admin_token=args.admin_token,
        workers=args.workers, metrics=args.metrics,
    )
    serve(options, host=args.host, port=args.port)


def run_label(args):
    require_extra("serve", "keras-captcha label")
    from keras_captcha.labelling.page import serve_label_page  # the [serve] extra: FastAPI, uvicorn

    predictor = open_predictor(args.model or general_reader())
    serve_label_page(args.data, args.out, predictor, host=args.host, port=args.port, open_browser=args.browser,
                     retrain_every=args.retrain_every)
