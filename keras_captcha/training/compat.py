"""Patches for other libraries' gaps, each scoped to one `with` block and guarded by version.

* `keras_multi_worker_fit()`: Keras' `fit()` under MultiWorkerMirroredStrategy
  (keras-team/keras#20585, keras-team/keras#20329).
* `shared_flatbuffer_tables()`: flatbuffers' object API writes every table
  and vector anew; `keras_captcha.export.flatbuffer.compact` needs identical ones
  written once (flatbuffers allow shared sub-objects; no upstream option).

Each patch checks the library version it was written against and raises
`CaptchaError` on another, so an upgrade fails loudly instead of silently.
"""

import contextlib
import importlib.metadata

from keras_captcha.core.errors import CaptchaError

#: library -> major versions whose private code the patches were checked against
CHECKED_VERSIONS = {"keras": (3,), "flatbuffers": (23, 24, 25)}


def _require_checked(library):
    version = importlib.metadata.version(library)
    if int(version.split(".")[0]) not in CHECKED_VERSIONS[library]:
        raise CaptchaError(
            f"keras_captcha.training.compat: the {library} patch was written for {library} "
            f"{'/'.join(map(str, CHECKED_VERSIONS[library]))}.x; {library} {version} is installed"
        )


@contextlib.contextmanager
def keras_multi_worker_fit():
    """Within the block, Keras' `fit()` works under `MultiWorkerMirroredStrategy`.

    Keras 3 (keras-team/keras#20585, #20329) averages each step's scalar logs
    across workers with `strategy.reduce("MEAN", value, axis=0)`, which has no
    axis 0, and reduces a whole dict batch at once to build the model
    symbolically, which `reduce` cannot. In the block the logs are averaged
    with `axis=None` and the model is built from the first replica's batch;
    other strategies keep Keras' code paths. Restored on exit.
    """
    _require_checked("keras")
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer as tf_trainer

    reduce_per_replica = tf_trainer.reduce_per_replica
    maybe_symbolic_build = tf_trainer.TensorFlowTrainer._maybe_symbolic_build

    def reduce_logs(values, strategy, reduction="auto"):
        if reduction in ("auto", "mean") and tf_trainer._collective_all_reduce_multi_worker(strategy):
            return tree.map_structure(lambda value: strategy.reduce("MEAN", value, axis=None), values)
        return reduce_per_replica(values, strategy, reduction=reduction)

    def build_from_first_replica(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if iterator is not None and tf_trainer._collective_all_reduce_multi_worker(strategy):
            for _, _, batches in iterator:
                data_batch = tree.map_structure(
                    lambda value: strategy.experimental_local_results(value)[0], next(batches)
                )
                break
            iterator = None
        return maybe_symbolic_build(self, iterator=iterator, data_batch=data_batch)

    tf_trainer.reduce_per_replica = reduce_logs
    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = build_from_first_replica
    try:
        yield
    finally:
        tf_trainer.reduce_per_replica = reduce_per_replica
        tf_trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build


@contextlib.contextmanager
def shared_flatbuffer_tables(table_classes):
    """Within the block, packing writes identical tables and small vectors once.

    `table_classes` are generated object-API classes (`...T`) whose `Pack`
    is memoised by content; `flatbuffers.Builder.CreateNumpyVector` shares
    identical vectors except large uint8 ones (weights). Restored on exit.
    """
    _require_checked("flatbuffers")
    import flatbuffers
    import numpy as np

    cache = {}
    create_vector = flatbuffers.Builder.CreateNumpyVector

    def shared_vector(builder, values):
        values = np.asarray(values)
        if values.dtype == np.uint8 and values.size > 64:  # weights: never merged
            return create_vector(builder, values)
        key = ("vector", values.dtype.str, values.shape, values.tobytes())
        if key not in cache:
            cache[key] = create_vector(builder, values)
        return cache[key]

    originals = {cls: cls.Pack for cls in table_classes}
    try:
        flatbuffers.Builder.CreateNumpyVector = shared_vector
        for cls in table_classes:
            cls.Pack = _memoised(cls, originals[cls], cache)
        yield
    finally:
        flatbuffers.Builder.CreateNumpyVector = create_vector
        for cls, pack in originals.items():
            cls.Pack = pack


def _memoised(cls, pack, cache):
    """`cls.Pack` that writes an identical table once and reuses its offset."""
    import numpy as np

    def pack_once(self, builder):
        fields = tuple(
            (name, value.tobytes() if isinstance(value, np.ndarray)
             else tuple(value) if isinstance(value, list) else value)
            for name, value in sorted(vars(self).items())
        )
        try:
            key = (cls.__name__, fields)
            hash(key)
        except TypeError:  # a nested table: write it as it is
            return pack(self, builder)
        if key not in cache:
            cache[key] = pack(self, builder)
        return cache[key]

    return pack_once
