"""Distributed training: the tf.distribute strategy, the chief, the folder each process writes.

* `default`: one device, no strategy.
* `mirrored`: `tf.distribute.MirroredStrategy` over every local GPU (one
  replica on CPU).
* `multiworker`: `tf.distribute.MultiWorkerMirroredStrategy`, the cluster and
  this process's task read from the `TF_CONFIG` environment variable, e.g.
  `{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}`.

Every worker runs the same callbacks and saves (saving may need collective
ops), but only the chief (task `chief`, or `worker` 0 when the cluster has no
chief) writes into the run folder; the others write into a temporary
`.workertemp_<index>` folder inside it, kept while training so a killed
worker resumes from its own backup, and removed when the run finishes.
"""

import contextlib
import json
import os
import pathlib
import typing

from keras_captcha.core.errors import CaptchaError
from keras_captcha.training import compat

STRATEGIES = ("default", "mirrored", "multiworker")
TF_CONFIG_EXAMPLE = (
    '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
    '"task": {"type": "worker", "index": 0}}'
)


class Task(typing.NamedTuple):
    """This process's place in the cluster: job type (`None` when local), index, chief or not."""

    type: typing.Optional[str]
    index: int
    is_chief: bool


LOCAL = Task(None, 0, True)


def read_task(strategy_name):
    """This process's `Task`, read from `TF_CONFIG` for `multiworker`, else `LOCAL`.

    Raises `CaptchaError` for an unknown strategy, a missing `TF_CONFIG` or
    one that does not describe a cluster of chief/worker tasks holding this task.
    """
    if strategy_name not in STRATEGIES:
        raise CaptchaError(
            f"unknown strategy {strategy_name!r}; expected one of {', '.join(STRATEGIES)}"
        )
    if strategy_name != "multiworker":
        return LOCAL
    text = os.environ.get("TF_CONFIG", "").strip()
    if not text:
        raise CaptchaError(
            "--strategy multiworker needs TF_CONFIG describing the cluster and this "
            f"worker's task, e.g. {TF_CONFIG_EXAMPLE}"
        )
    try:
        tf_config = json.loads(text)
    except ValueError as error:
        raise CaptchaError(f"TF_CONFIG is not valid JSON ({error})") from None
    cluster = tf_config.get("cluster") if isinstance(tf_config, dict) else None
    task = tf_config.get("task") if isinstance(tf_config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise CaptchaError(
            f"TF_CONFIG needs a 'cluster' and a 'task' object, e.g. {TF_CONFIG_EXAMPLE}"
        )
    for task_type, addresses in cluster.items():
        if task_type not in ("chief", "worker"):
            raise CaptchaError(
                f"TF_CONFIG: cluster job {task_type!r} is not supported by "
                "MultiWorkerMirroredStrategy (only 'chief' and 'worker')"
            )
        if (
            not isinstance(addresses, list)
            or not addresses
            or not all(isinstance(a, str) and a.rpartition(":")[2].isdigit() for a in addresses)
        ):
            raise CaptchaError(
                f"TF_CONFIG: cluster job {task_type!r} must be a non-empty list of "
                f"'host:port' strings, got {addresses!r}"
            )
    task_type, task_index = task.get("type"), task.get("index")
    if task_type not in cluster:
        raise CaptchaError(
            f"TF_CONFIG: task type {task_type!r} is not a job of the cluster ({', '.join(cluster)})"
        )
    if not isinstance(task_index, int) or not 0 <= task_index < len(cluster[task_type]):
        raise CaptchaError(
            f"TF_CONFIG: task index {task_index!r} is not in 0..{len(cluster[task_type]) - 1} "
            f"for job {task_type!r}"
        )
    if "chief" in cluster and len(cluster["chief"]) != 1:
        raise CaptchaError("TF_CONFIG: the cluster may have one chief at most")
    chief_type = "chief" if "chief" in cluster else "worker"
    return Task(task_type, task_index, task_type == chief_type and task_index == 0)


def write_dir(run_dir, task):
    """The folder this process writes: `run_dir` for the chief, a temporary folder inside it otherwise."""
    run_dir = pathlib.Path(run_dir)
    return run_dir if task.is_chief else run_dir / f".workertemp_{task.index}"


def make_strategy(strategy_name):
    """The `tf.distribute.Strategy` for `strategy_name`.

    Create it before any TensorFlow op runs: `multiworker` configures the
    collective ops of the whole process.
    """
    import tensorflow as tf

    if strategy_name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if strategy_name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def fit_context(strategy_name):
    """The context `model.fit` runs in: Keras' multi-worker fixes for `multiworker`
    (`keras_captcha.training.compat.keras_multi_worker_fit`), nothing otherwise."""
    if strategy_name == "multiworker":
        return compat.keras_multi_worker_fit()
    return contextlib.nullcontext()


def shard_by_data(dataset):
    """`dataset` set to shard by element across workers (every worker reads the file list).

    Our datasets are built from a list of paths, not from files to split, so
    `AutoShardPolicy.DATA` is the policy that fits; it is ignored outside
    `multiworker`.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)
