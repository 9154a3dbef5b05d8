"""The tf.data pipeline: decoding every format as the normalisation says, label ids, download."""

import zipfile

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_captcha.core.config import CaptchaConfig
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime import datasets as samples
from keras_captcha.training import dataset as data
from keras_captcha.training import download

from helpers import draw_captcha, encode_image, write_captchas


def test_manifest_gives_labels_of_any_length_and_script(tmp_path):
    write_captchas(tmp_path / "img", ["one", "two", "three"])
    (tmp_path / "labels.csv").write_text(
        "path,label\nimg/one.png,éß\nimg/two.png,жёлтый\nimg/three.png,7\n", encoding="utf-8"
    )
    listed = samples.list_samples(tmp_path)
    labels = sorted(label for _, label in listed)
    assert labels == ["7", "éß", "жёлтый"]
    config = CaptchaConfig(charset=samples.derive_charset(labels))
    batch = next(iter(data.make_dataset(listed, config, batch_size=3)))
    ids = batch["labels"].numpy()
    assert ids.shape == (3, 6)
    decoded = sorted(config.vocabulary.decode(row) for row in ids)
    assert decoded == labels


def test_pipeline_shapes_dtypes_and_label_ids(tiny_dataset):
    listed = samples.list_samples(tiny_dataset)
    config = CaptchaConfig(charset=samples.derive_charset(label for _, label in listed))
    batch = next(iter(data.make_dataset(listed, config, batch_size=8)))
    assert batch["image"].shape == (8, 32, 128, 1)
    assert batch["image"].dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(batch["image"])) <= float(tf.reduce_max(batch["image"])) <= 1
    labels = batch["labels"].numpy()
    assert labels.dtype == np.int32 and labels.shape == (8, 5)
    blank = config.vocabulary.blank_index
    for (_, label), row in zip(listed[:8], labels):
        assert list(row[: len(label)]) == config.vocabulary.encode(label)
        assert (row[len(label) :] == blank).all(), "padding must be the blank"
        assert blank not in row[: len(label)]


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".gif", ".webp"])
def test_decodes_every_format_to_the_same_grayscale(tmp_path, suffix):
    image = draw_captcha("ab12", mode="RGB")
    image.save(tmp_path / f"x{suffix}")
    decoded = data.decode_image(tf.io.read_file(str(tmp_path / f"x{suffix}")), 32, 128).numpy()
    reference = data.decode_image(tf.constant(encode_image(image)), 32, 128).numpy()
    tolerance = 0.08 if suffix in (".jpg", ".gif", ".webp") else 1e-6
    assert decoded.shape == (32, 128, 1)
    assert np.abs(decoded - reference).mean() < tolerance


def test_transparency_is_composited_over_white():
    clear = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    decoded = data.decode_image(tf.constant(encode_image(clear)), 10, 20).numpy()
    np.testing.assert_allclose(decoded, 1.0)


def test_label_too_long_for_the_time_axis_is_named(tmp_path):
    config = CaptchaConfig(charset="a", width=32)  # 8 steps read at most 3 characters
    with pytest.raises(CaptchaError, match=r"x.png: label 'aaaa' has 4 characters.*at most 3"):
        data.make_dataset([("x.png", "aaaa")], config)


def _zip_of_captchas(tmp_path, count):
    folder = tmp_path / "made" / "captcha_images_v2"
    write_captchas(folder, [f"{i:05d}" for i in range(count)])
    archive = tmp_path / "captcha_images_v2.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in folder.iterdir():
            zipped.write(path, f"captcha_images_v2/{path.name}")
    return archive


def test_download_unpacks_and_checks_the_archive(tmp_path):
    archive = _zip_of_captchas(tmp_path, 6)
    target = tmp_path / "data" / "captcha_images_v2"
    got = download.download_dataset(target, url=archive.as_uri(), expected_files=6)
    assert sorted(p.name for p in got.iterdir()) == [f"{i:05d}.png" for i in range(6)]
    with pytest.raises(CaptchaError, match="expected 7 PNG files, the archive has 6"):
        download.download_dataset(tmp_path / "other", url=archive.as_uri(), expected_files=7)
    assert not (tmp_path / "other").exists()


def test_download_offline_says_how_to_pass_data(tmp_path):
    missing = (tmp_path / "nowhere.zip").as_uri()
    with pytest.raises(CaptchaError, match="could not download .*pass --data DIR"):
        download.download_dataset(tmp_path / "target", url=missing)
