import numpy as np
import pytest

from keras_captcha import decode

CHARSET = "ab"  # class 0 is the blank, 1 is "a", 2 is "b"


def test_greedy_merges_repeats_and_drops_blanks(probabilities_for):
    probabilities = probabilities_for([1, 1, 0, 1, 2, 2, 0, 0], classes=3)
    [(text, confidence)] = decode.greedy_decode(probabilities, CHARSET)
    assert text == "aab"
    assert confidence == pytest.approx(0.9)


def test_greedy_all_blank_is_empty(probabilities_for):
    [(text, _)] = decode.greedy_decode(probabilities_for([0, 0, 0], classes=3), CHARSET)
    assert text == ""


def test_greedy_confidence_is_the_least_sure_step(probabilities_for):
    probabilities = probabilities_for([1, 0, 2], classes=3)
    probabilities[0, 1] = [0.5, 0.3, 0.2]
    [(text, confidence)] = decode.greedy_decode(probabilities, CHARSET)
    assert (text, confidence) == ("ab", pytest.approx(0.5))


def test_beam_search_sums_alignments_where_greedy_does_not():
    # Best path is blank-blank (""), but "a" has more probability over its paths.
    probabilities = np.array([[[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]]])
    assert decode.greedy_decode(probabilities, CHARSET)[0][0] == ""
    [(text, confidence)] = decode.beam_search_decode(probabilities, CHARSET, beam_width=4)
    # P("a") = .35*.35 + .35*.4 + .4*.35 = .4025 > P("") = .16
    assert text == "a" and confidence == pytest.approx(0.4025)


def test_beam_search_agrees_with_greedy_on_a_confident_path(probabilities_for):
    probabilities = probabilities_for([1, 0, 1, 2, 2, 0], classes=3, peak=0.98)
    assert decode.beam_search_decode(probabilities, CHARSET)[0][0] == "aab"


def test_restrict_removes_characters_and_keeps_the_blank(probabilities_for):
    probabilities = probabilities_for([1, 0, 2], classes=3)
    restricted = decode.restrict(probabilities, CHARSET, "b")
    np.testing.assert_allclose(restricted.sum(-1), 1.0, rtol=1e-6)
    assert restricted[..., 1].max() == 0
    assert decode.greedy_decode(restricted, CHARSET)[0][0] == "b"
    with pytest.raises(ValueError, match="'z'"):
        decode.restrict(probabilities, CHARSET, "z")


def test_score_counts_exact_matches_and_edits():
    accuracy, cer = decode.score(["abcd", "ab"], ["abcd", "b"])
    assert accuracy == 0.5
    assert cer == pytest.approx(1 / 6)
    assert decode.edit_distance("kitten", "sitting") == 3
