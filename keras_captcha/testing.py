"""Generated captchas and local HTTP helpers that the tests and the benchmarks share (TensorFlow-free).

    from keras_captcha.testing import draw_captcha, write_captchas
    write_captchas("tmp/images", ["ab12", "c3d4"])   # ab12.png, c3d4.png

Nothing here reads a user's data: every image is drawn from a seed.
"""

import functools
import http.server
import io
import pathlib
import random
import shutil
import socket
import struct
import threading
import uuid
import zlib
from unittest import mock

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TINY_CHARSET = "abcde12"


def draw_captcha(text, size=(200, 50), mode="RGBA", seed=0):
    """A synthetic captcha: `text` in dark ink on a light, slightly noisy background."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (245, 245, 245))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(size[1] // 2, 8))
    x = size[0] // 10
    for char in text:
        draw.text((x, size[1] // 4 + rng.randint(-3, 3)), char, fill=(20, 20, 20), font=font)
        x += size[0] * 4 // (5 * max(len(text), 1))
    for _ in range(3):
        points = [(rng.randint(0, size[0]), rng.randint(0, size[1])) for _ in range(2)]
        draw.line(points, fill=(90, 90, 90), width=1)
    return image.convert(mode)


def write_captchas(folder, labels, suffix=".png", **kwargs):
    """Writes one image per label, named `<label><suffix>`; returns the paths."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, label in enumerate(labels):
        path = folder / f"{label}{suffix}"
        draw_captcha(label, seed=index, **kwargs).save(path)
        paths.append(path)
    return paths


def encode_image(image, fmt="PNG", **kwargs):
    """A PIL image saved to `fmt` in memory -> the file's bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def random_labels(count, charset=TINY_CHARSET, lengths=(3, 5), seed=0):
    rng = random.Random(seed)
    labels = set()
    while len(labels) < count:
        labels.add("".join(rng.choice(charset) for _ in range(rng.randint(*lengths))))
    return sorted(labels)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def png_of_size(width, height):
    """A valid 1-bit PNG of one colour: a few hundred KB whatever the size, made in a fraction of a second."""

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = b"\0" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def multipart_body(files, fields=()):
    """`(field, file name, bytes)` files and `(field, text)` fields -> (body bytes, content type)."""
    boundary = uuid.uuid4().hex
    parts = []
    for field, file_name, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{file_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n"
        )
    for field, text in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"\r\n\r\n{text}\r\n'.encode())
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


#: Chromium as root, headless, with no background connections (this machine's network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def static_server(root):
    """A threaded static file server for `root` on 127.0.0.1; returns (server, port)."""
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files with the wasm and module MIME types, logging nothing."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".mjs": "text/javascript"}

    def log_message(self, *args):
        pass


def metric_total(text, name, **labels):
    """The sum of the samples `name` with `labels` in a `GET /metrics` text, or None when there is none.

    Read with prometheus_client's own parser (the `[serve]` extra).
    """
    from prometheus_client.parser import text_string_to_metric_families

    values = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items())
    ]
    return sum(values) if values else None


def glyph_cuts(style, count, seed=0):
    """For each of `count` zoo captchas of `style`: the largest share of one glyph's ink drawn off the canvas.

    Watches every masked paste of `keras_captcha.zoo.draw` (a glyph is one);
    a glyph off the edge leaves a label naming a character no one can read.
    """
    from keras_captcha.zoo.generate import captcha

    paste, worst = Image.Image.paste, []

    def measuring_paste(canvas, ink, box=None, mask=None):
        if mask is not None:
            ys, xs = np.nonzero(np.asarray(mask) > 40)
            x, y = box
            outside = (xs + x < 0) | (xs + x >= canvas.size[0]) | (ys + y < 0) | (ys + y >= canvas.size[1])
            worst[-1] = max(worst[-1], float(outside.mean()) if len(xs) else 0.0)
        return paste(canvas, ink, box, mask)

    with mock.patch.object(Image.Image, "paste", measuring_paste):
        for index in range(count):
            worst.append(0.0)
            captcha(style, seed, index)
    return worst
