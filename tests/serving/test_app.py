"""The HTTP server, run for real on 127.0.0.1: reads, every client mistake as a one-line 4xx, graceful SIGTERM."""

import base64
import http.client
import json
import signal
import time

import pytest

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.variants import VARIANTS
from keras_captcha.runtime.litert import LiteRTPredictor

from helpers import draw_captcha, encode_image, http_request, multipart_body, png_of_size, start_server

SHIPPED = shipped_model()
FLOAT_MODEL = SHIPPED.with_name(VARIANTS["float32"].file)
LABELS = ["2b4cd", "x7y3m", "pp5g8"]


@pytest.fixture(scope="module")
def server():
    process, port = start_server("--model", SHIPPED, "--model", f"float={FLOAT_MODEL}", "--max-body-bytes", 300_000,
                           "--max-images", 4)
    yield port
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)


def _images():
    return [encode_image(draw_captcha(label, seed=i)) for i, label in enumerate(LABELS)]


def _expected(model=SHIPPED, allowed=None):
    return [reading.to_dict() for reading in LiteRTPredictor(model, allowed=allowed).predict(_images())]


def _read_multipart(port, files, fields=()):
    body, content_type = multipart_body([("image", "captcha.png", data) for data in files], fields)
    return http_request(port, "POST", "/v1/read", body, {"content-type": content_type})


def _read_json(port, payload, query=""):
    return http_request(port, "POST", f"/v1/read{query}", json.dumps(payload), {"content-type": "application/json"})


def _close(results, expected):
    assert [r["text"] for r in results] == [e["text"] for e in expected]
    for got, want in zip(results, expected):
        assert got["confidence"] == pytest.approx(want["confidence"], abs=1e-6)
        assert got["characters"] == [{"char": c["char"], "confidence": pytest.approx(c["confidence"], abs=1e-6)}
                                     for c in want["characters"]]


def test_both_request_forms_read_every_image_in_order(server):
    status, content_type, body = _read_multipart(server, _images())
    assert status == 200 and content_type == "application/json"
    answer = json.loads(body)
    assert answer["model"] == SHIPPED.stem
    _close(answer["results"], _expected())
    encoded = [base64.b64encode(image).decode() for image in _images()]
    status, _, body = _read_json(server, {"images": encoded, "model": "float", "allowed": "2345678"})
    assert status == 200 and json.loads(body)["model"] == "float"
    _close(json.loads(body)["results"], _expected(FLOAT_MODEL, allowed="2345678"))
    status, _, body = _read_json(server, {"images": [f"data:image/png;base64,{image}" for image in encoded]})
    assert status == 200
    _close(json.loads(body)["results"], _expected())


def test_an_image_as_the_body_reads_with_the_query_fields(server):
    image = _images()[1]
    status, _, body = http_request(server, "POST", "/v1/read?model=float&allowed=2345678", image,
                                   {"content-type": "image/png"})
    assert status == 200 and json.loads(body)["model"] == "float"
    _close(json.loads(body)["results"], _expected(FLOAT_MODEL, allowed="2345678")[1:2])
    status, _, body = http_request(server, "POST", "/v1/read", image, {"content-type": "application/octet-stream"})
    assert status == 200
    _close(json.loads(body)["results"], _expected()[1:2])


def test_health_models_and_docs(server):
    status, _, body = http_request(server, "GET", "/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    listed = json.loads(http_request(server, "GET", "/v1/models")[2])
    assert listed["default"] == SHIPPED.stem
    assert [model["name"] for model in listed["models"]] == [SHIPPED.stem, "float"]
    assert listed["models"][0]["card"]["config"]["charset"] == LiteRTPredictor(SHIPPED).config.charset
    assert http_request(server, "GET", "/docs")[0] == 200
    schema = json.loads(http_request(server, "GET", "/openapi.json")[2])
    assert "/v1/read" in schema["paths"]


def _hostile(port):
    """(name, response) for every client mistake the issue lists."""
    good = encode_image(draw_captcha("2b4cd"))
    text_file = b"just some words"
    yield "truncated", _read_multipart(port, [good[: len(good) // 2]])
    yield "empty", _read_multipart(port, [b""])
    yield "not an image", _read_multipart(port, [text_file])
    yield "over the pixel limit", _read_multipart(port, [png_of_size(5000, 5000)])
    yield "no image field", _read_multipart(port, [], fields=[("model", "float")])
    yield "image as text", http_request(port, "POST", "/v1/read", *_text_image_field())
    yield "malformed json", http_request(port, "POST", "/v1/read", "{nope", {"content-type": "application/json"})
    yield "bad base64", _read_json(port, {"images": ["@@not base64@@"]})
    yield "data URL not base64", _read_json(port, {"images": ["data:image/png,@@"]})
    yield "images not a list", _read_json(port, {"images": "abc"})
    yield "images not strings", _read_json(port, {"images": [1, 2]})
    yield "json not an object", _read_json(port, ["x"])
    yield "unknown model", _read_json(port, {"images": [base64.b64encode(good).decode()], "model": "nope"})
    yield "allowed the model lacks", _read_multipart(port, [good], fields=[("allowed", "Z!")])
    yield "body over the limit", _read_multipart(port, [b"x" * 400_000])
    yield "unsupported content type", http_request(port, "POST", "/v1/read", b"hi", {"content-type": "text/plain"})
    yield "empty image body", http_request(port, "POST", "/v1/read", b"", {"content-type": "image/png"})
    yield "not an image body", http_request(port, "POST", "/v1/read", text_file, {"content-type": "image/png"})
    yield "model twice", _read_json(port, {"images": [base64.b64encode(good).decode()], "model": "float"},
                                    query="?model=nope")
    yield "too many images", _read_multipart(port, [good] * 5)
    yield "read by GET", http_request(port, "GET", "/v1/read")
    yield "broken multipart", http_request(port, "POST", "/v1/read", b"--x\r\nbroken",
                                       {"content-type": "multipart/form-data; boundary=x"})


def _text_image_field():
    body, content_type = multipart_body([], [("image", "not a file")])
    return body, {"content-type": content_type}


EXPECTED_STATUS = {"body over the limit": 413, "unsupported content type": 415, "read by GET": 405}


def test_every_client_mistake_is_a_one_line_4xx_and_the_server_keeps_serving(server):
    for name, (status, content_type, body) in _hostile(server):
        assert status == EXPECTED_STATUS.get(name, 400), (name, status, body)
        assert content_type == "application/json", name
        error = json.loads(body)["error"]
        assert error and "\n" not in error and "Traceback" not in error, name
    status, _, body = _read_multipart(server, _images())
    assert status == 200
    _close(json.loads(body)["results"], _expected())


def test_errors_name_the_image_and_the_problem(server):
    status, _, body = _read_multipart(server, [encode_image(draw_captcha("2b4cd")), b"junk"])
    assert status == 400 and json.loads(body)["error"].startswith("image 2: not a readable image")
    status, _, body = _read_multipart(server, [png_of_size(5000, 5000)])
    assert "5000x5000 image is larger than the 16777216-pixel limit" in json.loads(body)["error"]
    status, _, body = http_request(server, "POST", "/v1/read", b"junk", {"content-type": "image/png"})
    assert status == 400 and json.loads(body)["error"].startswith("the body: not a readable image")
    status, _, body = http_request(server, "GET", "/v1/read")  # the browser page's mount at / must not say 404
    assert status == 405 and json.loads(body)["error"] == "GET /v1/read: send POST"


def test_sigterm_answers_the_request_in_flight_then_exits_0():
    process, port = start_server("--model", SHIPPED, "--max-images", 64)
    body, content_type = multipart_body([("image", "c.png", encode_image(draw_captcha("2b4cd", seed=i)))
                                         for i in range(64)])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.putrequest("POST", "/v1/read")
    connection.putheader("content-type", content_type)
    connection.putheader("content-length", str(len(body)))
    connection.endheaders()
    connection.send(body[:1000])  # the request is in flight: its headers are in, its body is not
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    connection.send(body[1000:])
    response = connection.getresponse()
    answer = json.loads(response.read())
    out, err = process.communicate(timeout=60)
    assert response.status == 200 and len(answer["results"]) == 64
    assert process.returncode == 0, err[-2000:]
    [access] = [line for line in err.splitlines() if "POST /v1/read" in line]
    assert " 200 " in access and access.endswith("images=64")
    assert _connection_refused(port)


def _connection_refused(port):
    try:
        http_request(port, "GET", "/health")
    except ConnectionRefusedError:
        return True
    return False


def test_serve_refuses_a_bad_model_or_address_in_one_line(tmp_path, capsys, taken_port):
    from helpers import assert_user_error

    assert_user_error(capsys, ["serve", "--model", tmp_path / "missing.tflite"], "missing.tflite: no such model")
    assert_user_error(capsys, ["serve", "--model", f"a={SHIPPED}", "--model", f"a={FLOAT_MODEL}"], "two models")
    (tmp_path / "file").write_text("x")
    assert_user_error(capsys, ["serve", "--collect", tmp_path / "file" / "sub"], "cannot write there")
    assert_user_error(capsys, ["serve", "--token-file", tmp_path / "absent"], "absent: no such file")
    (tmp_path / "empty").write_text("\n")
    assert_user_error(capsys, ["serve", "--token-file", tmp_path / "empty"], "empty: the file is empty")
    assert_user_error(capsys, ["serve", "--port", taken_port],
                      f"cannot listen on 127.0.0.1:{taken_port}: Address already in use")
