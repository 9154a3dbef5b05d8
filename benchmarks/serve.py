"""Serving throughput: `keras-captcha serve` under keep-alive loopback load, and `ddddocr api` beside it.

    KERAS_CAPTCHA_DATA=../shared/data/captcha_images_v2 python benchmarks/serve.py

Starts the server (`--workers`, default 2, the shipped int8 model) and drives
it from one asyncio client process with keep-alive connections, one image
per request (JSON base64, as ddddocr's API takes them), cycling through the
dataset's captchas and checking every reading against the TF-free runtime's:

* `--seconds` (20) at each concurrency of `--concurrency` (1 8 32): reads/s,
  p50 and p99 latency, errors (a non-200 answer or a wrong text);
* the multipart form at concurrency 8, for comparison;
* a soak of `--soak` (100,000) requests at concurrency 8: the server's memory
  (all its processes' resident memory) before and after;
* the operator's features (`benchmarks/operations.py`, `--skip-operations`
  leaves them out): reads/s with metrics and `--collect` against
  `--no-metrics`, 10 reloads under load, and a soak collecting every reading
  until its size limit, midway;
* a mixed run at concurrency 8 where every tenth request is hostile (the
  client mistakes of tests/serving/test_app.py, in turn): every hostile one must
  get a 4xx and every good one the right text;
* `ddddocr api` (ddddocr 1.6.1, installed by this script into its own
  virtualenv under `runs/`; skipped with a note when it cannot be installed),
  same workers, same images, at concurrency 8, with its first failure if
  any; and ddddocr's engine alone (`DdddOcr.classification` in a loop, one
  process per worker, summed), the ceiling any ddddocr server could reach;
  the throughput ratios against both.

Prints one JSON object. Nothing else should run on the machine meanwhile.
"""

import argparse
import base64
import json
import os
import pathlib
import statistics
import subprocess
import sys

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.variants import VARIANTS
from keras_captcha.runtime.datasets import list_samples
from keras_captcha.runtime.litert import LiteRTPredictor
from keras_captcha.testing import free_port, multipart_body, png_of_size

from common import data_dir, ddddocr_python, emit
import operations
from load import drive, raw_request, resident_mb, start, stop

ROOT = pathlib.Path(__file__).resolve().parent.parent
IMAGES = 200


def ours_check(expected):
    def check(status, body):
        return status == 200 and json.loads(body)["results"][0]["text"] == expected

    return check


def hostile_requests():
    """(request bytes, check) for client mistakes: each must get a 4xx with a JSON error."""
    good = base64.b64encode(png_of_size(20, 20)).decode()
    bodies = [
        ('{"images": ["@@"]}', "application/json"),
        ("{nope", "application/json"),
        ('{"images": "x"}', "application/json"),
        (json.dumps({"images": [good], "model": "nope"}), "application/json"),
        (json.dumps({"images": [base64.b64encode(b"not an image").decode()]}), "application/json"),
        (json.dumps({"images": [base64.b64encode(png_of_size(5000, 5000)).decode()]}), "application/json"),
        ("hello", "text/plain"),
        multipart_body([], [("model", "x")]),
        multipart_body([("image", "a.png", b"")]),
    ]

    def check(status, body):
        return 400 <= status < 500 and "error" in json.loads(body)

    return [(raw_request("/v1/read", body, content_type), check) for body, content_type in bodies]


#: Reads images with ddddocr's engine in a loop for a while; prints how many.
DDDDOCR_ENGINE = """
import sys, time, io
from PIL import Image
import ddddocr
ocr = ddddocr.DdddOcr(show_ad=False)
images = [open(path, "rb").read() for path in sys.argv[2:]]
ocr.classification(images[0])
deadline, count = time.perf_counter() + float(sys.argv[1]), 0
started = time.perf_counter()
while time.perf_counter() < deadline:
    ocr.classification(images[count % len(images)])
    count += 1
print(count / (time.perf_counter() - started))
"""


def ddddocr_engine(python, paths, processes, seconds):
    """ddddocr's own `classification` in `processes` parallel processes: reads/s summed, the ceiling of its API."""
    workers = [
        subprocess.Popen([str(python), "-c", DDDDOCR_ENGINE, str(seconds), *map(str, paths)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for _ in range(processes)
    ]
    rates = [float(worker.communicate()[0].split()[-1]) for worker in workers]
    return {"processes": processes, "reads_per_second": round(sum(rates), 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--soak", type=int, default=100_000, help="requests of the memory soak (0: none)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-ddddocr", action="store_true")
    parser.add_argument("--skip-operations", action="store_true",
                        help="skip the operator's features: metrics and --collect overhead, reloads, a collecting soak")
    args = parser.parse_args()

    model = shipped_model()
    paths = [path for path, _ in list_samples(data_dir())][:IMAGES]
    encoded = [pathlib.Path(path).read_bytes() for path in paths]
    expected = [reading.text for reading in LiteRTPredictor(model).predict(paths)]
    as_json = [
        (raw_request("/v1/read", json.dumps({"images": [base64.b64encode(data).decode()]}), "application/json"),
         ours_check(text))
        for data, text in zip(encoded, expected)
    ]
    as_form = [
        (raw_request("/v1/read", *multipart_body([("image", "c.png", data)])), ours_check(text))
        for data, text in zip(encoded, expected)
    ]
    result = {"workers": args.workers, "images": len(paths), "ours": {}}

    port = free_port()
    server = start(
        [sys.executable, "-m", "keras_captcha.cli", "serve", "--model", str(model), "--port", str(port),
         "--workers", str(args.workers)],
        port,
    )
    drive(port, as_json, 8, seconds=2)  # warm-up: every worker has read
    for concurrency in args.concurrency:
        result["ours"][f"json_c{concurrency}"] = drive(port, as_json, concurrency, seconds=args.seconds)
    result["ours"]["multipart_c8"] = drive(port, as_form, 8, seconds=args.seconds)
    if args.soak:
        before = resident_mb(server.pid)
        soak = drive(port, as_json, 8, count=args.soak)
        after = resident_mb(server.pid)
        result["ours"]["soak"] = {
            **soak, "memory_before_mb": before, "memory_after_mb": after,
            "memory_growth": round(after / before - 1, 4),
        }
    hostile = hostile_requests()
    mixed = []
    for index, good in enumerate(as_json):
        mixed.append(good)
        if index % 9 == 8:  # one hostile request in ten
            mixed.append(hostile[(index // 9) % len(hostile)])
    result["ours"]["hostile_mix_c8"] = {
        **drive(port, mixed, 8, seconds=args.seconds / 2),
        "hostile_share": round(sum(request in hostile for request in mixed) / len(mixed), 3),
    }
    result["ours"]["exit_code_after_sigterm"] = stop(server)

    if not args.skip_operations:
        agreed = LiteRTPredictor(model.with_name(VARIANTS["float32"].file)).predict(paths)
        both_read_alike = [request for request, text, other in zip(as_json, expected, agreed) if text == other.text]
        result["operations"] = {
            "overhead_c8": operations.overhead(model, as_json, args.workers, args.seconds),
            "reloads_c8": operations.reloads(model, both_read_alike, args.workers, args.seconds),
        }
        if args.soak:
            average_bytes = statistics.mean(len(data) for data in encoded)
            result["operations"]["collecting_soak_c8"] = operations.collecting_soak(
                model, as_json, average_bytes, args.workers, args.soak
            )

    python = None if args.skip_ddddocr else ddddocr_python()
    if python is None:
        result["ddddocr"] = "skipped"
    else:
        port = free_port()
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        try:
            dddd = start(
                [str(python), "-m", "ddddocr", "api", "--host", "127.0.0.1", "--port", str(port),
                 "--workers", str(args.workers), "--show-ad", "false"],
                port, env=env,
            )
        except RuntimeError as error:
            result["ddddocr"] = f"skipped: {error}"
            emit(result)
            return
        failures = []

        def dddd_check(status, body):
            if status != 200 and not failures:
                failures.append(f"{status} {body[:200].decode(errors='replace')}")
            return status == 200

        requests = [
            (raw_request("/ocr", json.dumps({"image": base64.b64encode(data).decode()}), "application/json"),
             dddd_check)
            for data in encoded
        ]
        drive(port, requests, 8, seconds=2)
        result["ddddocr_api"] = {**drive(port, requests, 8, seconds=args.seconds), "first_failure": failures[:1]}
        stop(dddd)
        engine = ddddocr_engine(python, paths[:50], args.workers, args.seconds)
        result["ddddocr_engine"] = engine
        ours = result["ours"]["json_c8"]["reads_per_second"]
        api = result["ddddocr_api"]
        api_reads = api["reads_per_second"] * (1 - api["errors"] / max(api["requests"], 1))
        result["ratio_ours_over_ddddocr_api_c8"] = round(ours / api_reads, 2) if api_reads else None
        result["ratio_ours_over_ddddocr_engine"] = round(ours / engine["reads_per_second"], 2)
    emit(result)


if __name__ == "__main__":
    main()
