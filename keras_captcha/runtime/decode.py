"""Per-step probabilities -> `Reading`s: greedy and beam-search CTC decoding.

NumPy only: every runtime (TFLite, ONNX, Keras, the server) decodes here.
Class ids are read through the model's `Vocabulary`.
"""

import collections
import typing

import numpy as np

from keras_captcha.core.vocabulary import BLANK_INDEX


class Reading(typing.NamedTuple):
    """What a model read in one image.

    `confidence` is in [0, 1]; `uncertain` is `is_uncertain(text, confidence, threshold)`;
    `characters` holds one `(character, confidence)` pair per character of `text`; `answer`,
    for a model with an answer rule, what `text` answers (None when it has no answer).
    """

    text: str
    confidence: float
    uncertain: bool
    characters: tuple
    answer: typing.Optional[int] = None

    def to_dict(self, with_answer=False):
        """JSON-ready: `{"text", "confidence", "uncertain", "characters": [{"char", "confidence"}]}`,
        and `answer` when `with_answer` (a model with an answer rule)."""
        result = {
            "text": self.text,
            "confidence": self.confidence,
            "uncertain": self.uncertain,
            "characters": [{"char": char, "confidence": conf} for char, conf in self.characters],
        }
        if with_answer:
            result["answer"] = self.answer
        return result


def is_uncertain(text, confidence, threshold):
    """Whether a reading is unsure: less confident than `threshold`, or, with a threshold set, empty.

    A model shown a style it cannot read may answer the blank on every step,
    confidently: the shipped model reads PHP Securimage captchas as nothing,
    none of them below 0.9 (README, Serving). No captcha is empty.
    """
    return confidence < threshold or (threshold > 0 and not text)


def restrict(probabilities, vocabulary, allowed):
    """Zeroes the classes of characters not in `allowed` and renormalises.

    probabilities: (..., time_steps, num_classes); the blank is kept.
    Raises `ValueError` for allowed characters the vocabulary lacks.
    """
    check_allowed(vocabulary, allowed)
    keep = np.zeros(vocabulary.num_classes, dtype=bool)
    keep[vocabulary.blank_index] = True
    keep[vocabulary.encode(set(allowed))] = True
    # The floor keeps a step whose allowed classes all read 0 (int8 outputs) decodable.
    masked = np.where(keep, np.maximum(probabilities, 1e-12), 0.0)
    return masked / masked.sum(-1, keepdims=True)


def check_allowed(vocabulary, allowed):
    """Raises `ValueError` naming the characters of `allowed` that `vocabulary` lacks."""
    unknown = vocabulary.unknown(allowed)
    if unknown:
        raise ValueError(f"allowed characters not in the charset: {unknown!r}")


def best_path(probabilities):
    """(..., time_steps, classes) -> (argmax class per step, mask of the steps that emit it).

    A step emits its class unless it is the blank or repeats the step before.
    """
    best = np.asarray(probabilities).argmax(-1)
    previous = np.concatenate([np.full_like(best[..., :1], BLANK_INDEX), best[..., :-1]], axis=-1)
    return best, (best != BLANK_INDEX) & (best != previous)


def greedy_decode(probabilities, vocabulary, threshold=0.0):
    """Best-path CTC decoding.

    probabilities: (batch, time_steps, num_classes) float. Returns one
    `Reading` per image: the argmax path with repeats merged and blanks
    dropped; its confidence is the smallest per-step maximum probability (the
    least sure decision on the path, blanks included), each character's the
    probability of the step that emits it.
    """
    probabilities = np.asarray(probabilities)
    best, emitted = best_path(probabilities)
    best_probability = probabilities.max(-1)
    readings = []
    for ids, keep, step_probability in zip(best, emitted, best_probability):
        confidence = float(step_probability.min())
        characters = tuple(
            zip(map(vocabulary.character, ids[keep].tolist()), step_probability[keep].tolist())
        )
        text = "".join(char for char, _ in characters)
        readings.append(Reading(text, confidence, is_uncertain(text, confidence, threshold), characters))
    return readings


def beam_search_decode(probabilities, vocabulary, beam_width=10, threshold=0.0):
    """CTC prefix beam search (sums the probability of every path of a text).

    probabilities: (batch, time_steps, num_classes). Returns one `Reading`
    per image, its confidence being the probability of the best text over all
    its alignments, each character's the highest probability of a step that
    emitted it on a surviving path.
    """
    results = []
    for sequence in np.asarray(probabilities, dtype=np.float64):
        # prefix -> (probability ending in blank, probability ending in a character)
        beams = {(): (1.0, 0.0)}
        peaks = {(): ()}  # prefix -> each character's highest emitting probability
        for step in sequence:
            candidates = np.argsort(step)[::-1][: beam_width + 1]
            next_beams = collections.defaultdict(lambda: [0.0, 0.0])
            next_peaks = {}

            for prefix, (p_blank, p_char) in beams.items():
                for index in candidates:
                    p = step[index]
                    if p == 0:  # a restricted-out class
                        continue
                    if index == BLANK_INDEX:
                        next_beams[prefix][0] += (p_blank + p_char) * p
                        next_peaks.setdefault(prefix, peaks[prefix])
                    elif prefix and prefix[-1] == index:
                        next_beams[prefix][1] += p_char * p  # repeat merges
                        next_peaks[prefix] = _raise_last(next_peaks.get(prefix, peaks[prefix]), p)
                        grown = prefix + (index,)
                        next_beams[grown][1] += p_blank * p
                        next_peaks[grown] = _raise_last(next_peaks.get(grown, peaks[prefix] + (0.0,)), p)
                    else:
                        grown = prefix + (index,)
                        next_beams[grown][1] += (p_blank + p_char) * p
                        next_peaks[grown] = _raise_last(next_peaks.get(grown, peaks[prefix] + (0.0,)), p)
            ranked = sorted(next_beams.items(), key=lambda item: -sum(item[1]))
            beams = {prefix: tuple(p) for prefix, p in ranked[:beam_width]}
            peaks = {prefix: next_peaks[prefix] for prefix in beams}
        prefix, (p_blank, p_char) = max(beams.items(), key=lambda item: sum(item[1]))
        confidence = float(p_blank + p_char)
        characters = tuple((vocabulary.character(i), float(p)) for i, p in zip(prefix, peaks[prefix]))
        text = vocabulary.decode(prefix)
        results.append(Reading(text, confidence, is_uncertain(text, confidence, threshold), characters))
    return results


def _raise_last(peaks, p):
    """`peaks` with its last value raised to at least `p`."""
    return peaks[:-1] + (max(peaks[-1], float(p)),)
