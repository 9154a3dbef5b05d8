"""The operator's features under load, for benchmarks/serve.py: metrics and collection, reloads, a collecting soak.

* `overhead`: reads/s at concurrency 8 of `serve --no-metrics` against
  `serve` with its metrics and `--collect` (at the default threshold, and
  with every reading uncertain, the worst case: each one saved), servers
  alternating, `rounds` of each, medians;
* `reloads`: `count` SIGHUP reloads, the model file swapped between the
  int8 and the float32 export, spread over `seconds` of load at
  concurrency 8: errors (a non-200 or a wrong text: only images both files
  read alike are sent) and the sha256 `/metrics` names afterwards;
* `collecting_soak`: `requests` at concurrency 8 with every reading
  collected and `--collect-max-mb` set to fill midway: the server's memory
  before and after, the images saved and skipped.
"""

import pathlib
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

from keras_captcha.core.card import CARD_NAME
from keras_captcha.core.variants import VARIANTS
from keras_captcha.runtime.datasets import IMAGE_SUFFIXES
from keras_captcha.serving.models import file_sha256
from keras_captcha.testing import free_port, metric_total

from load import drive, resident_mb, start, stop

#: A threshold every reading falls below: each one is uncertain, and collected.
EVERYTHING_UNCERTAIN = 0.999999


def _serve(model, workers, *flags):
    port = free_port()
    command = [sys.executable, "-m", "keras_captcha.cli", "serve", "--model", f"m={model}", "--port", str(port),
               "--workers", str(workers), *map(str, flags)]
    return start(command, port), port


def _metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def _images_in(folder):
    return sum(path.suffix in IMAGE_SUFFIXES for path in pathlib.Path(folder).iterdir())


def overhead(model, requests, workers, seconds, rounds=2):
    """Reads/s without metrics and collection, and with them (default threshold; everything collected)."""
    runs = {"no_metrics": [], "metrics_and_collect": [], "metrics_and_collect_everything": []}
    flags = {
        "no_metrics": ["--no-metrics"],
        "metrics_and_collect": ["--collect", None],
        "metrics_and_collect_everything": ["--collect", None, "--threshold", EVERYTHING_UNCERTAIN],
    }
    for _ in range(rounds):
        for name, server_flags in flags.items():
            with tempfile.TemporaryDirectory() as folder:
                server, port = _serve(model, workers, *[folder if flag is None else flag for flag in server_flags])
                drive(port, requests, 8, seconds=2)  # warm-up: every worker has read
                runs[name].append(drive(port, requests, 8, seconds=seconds))
                runs[name][-1]["images_collected"] = _images_in(folder)
                stop(server)
    result = {name: {"reads_per_second": statistics.median(r["reads_per_second"] for r in run),
                     "errors": sum(r["errors"] for r in run),
                     "images_collected": [r["images_collected"] for r in run]}
              for name, run in runs.items()}
    base = result["no_metrics"]["reads_per_second"]
    for name in ("metrics_and_collect", "metrics_and_collect_everything"):
        result[name]["share_of_no_metrics"] = round(result[name]["reads_per_second"] / base, 3)
    return result


def reloads(model, requests, workers, seconds, count=10):
    """`count` SIGHUP reloads during `seconds` of load, the file alternating between int8 and float32."""
    files = [model.with_name(VARIANTS["int8"].file), model.with_name(VARIANTS["float32"].file)]
    with tempfile.TemporaryDirectory() as scratch:
        folder = pathlib.Path(scratch)
        shutil.copy(model.with_name(CARD_NAME), folder / CARD_NAME)
        served = folder / "model.tflite"
        shutil.copy(files[0], served)
        server, port = _serve(served, workers)
        drive(port, requests, 8, seconds=2)

        def reload_now_and_then():
            for index in range(count):
                time.sleep(seconds / (count + 1))
                staging = folder / ".model.tflite.partial"
                shutil.copy(files[(index + 1) % 2], staging)
                staging.replace(served)  # a deploy that writes the file whole
                server.send_signal(signal.SIGHUP)

        reloader = threading.Thread(target=reload_now_and_then)
        reloader.start()
        load = drive(port, requests, 8, seconds=seconds)
        reloader.join()
        time.sleep(1)
        metrics = _metrics(port)
        final = file_sha256(served)
        stop(server)
    return {
        **load, "reloads": count,
        "reload_errors": metric_total(metrics, "keras_captcha_reload_errors_total") or 0,
        "final_sha256_in_metrics": metric_total(metrics, "keras_captcha_model_info", sha256=final) == 1,
    }


def collecting_soak(model, requests, image_bytes, workers, count, warmup=1000):
    """`count` requests (after `warmup`) with every reading collected until the folder fills, about midway."""
    limit_mb = (image_bytes + 256) * (warmup + count / 2) / 2**20
    with tempfile.TemporaryDirectory() as folder:
        server, port = _serve(model, workers, "--collect", folder, "--collect-max-mb", round(limit_mb, 3),
                              "--threshold", EVERYTHING_UNCERTAIN)
        drive(port, requests, 8, count=warmup)
        before = resident_mb(server.pid)
        soak = drive(port, requests, 8, count=count)
        after = resident_mb(server.pid)
        metrics = _metrics(port)
        stop(server)
        saved = _images_in(folder)
        lines = (pathlib.Path(folder) / "readings.jsonl").read_text().count("\n")
    return {
        **soak, "collect_max_mb": round(limit_mb, 1), "images_saved": saved, "readings_jsonl_lines": lines,
        "skipped_at_the_limit": metric_total(metrics, "keras_captcha_collect_skipped_total") or 0,
        "memory_before_mb": before, "memory_after_mb": after, "memory_growth": round(after / before - 1, 4),
    }

