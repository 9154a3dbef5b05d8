"""Helpers every test module may import: the tiny network, the CLI runner, a TensorFlow-blocked subprocess.

The generated captchas and HTTP helpers the benchmarks share live in
`keras_captcha.testing`, imported here so tests take everything from one place.
"""

import http.client
import pathlib
import subprocess
import sys
import time

import numpy as np
from PIL import Image

from keras_captcha.testing import (  # noqa: F401  (re-exported for the tests)
    CHROMIUM,
    CHROMIUM_ARGS,
    TINY_CHARSET,
    draw_captcha,
    encode_image,
    free_port,
    glyph_cuts,
    metric_total,
    multipart_body,
    png_of_size,
    random_labels,
    static_server,
    write_captchas,
)

#: Small network for tests: trains a step in milliseconds.
TINY_MODEL = {
    "conv_filters": (4, 8),
    "conv_pools": ((2, 2), (2, 2)),
    "projection_units": 8,
    "rnn_units": 8,
}


def sixteen_bit_image():
    """A 200x50 16-bit grayscale ramp."""
    return Image.fromarray((np.arange(50 * 200).reshape(50, 200) * 6).astype(np.uint16))


def run_cli(capsys, *argv):
    """Runs `keras-captcha argv...` in-process -> (exit code, stdout, stderr)."""
    from keras_captcha import cli

    code = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(capsys, argv, message):
    """The CLI exits 2 with one line on stderr holding `message`, and no traceback."""
    code, _, err = run_cli(capsys, *argv)
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert message in err, err


BLOCK_TENSORFLOW = """\
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('tensorflow', 'keras'):
            raise ImportError('blocked ' + name)
sys.meta_path.insert(0, Block())
"""


def read_without_tensorflow(model, image):
    """The text `open_predictor(model)` reads in `image`, in a process that cannot import TensorFlow or Keras."""
    code = (
        "from keras_captcha.runtime.loading import open_predictor\n"
        "reading = open_predictor(sys.argv[1]).predict(sys.argv[2])\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
        "assert 0 <= reading.confidence <= 1\n"
        "print(repr(reading.text))\n"
    )
    result = run_without_tensorflow(code, model, image)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip())


def run_without_tensorflow(code, *args):
    """Runs Python `code` with `args` in a process where importing tensorflow or keras fails."""
    return subprocess.run(
        [sys.executable, "-c", BLOCK_TENSORFLOW + code, *map(str, args)],
        capture_output=True, text=True, timeout=120,
    )


def probabilities_for(ids, classes, peak=0.9):
    """A (1, len(ids), classes) float32 probability array whose argmax per step is `ids`."""
    steps = np.full((1, len(ids), classes), (1 - peak) / (classes - 1), dtype=np.float32)
    steps[0, np.arange(len(ids)), ids] = peak
    return steps


def start_command(subcommand, *args, port=None, log=None, ready="/health"):
    """Starts `keras-captcha SUBCOMMAND --port P *args` (P: `port`, or a free one) and waits until
    `GET ready` answers 200; returns (process, port).

    Its output is piped (`process.communicate()` reads it), or with `log` (an open file) written
    there: a pipe nobody reads blocks the server once an access log of some 800 requests fills it.
    """
    port = port or free_port()
    command = [sys.executable, "-m", "keras_captcha.cli", subcommand, "--port", str(port), *map(str, args)]
    output = log or subprocess.PIPE
    process = subprocess.Popen(command, stdout=output, stderr=output, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if http_request(port, "GET", ready)[0] == 200:
                return process, port
        except OSError:
            time.sleep(0.1)
        if process.poll() is not None:
            break
    process.kill()
    said = (process.communicate()[1] or "") if log is None else pathlib.Path(log.name).read_text()
    raise AssertionError(f"keras-captcha {subcommand} did not start: {said[-2000:]}")


def start_server(*args, log=None):
    """Starts `keras-captcha serve --port P *args` and waits for /health; returns (process, port)."""
    return start_command("serve", *args, log=log)


def http_request(port, method, path, body=None, headers=None):
    """One HTTP request to 127.0.0.1:`port` -> (status, content type, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("content-type"), response.read()
    finally:
        connection.close()
