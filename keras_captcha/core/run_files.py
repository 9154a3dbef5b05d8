"""The names of the files a training run writes into its folder, defined once.

Training writes them, export reads the split beside a model, the figures
read the history, benchmarks read the summary.
"""

#: The inference model (a `CaptchaRecognizer`), written when the run finishes.
MODEL = "model.keras"
#: The split, as `path,label` manifests.
TRAIN_CSV = "train.csv"
VALIDATION_CSV = "validation.csv"
#: A self-training round's pseudo-labelled images, as a manifest.
PSEUDO_LABELS_CSV = "pseudo_labels.csv"
#: The model's config and the training options.
CONFIG_JSON = "config.json"
#: One row per epoch (Keras' `CSVLogger`).
HISTORY_CSV = "history.csv"
#: The result: accuracy, CER, epochs, seconds, sample counts.
SUMMARY_JSON = "summary.json"
#: The best epoch's weights (`ModelCheckpoint`).
BEST_WEIGHTS = "best.weights.h5"
#: What lets a killed run resume (`BackupAndRestore`).
BACKUP_DIR = "backup"
#: TensorBoard logs.
LOGS_DIR = "logs"
#: The rounds before the last of a self-training run.
SELF_TRAINING_DIR = "self_training"
#: The figures a run draws when matplotlib is installed.
CURVES_PNG = "training_curves.png"
PREDICTIONS_PNG = "validation_predictions.png"
