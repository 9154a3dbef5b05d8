"""The facts every consumer of a model needs, defined once and saved with the model.

A `CaptchaConfig` travels inside every saved model (the `.keras` file, the
SavedModel and the model card beside the TFLite and ONNX files), so nobody
re-passes a charset, an input size or a normalisation at predict time. Its
`to_dict()` is the model card's `config` entry, read back by `from_dict`.
"""

import dataclasses
import math
import typing

from keras_captcha.core.answers import RULES
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.vocabulary import Vocabulary

#: The resize methods a consumer must implement; "bilinear" with antialiasing is
#: TensorFlow's ScaleAndTranslate triangle kernel (see keras_captcha.preprocess).
RESIZE_METHODS = ("bilinear",)


@dataclasses.dataclass(frozen=True)
class Normalisation:
    """How an image file becomes the model's input, as data NumPy, tf.data and other clients follow.

    1. Decode the file (PNG, JPEG, GIF first frame, BMP, WebP) to 8-bit channels, scale to [0, 1].
    2. Gray = the colour channels weighted by `gray_weights` (gray images: their one channel).
    3. Composite over `background` with the alpha channel: gray * alpha + background * (1 - alpha).
    4. Resize to the config's height x width with `resize` (antialiased when `antialias`).
    5. Clip to `value_range`; the model takes float32 `(batch, height, width, 1)` (NHWC).
    """

    gray_weights: tuple = (0.2989, 0.587, 0.114)
    background: float = 1.0
    resize: str = "bilinear"
    antialias: bool = True
    value_range: tuple = (0.0, 1.0)

    def __post_init__(self):
        object.__setattr__(self, "gray_weights", tuple(float(w) for w in self.gray_weights))
        object.__setattr__(self, "value_range", tuple(float(v) for v in self.value_range))
        if len(self.gray_weights) != 3:
            raise CaptchaError(f"gray_weights needs 3 values (R, G, B), got {self.gray_weights}")
        if self.resize not in RESIZE_METHODS:
            raise CaptchaError(f"resize {self.resize!r} is not one of {', '.join(RESIZE_METHODS)}")
        if len(self.value_range) != 2 or not self.value_range[0] < self.value_range[1]:
            raise CaptchaError(f"value_range must be (low, high), got {self.value_range}")


@dataclasses.dataclass(frozen=True)
class CaptchaConfig:
    """Charset, input size and normalisation, network sizes, and the answer rule of one captcha model.

    `answer` is None, or a rule of `keras_captcha.core.answers.RULES` (its data):
    what a reading answers (`14+18=?` -> 32).

    The network sees `(batch, height, width, 1)` float32 images made as
    `normalisation` says and emits `(batch, time_steps, num_classes)`
    per-step probabilities, classes as `vocabulary` numbers them.
    """

    charset: str
    height: int = 32
    width: int = 128
    normalisation: Normalisation = Normalisation()
    conv_filters: tuple = (16, 32, 32)
    conv_pools: tuple = ((2, 2), (2, 2), (2, 1))
    projection_units: int = 64
    dropout: float = 0.2
    rnn_units: int = 40
    rnn_layers: int = 1
    augment_shift: float = 0.05
    answer: typing.Optional[dict] = None

    def __post_init__(self):
        # JSON round trips turn tuples into lists and dataclasses into dicts.
        if isinstance(self.normalisation, dict):
            object.__setattr__(self, "normalisation", _from_fields(Normalisation, self.normalisation, "normalisation"))
        object.__setattr__(self, "conv_filters", tuple(self.conv_filters))
        object.__setattr__(self, "conv_pools", tuple(tuple(pool) for pool in self.conv_pools))
        object.__setattr__(self, "vocabulary", Vocabulary(self.charset))
        if self.answer is not None and (not isinstance(self.answer, dict) or self.answer.get("name") not in RULES):
            raise CaptchaError(f"answer must be one of the rules {', '.join(RULES)} (as data), got {self.answer!r}")
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
    def num_classes(self):
        """Output classes per time step: the charset plus the CTC blank."""
        return self.vocabulary.num_classes

    @property
    def time_steps(self):
        """Length of the output sequence: one step per column left after pooling (floored)."""
        return self.width // self.pool_factor(1)

    @property
    def feature_rows(self):
        """Rows of the conv stack's output, which the projection reads as one vector a step (floored)."""
        return self.height // self.pool_factor(0)

    @property
    def max_label_length(self):
        """Longest label the time axis can always emit.

        CTC needs a blank between repeated characters, so a label of n
        characters needs up to 2 * n + 1 steps.
        """
        return (self.time_steps - 1) // 2

    def check_characters(self, label, source):
        """Raises `CaptchaError` naming `source` if `label` uses characters outside the charset."""
        unknown = self.vocabulary.unknown(label)
        if unknown:
            raise CaptchaError(
                f"{source}: label {label!r} has characters the model's charset "
                f"does not have: {unknown!r}"
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

    def to_dict(self):
        """The fields as JSON-ready data (the model card's `config`)."""
        return json_ready(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, values, source="config"):
        """Builds a config from `to_dict()` output; `CaptchaError` naming `source` for bad fields.

        Models saved before the normalisation became data (version 1) stored
        derived keys and a prose normalisation, which stand for the defaults.
        """
        if isinstance(values, dict) and isinstance(values.get("normalisation"), str):
            values = {key: value for key, value in values.items() if key not in _VERSION_1_KEYS}
        return _from_fields(cls, values, source)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


_VERSION_1_KEYS = ("blank_index", "time_steps", "normalisation")


def json_ready(value):
    """Tuples -> lists, recursively, so a dict compares equal to its JSON round trip."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    return value


def _from_fields(cls, values, source):
    if not isinstance(values, dict):
        raise CaptchaError(f"{source}: expected an object of {cls.__name__} fields, got {values!r}")
    names = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise CaptchaError(f"{source}: unknown {cls.__name__} fields {unknown}")
    try:
        return cls(**values)
    except TypeError as error:
        raise CaptchaError(f"{source}: not a {cls.__name__} ({error})") from None
