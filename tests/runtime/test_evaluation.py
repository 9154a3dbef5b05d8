"""Scoring readings: the characters read wrong, counted over aligned mismatches."""

from keras_captcha.runtime.evaluation import confusions
from keras_captcha.runtime.metrics import NOTHING


def test_confusions_count_each_misread_character_most_often_first():
    mismatches = [{"target": "1234", "prediction": "7234"}, {"target": "17", "prediction": "77"},
                  {"target": "abc", "prediction": "ac"}, {"target": "ab", "prediction": "abd"}]
    assert confusions(mismatches) == [
        {"target": "1", "prediction": "7", "count": 2},
        {"target": "b", "prediction": NOTHING, "count": 1},
        {"target": NOTHING, "prediction": "d", "count": 1},
    ]
    assert confusions([]) == []
