"""The TensorFlow-free read path: image files -> model input -> per-step probabilities -> `Reading`s.

NumPy, Pillow and, per format, LiteRT (`litert.py`) or onnxruntime (`onnx.py`). `loading.open_predictor`
opens any model by path; only a `.keras` file or a SavedModel reaches TensorFlow (`keras_captcha.training`).
"""
