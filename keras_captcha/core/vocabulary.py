"""Text <-> class ids: the one place that knows where the CTC blank and each character sit.

A model's output has `num_classes` classes per time step: the CTC blank at
`blank_index` (0), then the charset's characters in order, `charset[i]`
being class `i + 1`. Every consumer (tf.data labels, the loss, decoding,
export, the runtimes, the figures) converts through a `Vocabulary`.
"""

from keras_captcha.core.errors import CaptchaError

#: Class id of the CTC blank in every model output.
BLANK_INDEX = 0
#: How the blank is named where classes are listed (figures, the model card).
BLANK_NAME = "[blank]"


class Vocabulary:
    """The output classes of a model with `charset`: the blank first, then each character."""

    blank_index = BLANK_INDEX

    def __init__(self, charset):
        if not charset:
            raise CaptchaError("the charset is empty: no labelled images were found")
        if len(set(charset)) != len(charset):
            raise CaptchaError(f"the charset {charset!r} repeats a character")
        self.charset = charset
        self._ids = {char: index for index, char in enumerate(charset, start=BLANK_INDEX + 1)}

    def __eq__(self, other):
        return isinstance(other, Vocabulary) and other.charset == self.charset

    def __hash__(self):
        return hash(self.charset)

    def __repr__(self):
        return f"Vocabulary({self.charset!r})"

    @property
    def num_classes(self):
        """Output classes: the charset plus the blank."""
        return len(self.charset) + 1

    @property
    def class_names(self):
        """Name of every class id, in id order: `BLANK_NAME`, then the characters."""
        return [BLANK_NAME, *self.charset]

    def unknown(self, text):
        """The characters of `text` outside the charset, sorted, as one string."""
        return "".join(sorted(set(text) - set(self._ids)))

    def encode(self, text):
        """Text -> list of class ids (1..len(charset)); `KeyError` for an unknown character."""
        return [self._ids[char] for char in text]

    def decode(self, ids):
        """Class ids -> text; the blank and padding (ids <= `blank_index`) are skipped."""
        return "".join(self.charset[i - BLANK_INDEX - 1] for i in ids if i > BLANK_INDEX)

    def character(self, class_id):
        """The character of one non-blank class id."""
        return self.charset[class_id - BLANK_INDEX - 1]
