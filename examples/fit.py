"""Train a captcha reader with plain Keras `model.fit`, from the library's public pieces.

    python examples/fit.py --data ../shared/data/captcha_images_v2 --out runs/fit
    keras-captcha export runs/fit/model.keras --out exported-fit

`keras-captcha train` does the same with a learning-rate schedule, resume and
self-training; this script is the story to start from when you write your own.
"""

import argparse
import pathlib
import statistics

import keras

import keras_captcha

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", required=True, help="images named by their label, or a folder with labels.csv")
parser.add_argument("--out", default="runs/fit", help="folder for model.keras and the split")
parser.add_argument("--epochs", type=int, default=30)
args = parser.parse_args()
out = pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)

# 1. Data: checked (path, label) pairs, a seeded split, and tf.data batches of {"image", "labels"}.
samples = keras_captcha.list_samples(args.data)
train_samples, validation_samples = keras_captcha.split_samples(samples, validation_fraction=0.1, seed=0)
config = keras_captcha.CaptchaConfig(charset=keras_captcha.derive_charset(label for _, label in samples))
train_batches = keras_captcha.make_dataset(train_samples, config, batch_size=32, shuffle=True)
validation_batches = keras_captcha.make_dataset(validation_samples, config, batch_size=64)

# 2. Model: the recognizer (image -> per-step probabilities), started at CTC's blank prior,
#    wrapped in a training model whose CTC loss layer adds the loss, accuracy and CER.
recognizer = keras_captcha.CaptchaRecognizer(config, name="captcha_recognizer")
keras_captcha.set_blank_prior(recognizer, statistics.mean(len(label) for _, label in train_samples))
trainer = keras_captcha.build_training_model(recognizer)
trainer.compile(optimizer=keras.optimizers.Adam(3e-3))

# 3. Training: plain fit with Keras callbacks; the loss is the model's own, so no targets are passed.
trainer.fit(
    train_batches,
    validation_data=validation_batches,
    epochs=args.epochs,
    callbacks=[
        keras.callbacks.EarlyStopping("val_loss", patience=8, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau("val_loss", factor=0.5, patience=3),
        keras.callbacks.CSVLogger(out / "history.csv"),
    ],
)

# 4. Save what `keras-captcha export` takes: the recognizer, and the split it verifies and calibrates on.
recognizer.save(out / "model.keras")
keras_captcha.write_split(out, train_samples, validation_samples)
report = keras_captcha.evaluate(keras_captcha.open_predictor(out / "model.keras"), validation_samples)
print(f"validation accuracy {report['accuracy']:.2%}, CER {report['cer']:.4f}; saved {out / 'model.keras'}")
