"""Images on disk -> checked `(path, label)` samples, without TensorFlow.

A dataset is a folder of images whose file stem is the label (`efgx5.png` is
"efgx5"), or a folder with a `labels.csv` manifest of `path,label` rows (a
`.csv` file may also be passed itself). Training (`keras_captcha.training.dataset`) and
evaluation with any model read datasets through here.
"""

import csv
import os
import pathlib
import tempfile
import warnings

import numpy as np

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.images import check_image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
MANIFEST_NAME = "labels.csv"
#: The header row a manifest is written with.
MANIFEST_HEADER = ("path", "label")
#: First rows read as a header, not as an image: the file column and label column names other
#: tools write (`filename,text`, `image,label`), in any case.
HEADER_NAMES = ((MANIFEST_HEADER[0], "file", "filename", "image"), (MANIFEST_HEADER[1], "text"))


def list_samples(data_dir, skip_bad=False):
    """Lists and checks a dataset folder (or a `path,label` CSV manifest file).

    Returns a list of `(path, label)` string pairs sorted by path. Raises
    `CaptchaError` naming the folder or file for an empty folder or manifest, a manifest
    row without its file, and (unless `skip_bad`, which warns and skips them)
    any file that is not a readable image.
    """
    data_dir = pathlib.Path(data_dir)
    manifest = data_dir if data_dir.suffix == ".csv" else data_dir / MANIFEST_NAME
    if not data_dir.is_dir() and not manifest.is_file():
        raise CaptchaError(f"{data_dir}: no such {'file' if manifest == data_dir else 'folder'}")
    if manifest.is_file():
        samples = _read_manifest(manifest)
        if not samples:
            raise CaptchaError(f"{manifest}: no 'path,label' rows")
    else:
        samples = [(str(path), path.stem) for path in image_files(data_dir)]
    if not samples:
        raise CaptchaError(
            f"{data_dir}: no images ({', '.join(IMAGE_SUFFIXES)}) and no {MANIFEST_NAME}"
        )
    return _readable(samples, data_dir, skip_bad)


def list_images(folder, skip_bad=False):
    """The checked image files of an unlabelled `folder` (any names), sorted, as path strings.

    Raises `CaptchaError` naming the folder when it is missing or holds no
    image, and naming a file that is not a readable image (unless `skip_bad`,
    which warns and skips it).
    """
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise CaptchaError(f"{folder}: no such folder")
    paths = _images_in(folder)
    return [path for path, _ in _readable([(path, None) for path in paths], folder, skip_bad)]


def images_of(paths):
    """`paths` of image files, each folder among them replaced by its `image_files`, as path strings.

    Raises `CaptchaError` naming a path that does not exist or a folder that holds no image.
    """
    found = []
    for path in map(pathlib.Path, paths):
        if path.is_dir():
            found.extend(_images_in(path))
        elif path.is_file():
            found.append(str(path))
        else:
            raise CaptchaError(f"{path}: no such file")
    return found


def _images_in(folder):
    """`image_files` of a folder as path strings; `CaptchaError` naming it when it holds none."""
    paths = [str(path) for path in image_files(folder)]
    if not paths:
        raise CaptchaError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)})")
    return paths


def image_files(folder):
    """The files of `folder` (not its subfolders) with an image suffix, sorted by name."""
    folder = pathlib.Path(folder)
    return [
        path for path in sorted(folder.iterdir()) if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()
    ]


def _readable(samples, source, skip_bad):
    """The samples whose files are readable images; see `list_samples` for the errors."""
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
            stacklevel=3,
        )
    if not good:
        raise CaptchaError(f"{source}: none of the {len(samples)} images is readable")
    return sorted(good)


def _read_manifest(manifest):
    samples, seen = [], set()
    try:  # utf-8-sig: a spreadsheet's "CSV UTF-8" starts with a byte-order mark
        with open(manifest, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.reader(file))
    except UnicodeDecodeError as error:
        raise CaptchaError(f"{manifest}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    except csv.Error as error:
        raise CaptchaError(f"{manifest}: not a readable CSV ({error})") from None
    first_line = 1
    if rows and len(rows[0]) == 2 and all(cell.strip().lower() in names for cell, names in zip(rows[0], HEADER_NAMES)):
        rows, first_line = rows[1:], 2
    for line, row in enumerate(rows, start=first_line):
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


def refuse_folder(path):
    """`path` as a path, or `CaptchaError` when it is a folder, not the .csv file to write."""
    path = pathlib.Path(path)
    if path.is_dir():
        raise CaptchaError(f"{path}: is a folder; name the .csv file to write")
    return path


def write_samples(path, samples, relative=False):
    """Writes samples as a `path,label` CSV that `labels.csv` readers accept.

    Paths are written absolute, or with `relative` relative to the CSV's folder.
    Atomically: the file appears whole (fsynced) or not at all, an older one stays until then.
    """
    path = refuse_folder(path)
    folder = path.parent.resolve()
    try:
        handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise CaptchaError(f"{path}: cannot be written ({error.strerror or error})") from None
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(MANIFEST_HEADER)
            writer.writerows(
                (os.path.relpath(os.path.abspath(p), folder) if relative else os.path.abspath(p), label)
                for p, label in samples
            )
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o666 & ~umask)  # mkstemp makes it private
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)
