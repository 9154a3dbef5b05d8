"""Running the server: `serve` starts uvicorn's worker processes, each building its app from the environment."""

import logging
import os
import signal

import threadpoolctl
import uvicorn

from keras_captcha.serving.app import create_app
from keras_captcha.serving.models import load_models
from keras_captcha.serving.options import ServeOptions

#: The environment variable through which `serve` hands its options to each worker process.
OPTIONS_VARIABLE = "KERAS_CAPTCHA_SERVE_OPTIONS"


def serve(options, host="127.0.0.1", port=8000, workers=1):
    """Runs the server until SIGTERM or Ctrl-C (both finish the requests in flight, then exit).

    The models are opened here first, so a bad one is a `CaptchaError`
    before anything listens; each of the `workers` processes then opens its own.
    """
    load_models(options.models)
    os.environ[OPTIONS_VARIABLE] = options.to_json()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # uvicorn finishes the requests in flight on SIGTERM, then re-raises the signal to the
    # handler it found: a no-op one lets `serve` return, and the command exit 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    uvicorn.run(
        "keras_captcha.serving.process:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # AccessLog writes one line per request, with the image count
        timeout_graceful_shutdown=30,
    )


def app_from_environment():
    """The app of a worker process, from the options `serve` left in `OPTIONS_VARIABLE`.

    A worker is one process meant for one core: its BLAS (numpy's resize
    products) runs on one thread. OpenBLAS threads spin between calls and
    steal the other workers' cores: with 2 workers on 2 cores, 140 reads/s
    against 1,466 at concurrency 8 (benchmarks/RESULTS.md).
    """
    threadpoolctl.threadpool_limits(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return create_app(ServeOptions.from_json(os.environ[OPTIONS_VARIABLE]))
