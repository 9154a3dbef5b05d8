"""Reloading a running server: SIGHUP swaps every worker's model under load with no error, and /metrics
sums the workers (prometheus_client's multiprocess mode)."""

import concurrent.futures
import json
import re
import shutil
import signal
import threading
import time

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.card import CARD_NAME
from keras_captcha.core.variants import VARIANTS
from keras_captcha.runtime.litert import LiteRTPredictor
from keras_captcha.serving.models import file_sha256

from helpers import draw_captcha, encode_image, http_request, metric_total, multipart_body, start_server

SHIPPED = shipped_model()
FLOAT_MODEL = SHIPPED.with_name(VARIANTS["float32"].file)


def _agreed_images():
    """Captchas the int8 and the float32 file read alike, with that text."""
    images = [encode_image(draw_captcha(text, seed=i)) for i, text in enumerate(["2b4cd", "x7y3m", "pp5g8", "gd7mn"])]
    int8, float32 = (LiteRTPredictor(path).predict(images) for path in (SHIPPED, FLOAT_MODEL))
    return [(image, a.text) for image, a, b in zip(images, int8, float32) if a.text == b.text]


def _metrics(port):
    status, _, body = http_request(port, "GET", "/metrics")
    assert status == 200
    return body.decode()


def test_sighup_reloads_every_worker_under_load_without_an_error(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(SHIPPED.with_name(CARD_NAME), folder / CARD_NAME)
    model = folder / "model.tflite"
    shutil.copy(SHIPPED, model)
    cases = _agreed_images()
    assert cases
    log = open(tmp_path / "server.log", "w")
    process, port = start_server("--model", f"m={model}", "--workers", 2, log=log)
    stop, failures, answers = threading.Event(), [], [0]

    def load():
        while not stop.is_set():
            image, text = cases[answers[0] % len(cases)]
            body, content_type = multipart_body([("image", "c.png", image)])
            status, _, reply = http_request(port, "POST", "/v1/read", body, {"content-type": content_type})
            if status != 200 or json.loads(reply)["results"][0]["text"] != text:
                failures.append((status, reply[:200]))
            answers[0] += 1

    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            runs = [pool.submit(load) for _ in range(8)]
            for index in range(4):
                time.sleep(0.5)
                shutil.copy(FLOAT_MODEL if index % 2 == 0 else SHIPPED, model)
                process.send_signal(signal.SIGHUP)
            time.sleep(1.0)
            model.write_bytes(b"a deploy gone wrong")
            process.send_signal(signal.SIGHUP)
            time.sleep(1.0)
            stop.set()
            for run in runs:
                run.result()
        assert not failures and answers[0] > 50
        metrics = _metrics(port)
        assert metric_total(metrics, "keras_captcha_model_info", model="m", sha256=file_sha256(SHIPPED)) == 1
        assert metric_total(metrics, "keras_captcha_reload_errors_total") == 2  # one per worker, each keeping its model
        assert metric_total(metrics, "keras_captcha_reads_total") == answers[0]  # summed over both workers
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        log.close()
    err = (tmp_path / "server.log").read_text()
    assert process.returncode == 0, err[-2000:]
    assert len(re.findall(r"reload: kept model m as it was", err)) == 2
