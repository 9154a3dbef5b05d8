"""The public captcha_images_v2 set: downloaded with `keras.utils.get_file` when no --data is given."""

import pathlib
import shutil
import tempfile
import zipfile

import keras

from keras_captcha.core.errors import CaptchaError

DATASET_URL = (
    "https://github.com/AakashKumarNain/CaptchaCracker/raw/master/captcha_images_v2.zip"
)
DATASET_NAME = "captcha_images_v2"
DATASET_FILES = 1040
DEFAULT_DATA_DIR = pathlib.Path("data") / DATASET_NAME


def download_dataset(target=DEFAULT_DATA_DIR, url=DATASET_URL, expected_files=DATASET_FILES):
    """Downloads and unpacks the public captcha_images_v2 set into `target`.

    Returns `target`. Nothing is left in `target` unless the archive held
    `expected_files` PNG files. Raises `CaptchaError` when offline.
    """
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
