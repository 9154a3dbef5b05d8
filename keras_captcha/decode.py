"""Per-step probabilities -> text, and the scores that compare texts.

NumPy only: the TensorFlow-free runtime (`keras_captcha.lite`) uses it too.
"""

import collections
import math

import numpy as np

from keras_captcha.config import BLANK_INDEX


def restrict(probabilities, charset, allowed):
    """Zeroes the classes of characters not in `allowed` and renormalises.

    probabilities: (..., time_steps, len(charset) + 1); the blank is kept.
    """
    unknown = sorted(set(allowed) - set(charset))
    if unknown:
        raise ValueError(f"allowed characters not in the charset: {''.join(unknown)!r}")
    keep = np.zeros(len(charset) + 1, dtype=bool)
    keep[BLANK_INDEX] = True
    keep[[charset.index(char) + 1 for char in set(allowed)]] = True
    # The floor keeps a step whose allowed classes all read 0 (int8 outputs) decodable.
    masked = np.where(keep, np.maximum(probabilities, 1e-12), 0.0)
    return masked / masked.sum(-1, keepdims=True)


def best_path(probabilities):
    """(..., time_steps, classes) -> (argmax class per step, mask of the steps that emit it).

    A step emits its class unless it is the blank or repeats the step before.
    """
    best = np.asarray(probabilities).argmax(-1)
    previous = np.concatenate([np.full_like(best[..., :1], BLANK_INDEX), best[..., :-1]], axis=-1)
    return best, (best != BLANK_INDEX) & (best != previous)


def greedy_decode(probabilities, charset):
    """Best-path CTC decoding.

    probabilities: (batch, time_steps, len(charset) + 1) float. Returns one
    `(text, confidence)` per image: the argmax path with repeats merged and
    blanks dropped, and the smallest per-step maximum probability (the least
    sure decision on the path, blanks included), in [0, 1].
    """
    probabilities = np.asarray(probabilities)
    best, emitted = best_path(probabilities)
    best_probability = probabilities.max(-1)
    return [
        ("".join(charset[i - 1] for i in ids[keep]), float(step_probability.min()))
        for ids, keep, step_probability in zip(best, emitted, best_probability)
    ]


def beam_search_decode(probabilities, charset, beam_width=10):
    """CTC prefix beam search (sums the probability of every path of a text).

    probabilities: (batch, time_steps, len(charset) + 1). Returns one
    `(text, confidence)` per image, the confidence being the probability of
    the best text over all its alignments.
    """
    results = []
    for sequence in np.asarray(probabilities, dtype=np.float64):
        # prefix -> (probability ending in blank, probability ending in a character)
        beams = {(): (1.0, 0.0)}
        for step in sequence:
            candidates = np.argsort(step)[::-1][: beam_width + 1]
            next_beams = collections.defaultdict(lambda: [0.0, 0.0])
            for prefix, (p_blank, p_char) in beams.items():
                for index in candidates:
                    p = step[index]
                    if p == 0:  # a restricted-out class
                        continue
                    if index == BLANK_INDEX:
                        next_beams[prefix][0] += (p_blank + p_char) * p
                    elif prefix and prefix[-1] == index:
                        next_beams[prefix][1] += p_char * p  # repeat merges
                        next_beams[prefix + (index,)][1] += p_blank * p
                    else:
                        next_beams[prefix + (index,)][1] += (p_blank + p_char) * p
            ranked = sorted(next_beams.items(), key=lambda item: -sum(item[1]))
            beams = {prefix: tuple(p) for prefix, p in ranked[:beam_width]}
        prefix, (p_blank, p_char) = max(beams.items(), key=lambda item: sum(item[1]))
        results.append(("".join(charset[i - 1] for i in prefix), float(p_blank + p_char)))
    return results


def edit_distance(source, target):
    """Levenshtein distance between two strings."""
    row = list(range(len(target) + 1))
    for i, source_char in enumerate(source, start=1):
        diagonal, row[0] = row[0], i
        for j, target_char in enumerate(target, start=1):
            diagonal, row[j] = row[j], min(
                row[j] + 1, row[j - 1] + 1, diagonal + (source_char != target_char)
            )
    return row[-1]


def score(targets, predictions):
    """Exact-match accuracy and character error rate of predicted texts.

    CER is the summed edit distance over the summed target length.
    """
    if not targets:
        return math.nan, math.nan
    exact = sum(t == p for t, p in zip(targets, predictions))
    edits = sum(edit_distance(p, t) for t, p in zip(targets, predictions))
    characters = max(sum(len(t) for t in targets), 1)
    return exact / len(targets), edits / characters
