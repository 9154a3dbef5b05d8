"""Exports the general reader (`exported/base/model.keras`) as the float32 TFLite file `keras-captcha label` reads.

    python tools/export_general_reader.py --data ../shared/data/captcha_images_v2

The export verifies the file against the Keras model on the labelled images of
`--data` (float32 needs no calibration, so they only check it) and copies the
file and its model card into `exported/base/`, beside `model.keras`.
"""

import argparse
import shutil
import tempfile

from keras_captcha.core.assets import BASE_EXPORT, CHECKOUT
from keras_captcha.core.card import CARD_NAME
from keras_captcha.export import export
from keras_captcha.runtime.datasets import list_samples, split_samples

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", required=True, help="labelled captchas to verify the export on")
args = parser.parse_args()
base = CHECKOUT / "exported" / "base"
train_samples, validation_samples = split_samples(list_samples(args.data), 0.2, seed=0)
with tempfile.TemporaryDirectory() as scratch:
    card = export(base / "model.keras", f"{scratch}/out", validation_samples=validation_samples,
                  calibration_samples=train_samples, variants=["float32"])
    target = CHECKOUT / "exported" / BASE_EXPORT
    shutil.copy(f"{scratch}/out/{target.name}", target)
    shutil.copy(f"{scratch}/out/{CARD_NAME}", base / CARD_NAME)
print(f"{target}: {card['variants']['float32']['bytes'] / 1024:.1f} KB, "
      f"{card['variants']['float32']['agreement_with_keras']:.1%} of {card['validation_images']} images read as Keras reads them")
