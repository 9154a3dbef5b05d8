"""The run's input width: the start model's, or wider when the labels are long.

A model reads one output step per `pool_factor(1)` columns of its input.
Squeezed into 128 columns, a 13-character expression (`62×71-85+30=?`)
gets 2.5 steps a character, and CTC needs a blank between repeats. On a
held-out arithmetic style's dev split, 160 columns answered 82.5% against
76.5% at 128 (benchmarks/RESULTS.md), so a run whose longest label would get
fewer than `STEPS_PER_CHARACTER` steps widens its input; a site of short
texts keeps the width, and its speed. It widens at most `MAX_WIDENING`
times: a longer label is more likely a file name than a captcha's text, and
`CaptchaConfig.check_label` names it.
"""

import math

#: Output steps the input gives each character of the longest label, at least.
STEPS_PER_CHARACTER = 3
#: Widths are rounded up to a multiple of this many columns.
WIDTH_STEP = 16
#: The input widens to at most this many times the start's width.
MAX_WIDENING = 2


def width_for_labels(samples, width, pool_factor):
    """The input width for `(path, label)` samples: `width`, or the smallest multiple of
    `WIDTH_STEP` above it that gives the longest label `STEPS_PER_CHARACTER` steps a
    character at `pool_factor` columns a step, at most `MAX_WIDENING * width`."""
    longest = max((len(label) for _, label in samples), default=0)
    needed = longest * STEPS_PER_CHARACTER * pool_factor
    if needed <= width:
        return width
    return min(math.ceil(needed / WIDTH_STEP) * WIDTH_STEP, MAX_WIDENING * width)
