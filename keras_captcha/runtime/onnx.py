"""Exported `.onnx` models on onnxruntime, without TensorFlow (the `[onnx]` extra).

    from keras_captcha.runtime.onnx import OnnxPredictor
    reading = OnnxPredictor("exported/captcha.onnx").predict("captcha.png")

The same `Predictor` interface and model card as `keras_captcha.runtime.litert`.
"""

import numpy as np
import onnxruntime

from keras_captcha.core.card import model_file_and_card
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.predictor import Predictor


def open_session(path, num_threads=1):
    """An onnxruntime CPU session on `num_threads` threads; `CaptchaError` names a file it cannot load."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = num_threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own types for a bad file
        reason = " ".join(str(error).split())[:200]
        raise CaptchaError(f"{path}: not a loadable ONNX model ({reason})") from None


class OnnxPredictor(Predictor):
    """Runs one exported `.onnx` model (image (1, height, width, 1) -> probabilities) with its model card."""

    def __init__(self, model_path, card=None, num_threads=1, **options):
        self.model_path, self.card = model_file_and_card(model_path, card)
        super().__init__(self.card.config, **options)
        self.session = open_session(self.model_path, num_threads)
        inputs = {node.name: node.shape for node in self.session.get_inputs()}
        outputs = {node.name: node.shape for node in self.session.get_outputs()}
        expected = [1, self.config.height, self.config.width, 1]
        if inputs != {"image": expected} or (outputs.get("probabilities") or [None])[-1] != self.config.num_classes:
            raise CaptchaError(
                f"{model_path}: has inputs {inputs} and outputs {outputs}, but its model card describes "
                f"image {expected} -> probabilities (1, steps, {self.config.num_classes}): wrong model or card"
            )

    def run(self, image):
        """One (height, width, 1) float32 image -> `{"probabilities": (1, time_steps, num_classes)}`."""
        [probabilities] = self.session.run(["probabilities"], {"image": image[None].astype(np.float32)})
        return {"probabilities": probabilities}

    def probabilities(self, images):
        """(n, height, width, 1) float32 -> (n, time_steps, num_classes) float32, one run per image."""
        return np.concatenate([self.run(image)["probabilities"] for image in images])
