"""Operating the server in one process: metrics, collecting uncertain readings, feedback, reload, tokens."""

import json
import re
import shutil

import pytest
from fastapi.testclient import TestClient

from keras_captcha.core.answers import RULES
from keras_captcha.core.assets import shipped_model
from keras_captcha.core.card import CARD_NAME
from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.variants import VARIANTS
from keras_captcha.runtime.datasets import list_images, list_samples
from keras_captcha.serving import create_app
from keras_captcha.serving.models import file_sha256
from keras_captcha.serving.options import ServeOptions

from helpers import draw_captcha, encode_image, metric_total

SHIPPED = shipped_model()
FLOAT_MODEL = SHIPPED.with_name(VARIANTS["float32"].file)
IMAGES = [encode_image(draw_captcha(text, seed=i)) for i, text in enumerate(["2b4cd", "x7y3m", "pp5g8"])]


def _client(**options):
    return TestClient(create_app(ServeOptions(models={"int8": str(options.pop("model", SHIPPED))}, **options)))


def _read(client, images=IMAGES, **headers):
    return client.post("/v1/read", files=[("image", ("c.png", image)) for image in images], headers=headers)


def _metric(client, name, **labels):
    """The value of the samples of `GET /metrics` named `name` with `labels` (None: there are none)."""
    return metric_total(client.get("/metrics").text, name, **labels)


def test_metrics_count_reads_by_outcome_requests_and_the_model_file():
    with _client(threshold=0.0) as client:
        assert _read(client).status_code == 200
        assert _read(client, [b"not an image"]).status_code == 400
        assert _metric(client, "keras_captcha_reads_total", model="int8", outcome="sure") == 3
        assert _metric(client, "keras_captcha_reads_total", model="int8", outcome="error") == 1
        assert _metric(client, "keras_captcha_read_seconds_count", model="int8") == 1
        assert _metric(client, "keras_captcha_confidence_count", model="int8") == 3
        assert _metric(client, "keras_captcha_requests_total", path="/v1/read", status="200") == 1
        assert _metric(client, "keras_captcha_requests_total", path="/v1/read", status="400") == 1
        client.get("/no/such/page")
        assert _metric(client, "keras_captcha_requests_total", path="other", status="404") == 1
        assert _metric(client, "keras_captcha_model_info", model="int8", sha256=file_sha256(SHIPPED)) == 1
        assert client.get("/metrics").headers["content-type"].startswith("text/plain")


def test_uncertain_readings_are_collected_with_an_id_and_answered_by_feedback(tmp_path):
    folder = tmp_path / "collected"
    with _client(threshold=0.9999, collect=str(folder)) as client:
        results = _read(client).json()["results"]
        client.app.state.collector.flush()
        uncertain = [result for result in results if result["uncertain"]]
        assert uncertain and all(re.fullmatch("[0-9a-f]{32}", result["id"]) for result in uncertain)
        assert all("id" not in result for result in results if not result["uncertain"])
        lines = [json.loads(line) for line in (folder / "readings.jsonl").read_text().splitlines()]
        assert [line["id"] for line in lines] == [result["id"] for result in uncertain]
        assert {"time", "model", "text", "confidence"} <= set(lines[0])
        assert len(list_images(folder)) == len(uncertain)  # what `train --unlabeled DIR` reads

        first, *rest = uncertain
        assert client.post("/v1/feedback", json={"id": first["id"], "label": "ab,c\"d"}).status_code == 200
        assert client.post("/v1/feedback", json={"id": first["id"], "label": "x"}).status_code == 409
        for result in rest:  # the reading as its label; an empty reading is no label
            answer = client.post("/v1/feedback", json={"id": result["id"], "correct": True})
            assert answer.status_code == (200 if result["text"] else 400)
            assert answer.json().get("label", "") == result["text"] or not result["text"]
        samples = list_samples(folder / "labels.csv")  # what `train --data DIR/labels.csv` reads
        assert sorted(label for _, label in samples) == sorted(["ab,c\"d"] + [r["text"] for r in rest if r["text"]])
        assert _metric(client, "keras_captcha_reads_total", model="int8", outcome="uncertain") == len(uncertain)
        assert _metric(client, "keras_captcha_collected_total", model="int8") == len(uncertain)


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"id": "0" * 32, "label": "abc"}, 404, "no collected reading"),
        ({"id": "../../etc/passwd", "label": "abc"}, 404, "no collected reading"),
        ({"id": "0" * 32}, 400, "either 'label'"),
        ({"id": "0" * 32, "label": "a", "correct": True}, 400, "either 'label'"),
        ({"id": "0" * 32, "correct": False}, 400, "'correct' must be true"),
        ({"id": 3, "label": "a"}, 400, "string 'id'"),
        ({"id": "0" * 32, "label": "a", "extra": 1}, 400, "unknown fields"),
        ([], 400, "string 'id'"),
    ],
)
def test_bad_feedback_is_a_one_line_4xx(tmp_path, body, status, message):
    with _client(collect=str(tmp_path / "collected")) as client:
        response = client.post("/v1/feedback", json=body)
        assert response.status_code == status and message in response.json()["error"]
        assert "\n" not in response.json()["error"]


def test_feedback_with_control_characters_is_refused(tmp_path):
    with _client(threshold=0.9999, collect=str(tmp_path / "c")) as client:
        [result, *_] = [r for r in _read(client).json()["results"] if r["uncertain"]]
        client.app.state.collector.flush()
        response = client.post("/v1/feedback", json={"id": result["id"], "label": "ab\x07"})
        assert response.status_code == 400 and "control characters" in response.json()["error"]
        assert client.post("/v1/feedback", content=b"{not json", headers={"content-type": "application/json"}
                           ).status_code == 400


def test_feedback_without_collect_is_404():
    with _client() as client:
        assert client.post("/v1/feedback", json={"id": "0" * 32, "label": "a"}).status_code == 404


def test_a_wrong_method_is_405_naming_the_right_one():
    with _client() as client:  # no page mounted at /: Starlette's own 405, in the server's words
        response = client.get("/v1/read")
        assert (response.status_code, response.json(), response.headers["allow"]) == (
            405, {"error": "GET /v1/read: send POST"}, "POST")
        assert client.post("/health").json() == {"error": "POST /health: send GET"}


def test_collection_stops_at_its_size_limit_and_counts_what_it_skips(tmp_path):
    folder = tmp_path / "collected"
    image_bytes = len(IMAGES[0]) + 256
    with _client(threshold=0.9999, collect=str(folder), collect_max_mb=2.5 * image_bytes / 2**20) as client:
        for _ in range(4):
            _read(client, IMAGES[:1])
        client.app.state.collector.flush()
        assert len(list_images(folder)) == 2
        assert _metric(client, "keras_captcha_collect_skipped_total") == 2


def test_a_folder_that_cannot_be_written_is_one_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(CaptchaError, match="--collect .*file/sub: cannot write there"):
        create_app(ServeOptions(models={"m": str(SHIPPED)}, collect=str(tmp_path / "file" / "sub")))


def _model_copy(folder, source=SHIPPED):
    folder.mkdir(exist_ok=True)
    shutil.copy(SHIPPED.with_name(CARD_NAME), folder / CARD_NAME)
    shutil.copy(source, folder / "model.tflite")
    return folder / "model.tflite"


def test_reload_swaps_in_a_changed_file_and_keeps_the_old_model_for_a_broken_one(tmp_path):
    model = _model_copy(tmp_path / "model")
    with _client(model=model, admin_token="s3cret") as client:
        before = client.post("/v1/read", files=[("image", ("c.png", IMAGES[0]))]).json()
        shutil.copy(FLOAT_MODEL, model)
        assert client.post("/v1/reload").status_code == 401
        reloaded = client.post("/v1/reload", headers={"authorization": "Bearer s3cret"}).json()["models"]
        assert reloaded == [{"model": "int8", "reloaded": True, "sha256": file_sha256(FLOAT_MODEL)}]
        assert _metric(client, "keras_captcha_model_info", model="int8", sha256=file_sha256(FLOAT_MODEL)) == 1
        assert _metric(client, "keras_captcha_model_info", model="int8", sha256=file_sha256(SHIPPED)) == 0
        model.write_bytes(b"broken")
        [kept] = client.post("/v1/reload", headers={"authorization": "Bearer s3cret"}).json()["models"]
        assert kept["reloaded"] is False and "model.tflite" in kept["error"]
        assert _metric(client, "keras_captcha_reload_errors_total", model="int8") == 1
        after = client.post("/v1/read", files=[("image", ("c.png", IMAGES[0]))]).json()
        assert after["results"][0]["text"] == before["results"][0]["text"]


def test_reload_over_http_is_off_without_an_admin_token():
    with _client() as client:
        assert client.post("/v1/reload", headers={"authorization": "Bearer x"}).status_code == 404


def test_a_token_file_guards_the_read_endpoints_but_not_health_or_metrics(tmp_path):
    (tmp_path / "token").write_text("  t0ken\n")
    with _client(token_file=str(tmp_path / "token")) as client:
        denied = _read(client)
        assert denied.status_code == 401 and denied.headers["www-authenticate"] == "Bearer"
        assert "Bearer" in denied.json()["error"]
        assert _read(client, authorization="Bearer wrong").status_code == 401
        assert _read(client, authorization="Bearer t0ken").status_code == 200
        assert client.get("/v1/models").status_code == 401
        assert client.get("/health").status_code == 200 and client.get("/metrics").status_code == 200


def test_no_metrics_counts_nothing_and_has_no_metrics_page():
    with _client(metrics=False, threshold=0.9999) as client:
        assert _read(client).status_code == 200
        assert client.get("/metrics").status_code == 404


def _rule_carrying_copy(folder):
    """The shipped int8 file with a card that gives it the arithmetic rule (its digits then answer themselves)."""
    model = _model_copy(folder)
    card = json.loads((folder / CARD_NAME).read_text())
    card["config"]["answer"] = RULES["arithmetic"]
    (folder / CARD_NAME).write_text(json.dumps(card))
    return model


def test_results_carry_the_answer_for_a_model_with_a_rule_only(tmp_path):
    with _client(model=_rule_carrying_copy(tmp_path / "rule")) as client:
        results = _read(client).json()["results"]
        assert all("answer" in result for result in results)
        for result in results:
            assert result["answer"] == (int(result["text"]) if result["text"].isdigit() else None)
    with _client() as client:
        assert all("answer" not in result for result in _read(client).json()["results"])
