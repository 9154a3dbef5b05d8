"""The answer rule: the grammar on the shared vectors, in Python and in the page's JavaScript."""

import json
import pathlib
import shutil
import subprocess

import pytest

from keras_captcha.core.answers import RULES, answer, rule

HERE = pathlib.Path(__file__).resolve().parent
VECTORS = json.loads((HERE / "answer_vectors.json").read_text(encoding="utf-8"))
ROOT = HERE.parents[1]


@pytest.mark.parametrize("text, expected", VECTORS["answers"])
def test_expressions_have_their_answers(text, expected):
    assert answer(text, RULES[VECTORS["rule"]]) == expected


@pytest.mark.parametrize("text", VECTORS["no_answer"])
def test_what_does_not_parse_or_divide_has_no_answer(text):
    assert answer(text, RULES[VECTORS["rule"]]) is None


def test_unknown_rules_are_named():
    with pytest.raises(ValueError, match="unknown answer rule 'calculus'; the rules are arithmetic"):
        rule("calculus")


def test_the_rules_the_page_reads_are_these():
    assert json.loads((HERE / "answer_rules.json").read_text(encoding="utf-8")) == RULES


def test_the_page_s_javascript_gives_the_same_answers():
    if shutil.which("node") is None:
        pytest.skip("no node")
    result = subprocess.run(["node", "--test", str(ROOT / "web" / "src" / "answer.test.mjs")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
