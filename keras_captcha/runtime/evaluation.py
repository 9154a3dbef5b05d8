"""Scoring a predictor on labelled samples: accuracy, CER and the mismatches."""

from keras_captcha.runtime.metrics import score


def evaluate(predictor, samples):
    """Scores a predictor on `(path, label)` samples.

    Returns `{"n", "accuracy", "cer", "mismatches"}`, each mismatch a dict of
    `path`, `target`, `prediction` and `confidence`. A label with characters
    the model's charset lacks raises `CaptchaError` naming its file.
    """
    for path, label in samples:
        predictor.config.check_characters(label, path)
    return score_results(samples, predictor.predict([path for path, _ in samples]))


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

