"""Export with TensorFlow (the `[train]` extra; ONNX also `[onnx]`): the edge graph, TFLite, its
flatbuffer, ONNX and the ddddocr file, the SavedModel, and the orchestrator that verifies them.

    from keras_captcha.export import export
    card = export("runs/captcha/model.keras", "exported")
"""


def __getattr__(name):
    if name == "export":
        from keras_captcha.export.exporter import export

        return export
    raise AttributeError(f"module 'keras_captcha.export' has no attribute {name!r}")
