"""The TensorFlow-free runtime for exported `.tflite` models (numpy, pillow, ai-edge-litert).

    from keras_captcha.runtime.litert import LiteRTPredictor
    predictor = LiteRTPredictor("exported/captcha_int8.tflite")   # reads model_card.json beside it
    reading = predictor.predict("captcha.png")
    reading.text, reading.confidence, reading.uncertain, reading.characters

The model card supplies the config (charset, input size, normalisation);
`keras_captcha.runtime.preprocess` makes the input as training did. A LiteRT
interpreter is not thread-safe: give each thread its own `LiteRTPredictor`.
"""

import numpy as np

from keras_captcha.core.card import model_file_and_card
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.predictor import Predictor


def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise CaptchaError(
            "running .tflite models needs ai-edge-litert: pip install keras-captcha"
        ) from None
    return Interpreter


class LiteRTPredictor(Predictor):
    """Runs one exported `.tflite` model (batch 1) with its model card.

    `card` (a `keras_captcha.core.card.ModelCard`) defaults to the
    `model_card.json` beside the model; the decoding options are
    `Predictor`'s. `CaptchaError` names the file when it is missing, not a
    TFLite model, or not the model its card describes.
    """

    def __init__(self, model_path, card=None, num_threads=1, **options):
        self.model_path, self.card = model_file_and_card(model_path, card)
        super().__init__(self.card.config, **options)
        try:
            self.interpreter = _interpreter_class()(model_path=str(self.model_path), num_threads=num_threads)
            self.runner = self.interpreter.get_signature_runner()
        except (ValueError, RuntimeError) as error:
            raise CaptchaError(f"{model_path}: not a loadable TFLite model ({error})") from None
        inputs, self._outputs = self.runner.get_input_details(), self.runner.get_output_details()
        expected_input = (1, self.config.height, self.config.width, 1)
        probabilities = self._outputs.get("probabilities")
        if (
            list(inputs) != ["image"]
            or tuple(inputs["image"]["shape"]) != expected_input
            or probabilities is None
            or probabilities["shape"][-1] != self.config.num_classes
        ):
            shapes = {name: tuple(d["shape"]) for name, d in {**inputs, **self._outputs}.items()}
            raise CaptchaError(
                f"{model_path}: has tensors {shapes}, but its model card describes image "
                f"{expected_input} -> probabilities (1, steps, {self.config.num_classes}): "
                "wrong model or card"
            )
        self._input = inputs["image"]

    def run(self, image):
        """One (height, width, 1) float32 image -> every output of the model, dequantized.

        Returns `{name: array}`: `probabilities` (1, time_steps, num_classes)
        float32, and for the decoded variant `label_ids`, `character_confidence`
        and `confidence`.
        """
        details = self._input
        batch = image[None]
        if details["dtype"] != np.float32:
            scale, zero_point = details["quantization"]
            info = np.iinfo(details["dtype"])
            batch = np.clip(np.round(batch / scale + zero_point), info.min, info.max)
        outputs = self.runner(image=batch.astype(details["dtype"]))
        for name, value in outputs.items():
            scale, zero_point = self._outputs[name]["quantization"]
            if value.dtype in (np.int8, np.uint8) and scale:
                outputs[name] = (value.astype(np.float32) - zero_point) * np.float32(scale)
        return outputs

    def probabilities(self, images):
        """(n, height, width, 1) float32 -> (n, time_steps, num_classes) float32, one run per image."""
        return np.concatenate([self.run(image)["probabilities"] for image in images])


#: The name of `LiteRTPredictor` before 0.2; kept importable for one release.
LiteRecognizer = LiteRTPredictor
