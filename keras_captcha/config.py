"""The one place that defines every fact a model's consumers need.

A `CaptchaConfig` travels inside every saved model (the `.keras` file, the
SavedModel and the TFLite model card), so nobody re-passes a charset, an input
size or a blank index at predict time.
"""

import dataclasses
import math

from keras_captcha.errors import CaptchaError

#: Index of the CTC blank in every model output; characters are 1..len(charset).
BLANK_INDEX = 0


@dataclasses.dataclass(frozen=True)
class CaptchaConfig:
    """Charset, input size and network sizes of one captcha model.

    Images are read as grayscale, scaled to float32 in [0, 1] (transparent
    pixels composited over white) and resized to `height` x `width` with
    antialiased bilinear interpolation.
    The network sees `(batch, height, width, 1)` and emits
    `(batch, time_steps, len(charset) + 1)` per-step probabilities, class
    `BLANK_INDEX` being the CTC blank.
    """

    charset: str
    height: int = 32
    width: int = 128
    conv_filters: tuple = (16, 32, 32)
    conv_pools: tuple = ((2, 2), (2, 2), (2, 1))
    projection_units: int = 64
    dropout: float = 0.2
    rnn_units: int = 40
    rnn_layers: int = 1
    augment_shift: float = 0.05

    def __post_init__(self):
        # JSON round trips turn tuples into lists; keep the frozen value hashable.
        object.__setattr__(self, "conv_filters", tuple(self.conv_filters))
        object.__setattr__(
            self, "conv_pools", tuple(tuple(pool) for pool in self.conv_pools)
        )
        if not self.charset:
            raise CaptchaError("the charset is empty: no labelled images were found")
        if len(set(self.charset)) != len(self.charset):
            raise CaptchaError(f"the charset {self.charset!r} repeats a character")
        if len(self.conv_filters) != len(self.conv_pools):
            raise CaptchaError("conv_filters and conv_pools must have the same length")
        if self.height < self.pool_factor(0) or self.width < self.pool_factor(1):
            raise CaptchaError(
                f"the input size {self.height}x{self.width} is smaller than the "
                f"pooling factors {self.pool_factor(0)}x{self.pool_factor(1)}"
            )

    def pool_factor(self, axis):
        """Total downsampling of the conv blocks along axis 0 (height) or 1 (width)."""
        return math.prod(pool[axis] for pool in self.conv_pools)

    @property
    def blank_index(self):
        return BLANK_INDEX

    @property
    def num_classes(self):
        """Output classes: the charset plus the CTC blank."""
        return len(self.charset) + 1

    @property
    def time_steps(self):
        """Length of the output sequence: one step per column left after pooling (floored)."""
        return self.width // self.pool_factor(1)

    @property
    def max_label_length(self):
        """Longest label the time axis can always emit.

        CTC needs a blank between repeated characters, so a label of n
        characters needs up to 2 * n + 1 steps.
        """
        return (self.time_steps - 1) // 2

    def check_characters(self, label, source):
        """Raises `CaptchaError` naming `source` if `label` uses characters outside the charset."""
        unknown = sorted(set(label) - set(self.charset))
        if unknown:
            raise CaptchaError(
                f"{source}: label {label!r} has characters the model's charset "
                f"does not have: {''.join(unknown)!r}"
            )

    def check_label(self, label, source):
        """Raises `CaptchaError` naming `source` if `label` cannot be learned."""
        self.check_characters(label, source)
        if len(label) > self.max_label_length:
            raise CaptchaError(
                f"{source}: label {label!r} has {len(label)} characters; the model's "
                f"{self.time_steps} time steps read at most {self.max_label_length}"
            )
        if not label:
            raise CaptchaError(f"{source}: the label is empty")

    def encode(self, label):
        """Label text -> list of class ids in 1..len(charset)."""
        return [self.charset.index(char) + 1 for char in label]

    def to_dict(self):
        return {
            **dataclasses.asdict(self),
            "conv_filters": list(self.conv_filters),
            "conv_pools": [list(pool) for pool in self.conv_pools],
            "blank_index": self.blank_index,
            "time_steps": self.time_steps,
            "normalisation": "grayscale, float32 in [0, 1], alpha over white, "
            "antialiased bilinear resize (tf.image.resize, antialias=True)",
        }

    @classmethod
    def from_dict(cls, values):
        """Builds a config from `to_dict()` output, ignoring the derived keys."""
        fields = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in fields})

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)
