"""Scoring a predictor on labelled samples: accuracy, CER, the mismatches and the characters read wrong."""

import collections

from keras_captcha.core.answers import answer
from keras_captcha.runtime.metrics import align, score


def evaluate(predictor, samples):
    """Scores a predictor on `(path, label)` samples.

    Returns `{"n", "accuracy", "cer", "mismatches", "confusions", "unknown_characters"}`,
    each mismatch a dict of `path`, `target`, `prediction` and `confidence`,
    `confusions` the characters read wrong, most often first (`score_results`),
    and for a model with an answer rule `answer_accuracy` (the labels' answers
    by the same rule). A label with characters the model's charset lacks can
    never be read: it counts as a miss, and `unknown_characters` names those
    characters (`characters`, a string) and the labels' files (`paths`).
    """
    vocabulary = predictor.config.vocabulary
    lacking = {path: vocabulary.unknown(label) for path, label in samples}
    unknown = {path: characters for path, characters in lacking.items() if characters}
    readings = predictor.predict([path for path, _ in samples])
    report = score_results(samples, readings)
    rule = predictor.config.answer
    if rule:
        right = [reading.answer is not None and reading.answer == answer(label, rule)
                 for (_, label), reading in zip(samples, readings)]
        report["answer_accuracy"] = sum(right) / len(right) if right else float("nan")
    report["unknown_characters"] = {"characters": "".join(sorted(set("".join(unknown.values())))),
                                    "paths": list(unknown)}
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
    return {"n": len(samples), "accuracy": accuracy, "cer": cer, "mismatches": mismatches,
            "confusions": confusions(mismatches)}


def confusions(mismatches):
    """`[{"target", "prediction", "count"}]`: each pair of a label's character and what was read for it
    in `mismatches` (aligned by `metrics.align`; `metrics.NOTHING` for a missed or an extra character),
    most frequent first, then by the characters."""
    counts = collections.Counter(
        pair for mismatch in mismatches for pair in align(mismatch["target"], mismatch["prediction"])
        if pair[0] != pair[1]
    )
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"target": target, "prediction": prediction, "count": count} for (target, prediction), count in ranked]

