"""The one predictor interface, whatever runs the model, and evaluation on labelled samples.

Every predictor (`keras_captcha.runtime.litert.LiteRTPredictor` for `.tflite`,
`keras_captcha.runtime.onnx.OnnxPredictor` for `.onnx`,
`keras_captcha.training.keras_predictor.KerasPredictor` and `SavedModelPredictor`)
has a `config`, turns images into `(n, time_steps, num_classes)`
probabilities, and reads images into `keras_captcha.runtime.decode.Reading`s:

    reading = predictor.predict("captcha.png")        # one Reading
    readings = predictor.predict([path, png_bytes])   # a list of them
    reading.text, reading.confidence, reading.uncertain, reading.characters

`keras_captcha.runtime.loading.open_predictor(path)` opens any of them by path.
"""

from keras_captcha.core.answers import answer
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime import decode, preprocess


class Predictor:
    """Preprocessing, decoding options and reading; subclasses run the model (`probabilities`).

    `allowed` restricts decoding to a subset of the charset; `beam_width`
    (> 1) switches from greedy to beam-search decoding; readings whose
    confidence is below `threshold` are marked uncertain. `CaptchaError`
    for allowed characters the model lacks.
    """

    #: Images per `probabilities` call when reading many.
    batch_size = 64

    def __init__(self, config, allowed=None, beam_width=1, threshold=0.0):
        self.config = config
        self.vocabulary = config.vocabulary
        self.allowed, self.beam_width, self.threshold = allowed, beam_width, threshold
        if allowed is not None:
            try:
                decode.check_allowed(self.vocabulary, allowed)
            except ValueError as error:
                raise CaptchaError(str(error)) from None

    def probabilities(self, images):
        """(n, height, width, 1) float32 -> (n, time_steps, num_classes) float32."""
        raise NotImplementedError

    def preprocess(self, sources, names=None):
        """Paths, encoded bytes, PIL images or arrays -> (n, height, width, 1) float32; errors name `names`."""
        return preprocess.preprocess_batch(sources, self.config, names)

    def decode(self, probabilities, allowed=None):
        """(n, time_steps, num_classes) -> one `Reading` per image, with this predictor's options.

        `allowed` overrides the predictor's own restriction for this call.
        """
        allowed = self.allowed if allowed is None else allowed
        if allowed is not None:
            try:
                probabilities = decode.restrict(probabilities, self.vocabulary, allowed)
            except ValueError as error:  # characters the model lacks
                raise CaptchaError(str(error)) from None
        if self.beam_width > 1:
            readings = decode.beam_search_decode(probabilities, self.vocabulary, self.beam_width, self.threshold)
        else:
            readings = decode.greedy_decode(probabilities, self.vocabulary, self.threshold)
        rule = self.config.answer
        return [reading._replace(answer=answer(reading.text, rule)) for reading in readings] if rule else readings

    def predict(self, sources, allowed=None):
        """Reads one image (path, data: URL, bytes or a binary file, PIL image, (h, w[, c]) array) or a list of them.

        Returns a `Reading`, or a list of them for a list input.
        """
        single = not isinstance(sources, (list, tuple))
        sources = [sources] if single else list(sources)
        readings = []
        for start in range(0, len(sources), self.batch_size):
            images = self.preprocess(sources[start : start + self.batch_size])
            readings += self.decode(self.probabilities(images), allowed)
        return readings[0] if single else readings
