"""Running the server: `serve` starts uvicorn (one process, or a supervisor and its workers), each
worker building its app from the environment.

SIGHUP reloads the models without downtime: a worker reloads its own in
place (`ModelSet.reload`), and with several workers the supervisor passes
the signal on to each of them instead of uvicorn's restart of every process.
"""

import contextlib
import logging
import os
import shutil
import signal
import tempfile

import threadpoolctl
import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess

from keras_captcha.core.listening import address, bound_port, listening_socket
from keras_captcha.serving.app import create_app
from keras_captcha.serving.auth import read_token_file
from keras_captcha.serving.collect import check_folder
from keras_captcha.serving.metrics import MULTIPROCESS_VARIABLE
from keras_captcha.serving.models import load_models
from keras_captcha.serving.options import ServeOptions

log = logging.getLogger("keras_captcha.server")
#: The environment variable through which `serve` hands its options to each worker process.
OPTIONS_VARIABLE = "KERAS_CAPTCHA_SERVE_OPTIONS"


class ReloadingMultiprocess(Multiprocess):
    """uvicorn's worker supervisor, but SIGHUP reloads every worker's models in place.

    uvicorn's own SIGHUP replaces each worker by a new process, and a model
    file broken at that moment would stop the new one from starting.
    """

    def handle_hup(self):
        log.info("SIGHUP: reloading the models of %d workers", len(self.processes))
        for process in self.processes:
            if process.pid:
                os.kill(process.pid, signal.SIGHUP)


def check_options(options):
    """Raises `CaptchaError` for what would stop a worker from starting: a model that does not
    open, a collection folder that cannot be written, a missing or empty token file."""
    load_models(options.models)
    if options.collect:
        check_folder(options.collect)
    if options.token_file:
        read_token_file(options.token_file)


def serve(options, host="127.0.0.1", port=8000):
    """Runs the server on `host`:`port` (0: any free port) until SIGTERM or Ctrl-C (both finish the
    requests in flight, then exit).

    The options are checked and the address bound here first (`check_options`,
    `listening_socket`), so a mistake is a `CaptchaError` before anything
    starts; each of the `options.workers` processes then opens the models itself.
    """
    check_options(options)
    sock = listening_socket(host, port)
    os.environ[OPTIONS_VARIABLE] = options.to_json()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # uvicorn finishes the requests in flight on SIGTERM, then re-raises the signal to the
    # handler it found: a no-op one lets `serve` return, and the command exit 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    config = uvicorn.Config(
        "keras_captcha.serving.process:app_from_environment",
        factory=True,
        workers=options.workers,
        access_log=False,  # AccessLog writes one line per request, with the image count
        timeout_graceful_shutdown=30,
    )
    log.info("listening on http://%s (Ctrl-C to stop)", address(host, bound_port(sock)))
    if options.workers == 1:
        uvicorn.Server(config).run(sockets=[sock])
        return
    with _metric_files(options.metrics):
        ReloadingMultiprocess(config, sockets=[sock]).run()


@contextlib.contextmanager
def _metric_files(enabled):
    """Points the workers at a fresh folder for their metric files (multiprocess mode) while the block runs."""
    if not enabled:
        yield
        return
    folder = tempfile.mkdtemp(prefix="keras-captcha-metrics-")
    os.environ[MULTIPROCESS_VARIABLE] = folder
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def app_from_environment():
    """The app of a worker process, from the options `serve` left in `OPTIONS_VARIABLE`.

    A worker is one process meant for one core: its BLAS (numpy's resize
    products) runs on one thread. OpenBLAS threads spin between calls and
    steal the other workers' cores: with 2 workers on 2 cores, 140 reads/s
    against 1,466 at concurrency 8 (benchmarks/RESULTS.md). SIGHUP reloads
    its models on a thread of the loop's executor, so requests keep being answered.
    """
    threadpoolctl.threadpool_limits(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return create_app(ServeOptions.from_json(os.environ[OPTIONS_VARIABLE]), reload_on_sighup=True)
