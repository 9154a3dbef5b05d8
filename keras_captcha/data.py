"""Images on disk -> checked (path, label) samples -> tf.data batches.

A dataset is a folder of images whose file stem is the label (`efgx5.png` is
"efgx5"), or a folder with a `labels.csv` manifest of `path,label` rows.
"""

import csv
import os
import pathlib
import shutil
import tempfile
import warnings
import zipfile

import numpy as np
import tensorflow as tf

from keras_captcha import lite
from keras_captcha.errors import CaptchaError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
MANIFEST_NAME = "labels.csv"

DATASET_URL = (
    "https://github.com/AakashKumarNain/CaptchaCracker/raw/master/captcha_images_v2.zip"
)
DATASET_NAME = "captcha_images_v2"
DATASET_FILES = 1040
DEFAULT_DATA_DIR = pathlib.Path("data") / DATASET_NAME


def list_samples(data_dir, skip_bad=False):
    """Lists and checks a dataset folder (or a `path,label` CSV manifest file).

    Returns a list of `(path, label)` string pairs sorted by path. Raises
    `CaptchaError` naming the folder or file for an empty folder, a manifest
    row without its file, and (unless `skip_bad`, which warns and skips them)
    any file that is not a readable image.
    """
    data_dir = pathlib.Path(data_dir)
    manifest = data_dir if data_dir.suffix == ".csv" else data_dir / MANIFEST_NAME
    if not data_dir.is_dir() and not manifest.is_file():
        raise CaptchaError(f"{data_dir}: no such folder")
    if manifest.is_file():
        samples = _read_manifest(manifest)
    else:
        samples = [
            (str(path), path.stem)
            for path in sorted(data_dir.iterdir())
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()
        ]
    if not samples:
        raise CaptchaError(
            f"{data_dir}: no images ({', '.join(IMAGE_SUFFIXES)}) and no {MANIFEST_NAME}"
        )
    good, bad = [], []
    for path, label in samples:
        try:
            check_image(path)
            good.append((path, label))
        except CaptchaError as error:
            if not skip_bad:
                raise
            bad.append(str(error))
    if bad:
        warnings.warn(
            f"skipped {len(bad)} unreadable file(s) of {len(samples)}, first: {bad[0]}",
            stacklevel=2,
        )
    if not good:
        raise CaptchaError(f"{data_dir}: none of the {len(samples)} images is readable")
    return sorted(good)


def _read_manifest(manifest):
    samples, seen = [], set()
    with open(manifest, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    if rows and [cell.strip().lower() for cell in rows[0]] == ["path", "label"]:
        rows = rows[1:]
    for line, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != 2:
            raise CaptchaError(f"{manifest}:{line}: expected 'path,label', got {row!r}")
        path = (manifest.parent / row[0]).resolve()
        if str(path) in seen:
            raise CaptchaError(f"{manifest}:{line}: {row[0]} is listed twice")
        if not path.is_file():
            raise CaptchaError(f"{manifest}:{line}: {row[0]}: no such file")
        seen.add(str(path))
        samples.append((str(path), row[1]))
    return samples


def check_image(path):
    """Raises `CaptchaError` naming `path` unless it is a whole, sanely sized image
    that `decode_image` and `keras_captcha.lite` read alike (`lite.open_image`)."""
    lite.open_image(path, path).close()


def derive_charset(labels):
    """The sorted set of characters used by `labels`, as one string."""
    return "".join(sorted(set("".join(labels))))


def split_samples(samples, validation_fraction=0.1, seed=0):
    """Seeded, reproducible split into `(train, validation)` sample lists.

    The same samples and seed give the same split whatever the listing order.
    """
    samples = sorted(samples)
    order = np.random.default_rng(seed).permutation(len(samples))
    n_validation = int(round(len(samples) * validation_fraction))
    if validation_fraction > 0:
        n_validation = min(max(n_validation, 1), len(samples) - 1)
    validation = sorted(samples[i] for i in order[:n_validation])
    train = sorted(samples[i] for i in order[n_validation:])
    return train, validation


def write_samples(path, samples):
    """Writes samples as a `path,label` CSV that `labels.csv` readers accept."""
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["path", "label"])
        writer.writerows((os.path.abspath(p), label) for p, label in samples)


def decode_image(encoded, height, width):
    """Encoded PNG/JPEG/BMP/GIF bytes (scalar tf.string) -> (height, width, 1) float32.

    Grayscale in [0, 1]; transparent pixels are composited over white; GIFs
    give their first frame; the resize is bilinear with antialiasing (it keeps
    thin strokes that plain bilinear sampling skips when shrinking).
    """
    image = tf.io.decode_image(encoded, channels=0, expand_animations=False)
    image = tf.image.convert_image_dtype(image, tf.float32)
    channels = tf.shape(image)[-1]
    has_alpha = tf.equal(channels % 2, 0)
    alpha = tf.where(has_alpha, image[..., -1:], tf.ones_like(image[..., :1]))
    color_channels = channels - tf.cast(has_alpha, tf.int32)
    color = image[..., :color_channels]
    gray = tf.cond(
        tf.equal(color_channels, 3),
        lambda: tf.reduce_sum(color * tf.constant(lite.GRAY_WEIGHTS), -1, keepdims=True),
        lambda: color[..., :1],
    )
    gray = gray * alpha + (1.0 - alpha)
    gray = tf.ensure_shape(gray, (None, None, 1))
    resized = tf.image.resize(gray, (height, width), method="bilinear", antialias=True)
    return tf.clip_by_value(resized, 0.0, 1.0)  # the kernel's rounding can overshoot by an ulp


def encode_labels(labels, config):
    """Labels -> (n, max_length) int32 ids, 1..len(charset), padded with the blank 0."""
    ids = np.zeros((len(labels), max(map(len, labels))), dtype=np.int32)
    for row, label in enumerate(labels):
        ids[row, : len(label)] = config.encode(label)
    return ids


def make_dataset(samples, config, batch_size=32, shuffle=False, seed=0):
    """Samples -> cached, prefetched batches of `{"image", "labels"}`.

    `image` is (batch, height, width, 1) float32, `labels` (batch, max_length)
    int32 padded with the blank 0. Every label is checked against `config`
    first (`CaptchaError` names the file).
    """
    for path, label in samples:
        config.check_label(label, path)
    paths = [path for path, _ in samples]
    labels = encode_labels([label for _, label in samples], config)
    dataset = tf.data.Dataset.from_tensor_slices((paths, labels))
    dataset = dataset.map(
        lambda path, ids: {
            "image": decode_image(tf.io.read_file(path), config.height, config.width),
            "labels": ids,
        },
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    ).cache()
    if shuffle:
        dataset = dataset.shuffle(len(samples), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_images(paths, config):
    """Image files -> (n, height, width, 1) float32 array, each file checked first."""
    images = []
    for path in paths:
        check_image(path)
        try:
            images.append(decode_image(tf.io.read_file(str(path)), config.height, config.width).numpy())
        except tf.errors.InvalidArgumentError as error:
            reason = error.message.strip().splitlines()[0]
            raise CaptchaError(f"{path}: TensorFlow cannot decode this image ({reason})") from None
    return np.stack(images)


def download_dataset(target=DEFAULT_DATA_DIR, url=DATASET_URL, expected_files=DATASET_FILES):
    """Downloads and unpacks the public captcha_images_v2 set into `target`.

    Returns `target`. Nothing is left in `target` unless the archive held
    `expected_files` PNG files. Raises `CaptchaError` when offline.
    """
    import keras

    target = pathlib.Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        try:
            archive = keras.utils.get_file(
                f"{DATASET_NAME}.zip", origin=url, cache_dir=scratch, cache_subdir="."
            )
        except Exception as error:  # get_file raises bare Exception subclasses
            raise CaptchaError(
                f"could not download {url} ({error}); pass --data DIR, a folder of "
                "images named by their label"
            ) from None
        unpacked = pathlib.Path(scratch) / "unpacked"
        try:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(unpacked)
        except zipfile.BadZipFile:
            raise CaptchaError(f"{url}: the download is not a zip archive") from None
        pngs = [p for p in unpacked.rglob("*.png") if "__MACOSX" not in p.parts]
        if len(pngs) != expected_files:
            raise CaptchaError(
                f"{url}: expected {expected_files} PNG files, the archive has {len(pngs)}"
            )
        folder = pngs[0].parent
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(folder), str(target))
    return target


def default_data_dir():
    """`data/captcha_images_v2` under the working folder, downloaded when absent."""
    if DEFAULT_DATA_DIR.is_dir() and any(DEFAULT_DATA_DIR.glob("*.png")):
        return DEFAULT_DATA_DIR
    print(f"{DEFAULT_DATA_DIR} not found; downloading {DATASET_URL}")
    return download_dataset()
