"""Scoring a predictor on labelled samples: accuracy, CER and the mismatches."""

from keras_captcha.core.answers import answer
from keras_captcha.runtime.metrics import score


def evaluate(predictor, samples):
    """Scores a predictor on `(path, label)` samples.

    Returns `{"n", "accuracy", "cer", "mismatches"}`, each mismatch a dict of
    `path`, `target`, `prediction` and `confidence`, and for a model with an
    answer rule `answer_accuracy` (the labels' answers by the same rule). A
    label with characters the model's charset lacks raises `CaptchaError`
    naming its file.
    """
    for path, label in samples:
        predictor.config.check_characters(label, path)
    readings = predictor.predict([path for path, _ in samples])
    report = score_results(samples, readings)
    rule = predictor.config.answer
    if rule:
        right = [reading.answer is not None and reading.answer == answer(label, rule)
                 for (_, label), reading in zip(samples, readings)]
        report["answer_accuracy"] = sum(right) / len(right) if right else float("nan")
    return report


def score_results(samples, readings):
    """The `evaluate` report of the `Reading`s already made for `samples`."""
    targets = [label for _, label in samples]
    accuracy, cer = score(targets, [reading.text for reading in readings])
    mismatches = [
        {"path": path, "target": target, "prediction": reading.text, "confidence": reading.confidence}
        for (path, target), reading in zip(samples, readings)
        if reading.text != target
    ]
    return {"n": len(samples), "accuracy": accuracy, "cer": cer, "mismatches": mismatches}

