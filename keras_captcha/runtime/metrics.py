"""Comparing texts: edit distance, alignment, exact-match accuracy and character error rate.

One Levenshtein table (`edit_table`) serves the distance (CER) and the
alignment the confusion figures count.
"""

import math

import numpy as np

#: Stands for "no character" in an alignment: a missed or an extra character.
NOTHING = "∅"


def edit_table(source, target):
    """(len(source) + 1, len(target) + 1) int array: cell [i, j] is the Levenshtein
    distance between `source[:i]` and `target[:j]`."""
    cost = np.zeros((len(source) + 1, len(target) + 1), dtype=int)
    cost[:, 0], cost[0, :] = range(len(source) + 1), range(len(target) + 1)
    for i in range(1, len(source) + 1):
        for j in range(1, len(target) + 1):
            substitution = cost[i - 1, j - 1] + (source[i - 1] != target[j - 1])
            cost[i, j] = min(substitution, cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    return cost


def edit_distance(source, target):
    """Levenshtein distance between two strings."""
    if source == target:
        return 0
    return int(edit_table(source, target)[-1, -1])


def align(target, prediction):
    """Pairs up the characters of `target` and `prediction` to count confusions.

    Same length: position by position. Otherwise along a minimal edit path
    of `edit_table` (substitutions preferred over a deletion plus an
    insertion), a missed target character being paired with `NOTHING` and
    an extra predicted character with `NOTHING` on the target side. Returns
    a list of `(target_char, predicted_char)` pairs.
    """
    if len(target) == len(prediction):
        return list(zip(target, prediction))
    cost = edit_table(target, prediction)
    pairs, i, j = [], len(target), len(prediction)
    while i or j:
        if i and j and cost[i, j] == cost[i - 1, j - 1] + (target[i - 1] != prediction[j - 1]):
            pairs.append((target[i - 1], prediction[j - 1]))
            i, j = i - 1, j - 1
        elif i and cost[i, j] == cost[i - 1, j] + 1:
            pairs.append((target[i - 1], NOTHING))
            i -= 1
        else:
            pairs.append((NOTHING, prediction[j - 1]))
            j -= 1
    return pairs[::-1]


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
