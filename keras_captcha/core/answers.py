"""Answer rules: what a reading means when a captcha asks a question (`14+18=?` -> 32), as data.

A rule is saved in the model's config (`CaptchaConfig.answer`), so every
consumer computes the same answer: `evaluate` here, the browser page in
`web/src/answer.js`; both are tested against `tests/core/answer_vectors.json`.

The arithmetic grammar, our own (never `eval`): integers joined by one or more
binary operators, `x`/`*`/`×` and `/`/`÷` before `+` and `-`, left to right;
spaces anywhere; an optional trailing `=`, `?` or `=?`. Anything else (`9+`,
`++3`, `3=4`, and a lone number such as `9896`: a misread operator, not a
question) does not parse, and a division by zero or a result that is not an
integer has no answer either: `answer` gives None, never an exception.
"""

from keras_captcha.core.errors import CaptchaError

#: The rules a model may carry, by name: each a dict of data that clients follow.
RULES = {
    "arithmetic": {
        "name": "arithmetic",
        "operators": {"+": "add", "-": "subtract", "x": "multiply", "*": "multiply", "\u00d7": "multiply",
                      "/": "divide", "\u00f7": "divide"},
        "precedence": {"add": 1, "subtract": 1, "multiply": 2, "divide": 2},
        "ignored": " ",
        "endings": ["=?", "=", "?"],
    }
}


def rule(name):
    """The rule named `name`; `ValueError` naming the known ones for another."""
    if name not in RULES:
        raise ValueError(f"unknown answer rule {name!r}; the rules are {', '.join(RULES)}")
    return RULES[name]


def rule_for_labels(name, samples):
    """The data of rule `name` for a model trained on `(path, label)` samples, or None without a name.

    `CaptchaError` for an unknown rule, and naming the first file whose label has no answer under it.
    """
    if not name:
        return None
    try:
        data = rule(name)
    except ValueError as error:
        raise CaptchaError(f"--answer: {error}") from None
    for path, label in samples:
        if answer(label, data) is None:
            raise CaptchaError(f"{path}: the label {label!r} has no answer under the {name} rule")
    return data


def answer(text, rule_data):
    """The integer `text` evaluates to under `rule_data` (a `RULES` value), or None when it has none."""
    tokens = _tokens(text, rule_data)
    if tokens is None or len(tokens) < 3 or len(tokens) % 2 == 0:  # one operator at least
        return None
    numbers, operations = tokens[0::2], tokens[1::2]  # `_tokens` alternates them, a number first
    precedence = rule_data["precedence"]
    values, pending = [numbers[0]], []
    for operation, number in zip(operations, numbers[1:]):
        while pending and precedence[pending[-1]] >= precedence[operation]:
            if not _apply(values, pending.pop()):
                return None
        pending.append(operation)
        values.append(number)
    while pending:
        if not _apply(values, pending.pop()):
            return None
    return values[0]


def _tokens(text, rule_data):
    """Integers and operation names, or None for a character outside the grammar."""
    text = "".join(char for char in text if char not in rule_data["ignored"])
    for ending in rule_data["endings"]:
        if text.endswith(ending):
            text = text[: -len(ending)]
            break
    tokens, digits = [], ""
    for char in text:
        if char.isdigit() and char.isascii():
            digits += char
            continue
        if digits:
            tokens.append(int(digits))
            digits = ""
        if char not in rule_data["operators"] or (tokens and isinstance(tokens[-1], str)) or not tokens:
            return None
        tokens.append(rule_data["operators"][char])
    if digits:
        tokens.append(int(digits))
    return tokens


def _apply(values, operation):
    """Replaces the last two values by `operation` of them; False when the result is no integer."""
    right, left = values.pop(), values.pop()
    if operation == "add":
        values.append(left + right)
    elif operation == "subtract":
        values.append(left - right)
    elif operation == "multiply":
        values.append(left * right)
    elif right == 0 or left % right:
        return False
    else:
        values.append(left // right)
    return True
