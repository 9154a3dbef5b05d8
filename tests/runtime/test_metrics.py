"""Comparing texts: one Levenshtein table for the distance, the alignment and the scores."""

import pytest

from keras_captcha.runtime.metrics import NOTHING, align, edit_distance, edit_table, score


def test_score_counts_exact_matches_and_edits():
    accuracy, cer = score(["abcd", "ab"], ["abcd", "b"])
    assert accuracy == 0.5
    assert cer == pytest.approx(1 / 6)
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("same", "same") == 0
    assert edit_table("ab", "b").tolist() == [[0, 1], [1, 1], [2, 1]]


def test_align_pairs_positions_or_edit_operations():
    assert align("abc", "abd") == [("a", "a"), ("b", "b"), ("c", "d")]
    assert align("abcd", "abd") == [("a", "a"), ("b", "b"), ("c", NOTHING), ("d", "d")]
    assert align("ab", "abx") == [("a", "a"), ("b", "b"), (NOTHING, "x")]
    assert align("abc", "") == [(char, NOTHING) for char in "abc"]
    pairs = align("ab", "xyz")  # two substitutions and one extra, never 2 missed + 3 extra
    assert len(pairs) == 3 and sum(target == NOTHING for target, _ in pairs) == 1
    assert [target for target, _ in pairs if target != NOTHING] == ["a", "b"]
    assert [predicted for _, predicted in pairs] == list("xyz")
