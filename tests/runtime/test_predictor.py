"""The predictor interface: preprocessing, batching, decoding options and evaluation, whatever runs the model."""

import numpy as np
import pytest

from keras_captcha.core.answers import RULES
from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.decode import Reading
from keras_captcha.runtime.evaluation import evaluate, score_results
from keras_captcha.runtime.predictor import Predictor

from helpers import draw_captcha, probabilities_for, write_captchas

CONFIG = CaptchaConfig(charset="ab", height=8, width=16, conv_pools=((2, 2),), conv_filters=(2,))


class FixedPredictor(Predictor):
    """Reads "ab" (path a, a, blank, b) from every image; records its batch sizes."""

    batch_size = 3

    def __init__(self, **options):
        super().__init__(CONFIG, **options)
        self.batches = []

    def probabilities(self, images):
        assert images.shape[1:] == (CONFIG.height, CONFIG.width, 1)
        self.batches.append(len(images))
        a, b = self.vocabulary.encode("ab")
        path = probabilities_for([a, a, self.vocabulary.blank_index, b], CONFIG.num_classes)
        return np.repeat(path, len(images), axis=0)


def test_predict_reads_one_source_or_a_list_in_batches(tmp_path):
    predictor = FixedPredictor()
    dark = draw_captcha("ab", size=(16, 8), mode="L")
    reading = predictor.predict(dark)
    assert isinstance(reading, Reading) and reading.text == "ab"
    readings = predictor.predict([dark] * 7)
    assert [r.text for r in readings] == ["ab"] * 7
    assert predictor.batches == [1, 3, 3, 1]
    assert predictor.predict([]) == []


def test_options_restrict_and_flag_uncertain_readings():
    dark = draw_captcha("ab", size=(16, 8), mode="L")
    assert FixedPredictor(allowed="b").predict(dark).text == "b"
    assert FixedPredictor().predict(dark, allowed="b").text == "b"
    assert FixedPredictor(threshold=0.95).predict(dark).uncertain
    assert FixedPredictor(beam_width=4).predict(dark).text == "ab"
    with pytest.raises(CaptchaError, match="'z'"):
        FixedPredictor(allowed="z")
    with pytest.raises(CaptchaError, match="'z'"):
        FixedPredictor().predict(dark, allowed="za")


def test_evaluate_scores_and_lists_mismatches(tmp_path):
    paths = write_captchas(tmp_path, ["ab", "ba"], size=(16, 8))
    samples = [(str(path), path.stem) for path in paths]
    report = evaluate(FixedPredictor(), samples)
    assert report["n"] == 2 and report["accuracy"] == 0.5
    [mismatch] = report["mismatches"]
    assert mismatch["target"] == "ba" and mismatch["prediction"] == "ab"
    assert report["unknown_characters"] == {"characters": "", "paths": []}
    assert score_results(samples, FixedPredictor().predict([p for p, _ in samples])) == {
        key: value for key, value in report.items() if key != "unknown_characters"}
    lacking = evaluate(FixedPredictor(), [*samples, (str(paths[0]), "zza")])  # never readable: a miss, named
    assert lacking["n"] == 3 and lacking["accuracy"] == pytest.approx(1 / 3)
    assert lacking["unknown_characters"] == {"characters": "z", "paths": [str(paths[0])]}


ARITHMETIC = CaptchaConfig(charset="0123456789+x=?", height=8, width=16, conv_pools=((2, 2),), conv_filters=(2,),
                           answer=RULES["arithmetic"])


class ExpressionPredictor(Predictor):
    """Reads "2+3" from every image."""

    def __init__(self):
        super().__init__(ARITHMETIC)

    def probabilities(self, images):
        ids = self.vocabulary.encode("2+3")
        path = probabilities_for([ids[0], 0, ids[1], 0, ids[2]], ARITHMETIC.num_classes)
        return np.repeat(path, len(images), axis=0)


def test_a_model_with_an_answer_rule_answers_and_evaluate_scores_the_answers(tmp_path):
    paths = write_captchas(tmp_path, ["a", "b"])
    reading = ExpressionPredictor().predict(draw_captcha("x"))
    assert reading.text == "2+3" and reading.answer == 5 and reading.to_dict(with_answer=True)["answer"] == 5
    assert "answer" not in reading.to_dict() and FixedPredictor().predict(draw_captcha("x")).answer is None
    report = evaluate(ExpressionPredictor(), [(str(paths[0]), "2+3"), (str(paths[1]), "1x5=?")])
    assert report["accuracy"] == 0.5 and report["answer_accuracy"] == 1.0
    assert "answer_accuracy" not in evaluate(FixedPredictor(), [(str(paths[0]), "ab")])
