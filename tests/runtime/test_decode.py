"""NumPy CTC decoding into Readings, restriction, and the text scores."""

import numpy as np
import pytest

from keras_captcha.core.vocabulary import Vocabulary
from keras_captcha.runtime import decode

from helpers import probabilities_for

VOCABULARY = Vocabulary("ab")
BLANK = VOCABULARY.blank_index
A, B = VOCABULARY.encode("ab")


def test_greedy_merges_repeats_and_drops_blanks():
    probabilities = probabilities_for([A, A, BLANK, A, B, B, BLANK, BLANK], classes=3)
    [reading] = decode.greedy_decode(probabilities, VOCABULARY)
    assert reading.text == "aab"
    assert reading.confidence == pytest.approx(0.9)
    assert [char for char, _ in reading.characters] == ["a", "a", "b"]


def test_greedy_all_blank_is_empty():
    [reading] = decode.greedy_decode(probabilities_for([BLANK] * 3, classes=3), VOCABULARY)
    assert reading.text == "" and reading.characters == ()


def test_greedy_confidence_is_the_least_sure_step_and_characters_their_own():
    probabilities = probabilities_for([A, BLANK, B], classes=3)
    probabilities[0, 1] = [0.5, 0.3, 0.2]
    probabilities[0, 2] = [0.05, 0.15, 0.8]
    [reading] = decode.greedy_decode(probabilities, VOCABULARY, threshold=0.6)
    assert (reading.text, reading.confidence) == ("ab", pytest.approx(0.5))
    assert reading.uncertain
    assert [(c, pytest.approx(p)) for c, p in reading.characters] == [("a", 0.9), ("b", 0.8)]
    assert reading.to_dict()["characters"][1] == {"char": "b", "confidence": pytest.approx(0.8)}


def test_beam_search_sums_alignments_where_greedy_does_not():
    # Best path is blank-blank (""), but "a" has more probability over its paths.
    probabilities = np.array([[[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]]])
    assert decode.greedy_decode(probabilities, VOCABULARY)[0].text == ""
    [reading] = decode.beam_search_decode(probabilities, VOCABULARY, beam_width=4)
    # P("a") = .35*.35 + .35*.4 + .4*.35 = .4025 > P("") = .16
    assert reading.text == "a" and reading.confidence == pytest.approx(0.4025)
    assert reading.characters == (("a", pytest.approx(0.35)),)


def test_beam_search_agrees_with_greedy_on_a_confident_path():
    probabilities = probabilities_for([A, BLANK, A, B, B, BLANK], classes=3, peak=0.98)
    [beam] = decode.beam_search_decode(probabilities, VOCABULARY)
    [greedy] = decode.greedy_decode(probabilities, VOCABULARY)
    assert beam.text == greedy.text == "aab"
    np.testing.assert_allclose([p for _, p in beam.characters], [p for _, p in greedy.characters])


def test_restrict_removes_characters_and_keeps_the_blank():
    probabilities = probabilities_for([A, BLANK, B], classes=3)
    restricted = decode.restrict(probabilities, VOCABULARY, "b")
    np.testing.assert_allclose(restricted.sum(-1), 1.0, rtol=1e-6)
    assert restricted[..., A].max() == 0
    assert decode.greedy_decode(restricted, VOCABULARY)[0].text == "b"
    with pytest.raises(ValueError, match="'z'"):
        decode.restrict(probabilities, VOCABULARY, "z")


def test_an_empty_reading_is_uncertain_whenever_a_threshold_is_set():
    blank = probabilities_for([VOCABULARY.blank_index] * 4, VOCABULARY.num_classes, peak=0.99)
    assert decode.greedy_decode(blank, VOCABULARY, threshold=0.5)[0].uncertain
    assert not decode.greedy_decode(blank, VOCABULARY)[0].uncertain  # no threshold: nothing is unsure
    assert decode.beam_search_decode(blank, VOCABULARY, threshold=0.5)[0].uncertain
    assert not decode.is_uncertain("ab", 0.99, 0.5) and decode.is_uncertain("ab", 0.4, 0.5)
