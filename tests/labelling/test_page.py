"""The labelling page's HTTP side in one process: images only by id, the Host check, the token and origin check."""

import gc
import warnings

import pytest

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.datasets import list_samples
from keras_captcha.runtime.litert import LiteRTPredictor

from helpers import write_captchas

pytest.importorskip("fastapi")  # the [serve] extra
from fastapi.testclient import TestClient  # noqa: E402

from keras_captcha.labelling.page import create_label_app, serve_label_page  # noqa: E402
from keras_captcha.labelling.session import LabelSession  # noqa: E402

HOST = {"host": "127.0.0.1:8123"}


@pytest.fixture
def client(tmp_path):
    write_captchas(tmp_path / "pool", ["ab1", "c2d"])
    (tmp_path / "secret.txt").write_text("not for the page")
    session = LabelSession(tmp_path / "pool", tmp_path / "labels.csv", LiteRTPredictor(shipped_model()))
    app = create_label_app(session, "127.0.0.1", 8123, token="t0k")
    with TestClient(app, base_url="http://127.0.0.1:8123") as client:
        client.tmp_path = tmp_path
        yield client


def _post(client, path, body, **headers):
    return client.post(path, json=body, headers={"x-label-token": "t0k", **headers})


def test_the_page_carries_its_token_and_images_are_served_by_id_only(client):
    page = client.get("/")
    assert page.status_code == 200 and 'content="t0k"' in page.text
    state = client.get("/api/state").json()
    first = state["queue"][0]["id"]
    assert client.get(f"/images/{first}").headers["content-type"] == "image/png"
    for bad in ("../secret.txt", "..%2Fsecret.txt", "%2e%2e/secret.txt", "/etc/passwd", "img99", "ab1.png",
                str(client.tmp_path / "secret.txt")):
        response = client.get(f"/images/{bad}")
        assert response.status_code == 404, bad
        assert response.headers["content-type"] == "application/json"


def test_labels_are_written_and_bad_ones_refused(client):
    first = client.get("/api/state").json()["queue"][0]["id"]
    answer = _post(client, "/api/labels", {"id": first, "label": "a,\"b"})
    assert answer.status_code == 200 and answer.json()["labelled"] == 1
    assert [label for _, label in list_samples(client.tmp_path / "labels.csv")] == ['a,"b']
    for body, status in (({"id": first, "label": "x\ty"}, 400), ({"id": first, "label": ""}, 400),
                         ({"id": "img99", "label": "x"}, 404), ({"label": "x"}, 400), ([], 400)):
        response = _post(client, "/api/labels", body)
        assert response.status_code == status and "\n" not in response.json()["error"], body


def test_foreign_hosts_origins_and_tokenless_posts_are_refused(client):
    first = client.get("/api/state").json()["queue"][0]["id"]
    rebound = client.get("/api/state", headers={"host": "evil.example:8123"})
    assert rebound.status_code == 403 and "Host" in rebound.json()["error"]
    assert _post(client, "/api/labels", {"id": first, "label": "x"}, origin="http://evil.example").status_code == 403
    no_token = client.post("/api/labels", json={"id": first, "label": "x"})
    assert no_token.status_code == 403 and "token" in no_token.json()["error"]
    assert not (client.tmp_path / "labels.csv").exists()
    assert _post(client, "/api/labels", {"id": first, "label": "x"}, origin="http://127.0.0.1:8123").status_code == 200
    assert client.get("/api/state", headers={"host": "localhost:8123"}).status_code == 200


def test_a_folder_it_refuses_closes_the_socket_it_bound(tmp_path):
    (tmp_path / "empty").mkdir()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(CaptchaError, match="empty: no readable images"):
            serve_label_page(tmp_path / "empty", tmp_path / "labels.csv", None, port=0, open_browser=False)
        gc.collect()  # a socket left open warns when it is collected
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
