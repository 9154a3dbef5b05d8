"""The Keras callbacks of a run: the best checkpoint, early stopping, the CSV log, resume, TensorBoard."""

import importlib.util

import keras

from keras_captcha.core import run_files
from keras_captcha.training.run_folder import best_logged

#: The metric that picks the best epoch and stops training.
MONITOR = "val_loss"
#: A validation split of fewer images does not pick the epoch: its loss is a few images'
#: noise (50 labels give 5), so the run keeps its last epoch, when the schedule has
#: decayed the learning rate, and does not stop early (benchmarks/RESULTS.md).
MIN_IMAGES_TO_PICK_EPOCH = 50


def build_callbacks(run_dir, options, validation_images):
    """The callbacks of a run: checkpoint and early stop (with at least
    `MIN_IMAGES_TO_PICK_EPOCH` `validation_images`), CSV log, resume, TensorBoard logs.

    The CSV row of an epoch is written before its backup, so a kill between
    the two leaves a row that `prepare_run` drops on resume.
    """
    callbacks = []
    if validation_images >= MIN_IMAGES_TO_PICK_EPOCH:
        callbacks += [
            keras.callbacks.ModelCheckpoint(
                run_dir / run_files.BEST_WEIGHTS,
                monitor=MONITOR,
                mode="min",
                save_best_only=True,
                save_weights_only=True,
                initial_value_threshold=best_logged(run_dir / run_files.HISTORY_CSV, MONITOR),
            ),
            keras.callbacks.EarlyStopping(
                monitor=MONITOR,
                mode="min",
                patience=options.patience,
                start_from_epoch=options.min_epochs,
            ),
        ]
    callbacks += [
        keras.callbacks.CSVLogger(run_dir / run_files.HISTORY_CSV, append=True),
        # double_checkpoint: a kill while the weights are written falls back to the previous epoch
        keras.callbacks.BackupAndRestore(run_dir / run_files.BACKUP_DIR, double_checkpoint=True),
    ]
    if importlib.util.find_spec("tensorboard"):  # TensorFlow 2.21 no longer ships it
        callbacks.append(
            keras.callbacks.TensorBoard(run_dir / run_files.LOGS_DIR, write_graph=False, profile_batch=0)
        )
    return callbacks
