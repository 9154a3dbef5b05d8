"""How to train: `TrainOptions`, the schedule it resolves to, and the model a run starts from."""

import dataclasses
import math
import typing

from keras_captcha.core.assets import shipped_base
from keras_captcha.training.warm_start import INPUT_SIZE_FIELDS

#: Epochs of a run on the full 936-image set (27 steps each at batch 32).
DEFAULT_EPOCHS = 20
#: Fewest optimizer steps of a run whose epochs are not given: the full set's 20 x 27, so a small
#: labelled set trains as long as the full one instead of for 20 epochs of 2 steps.
MIN_STEPS = 540
#: `TrainOptions.init` that lets `choose_init` pick the start.
AUTO_INIT = "auto"


@dataclasses.dataclass
class TrainOptions:
    """How to train; the network sizes are in `model` (a dict of `CaptchaConfig` fields).

    Without a `width` in `model`, the input is the start model's (or the
    default's), widened for long labels (`keras_captcha.training.input_width`).

    `epochs=None` (the default) adapts the schedule to the dataset's size:
    `DEFAULT_EPOCHS`, or more epochs for a small set, so that every run takes
    at least `MIN_STEPS` optimizer steps; `patience` and `min_epochs` then
    stretch by the same factor (`resolve_schedule`). A given `epochs` is kept.

    `batch_size` is per replica: a step of `strategy` (`default`, `mirrored`
    or `multiworker`, see `keras_captcha.training.distribute`) sees `batch_size` times
    the number of replicas.

    `unlabeled` (a folder of images, any names) adds `self_training_rounds`
    rounds that train on the labelled images plus the surest pseudo-labels:
    round k of n takes the surest k/n of the unlabelled images, of those whose reading a
    small shift does not change (`pseudo_labels.stable_readings`). `init` (a
    `.keras` model) starts from a trained model's weights, its output mapped
    by character; None starts from scratch; `AUTO_INIT` (the default) lets
    `choose_init` pick. `answer` names the answer rule the model carries
    (`keras_captcha.core.answers.RULES`; every label must have an answer under it).
    """

    epochs: typing.Optional[int] = None
    batch_size: int = 32
    learning_rate: float = 6e-3
    warmup_fraction: float = 0.15
    patience: int = 10
    min_epochs: int = 10
    validation_fraction: float = 0.1
    seed: int = 0
    skip_bad: bool = False
    overwrite: bool = False
    verbose: int = 2
    strategy: str = "default"
    model: dict = dataclasses.field(default_factory=dict)
    unlabeled: typing.Optional[str] = None
    self_training_rounds: int = 3
    init: typing.Optional[str] = AUTO_INIT
    answer: typing.Optional[str] = None
    charset: typing.Optional[str] = None


def epoch_passes(options, train_images, batch_size):
    """How many times one epoch goes over a training split of `train_images` at `batch_size`.

    When the schedule adapts (`epochs` None), a split of fewer images than
    `MIN_STEPS / DEFAULT_EPOCHS` batches hold is gone over as many whole times
    as fit in them: 45 labelled images train 20 epochs of 27 steps instead of
    270 of 2. The steps are as many; each epoch's validation, backup and log
    are paid a thirteenth as often (benchmarks/RESULTS.md). A given `epochs`
    keeps 1 pass.
    """
    if options.epochs is not None:
        return 1
    return max(1, (MIN_STEPS // DEFAULT_EPOCHS) * batch_size // train_images)


def resolve_schedule(options, steps_per_epoch):
    """`options` with `epochs` set (see `TrainOptions`), and `patience` and `min_epochs`
    stretched by the factor the epochs grew by over `DEFAULT_EPOCHS`."""
    if options.epochs is not None:
        return options
    epochs = max(DEFAULT_EPOCHS, math.ceil(MIN_STEPS / steps_per_epoch))
    stretch = epochs / DEFAULT_EPOCHS
    return dataclasses.replace(
        options,
        epochs=epochs,
        patience=math.ceil(options.patience * stretch),
        min_epochs=math.ceil(options.min_epochs * stretch),
    )


def choose_init(options):
    """The model a run starts from: `options.init`, or for `AUTO_INIT` the shipped
    pretrained base when the network is the default one (of any width), else
    None (scratch).

    Whatever the set's size: from the base, 50 to 400 labels read far better
    than from scratch, every label of a hard style better (rkn_securimage),
    and the full captcha_images_v2 set as well and as fast (benchmarks/RESULTS.md).
    """
    if options.init != AUTO_INIT:
        return options.init or None
    base = shipped_base()
    network = set(options.model) - set(INPUT_SIZE_FIELDS)  # the base's weights fit any input size
    return str(base) if base and not network else None
