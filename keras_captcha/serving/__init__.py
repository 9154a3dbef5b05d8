"""The HTTP API (the `[serve]` extra: FastAPI on uvicorn) over the TensorFlow-free runtime.

    from keras_captcha.serving import create_app
"""


def __getattr__(name):
    if name == "create_app":
        from keras_captcha.serving.app import create_app

        return create_app
    raise AttributeError(f"module 'keras_captcha.serving' has no attribute {name!r}")
