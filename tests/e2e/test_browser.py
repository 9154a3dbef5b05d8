"""The browser page in real headless Chromium: the same texts and probabilities as the Python runtime."""

import base64
import pathlib

import numpy as np
import pytest

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.variants import VARIANTS
from keras_captcha.runtime.litert import LiteRTPredictor

from helpers import CHROMIUM, CHROMIUM_ARGS, draw_captcha, encode_image, random_labels, start_server, static_server

ROOT = pathlib.Path(__file__).resolve().parents[2]
READ_ALL = """
async (encoded) => {
  const results = [];
  for (const b64 of encoded) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const reading = await window.readCaptcha(bytes);
    const probabilities = Array.from(await window.readCaptchaProbabilities(bytes));
    results.push({...reading, probabilities});
  }
  return results;
}
"""


@pytest.fixture(scope="module")
def page():
    if CHROMIUM is None:
        pytest.skip("no chromium (.ci/run installs it with apt-get)")
    if not (ROOT / "web" / "dist" / "app.js").is_file():
        pytest.skip("the page is not built: npm ci && npm run build in web/ (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    server, port = static_server(ROOT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 760, "height": 560})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"http://127.0.0.1:{port}/web/")
        page.wait_for_function("document.body.dataset.ready === 'true'", timeout=60_000)
        page.errors = errors
        yield page
        browser.close()
    server.shutdown()


def test_the_browser_reads_like_the_python_runtime(page):
    images = [encode_image(draw_captcha(label, seed=i)) for i, label in enumerate(random_labels(50, seed=3))]
    images += [encode_image(draw_captcha(label, mode="RGB", seed=i)) for i, label in enumerate(["2b4cd", "x7y3m"])]
    images += [encode_image(draw_captcha(label, mode="RGB", seed=i), "WEBP", lossless=lossless)
               for i, (label, lossless) in enumerate([("p3gd8", True), ("nm5x2", False)])]
    results = page.evaluate(READ_ALL, [base64.b64encode(image).decode() for image in images])
    python = LiteRTPredictor(shipped_model().with_name(VARIANTS["decoded"].file))
    expected = python.predict(images)
    assert [r["text"] for r in results] == [reading.text for reading in expected]
    probabilities = np.array([r["probabilities"] for r in results], dtype=np.float32)
    expected_probabilities = python.probabilities(python.preprocess(images)).reshape(len(images), -1)
    assert np.abs(probabilities - expected_probabilities).max() <= 1e-5
    for result, reading in zip(results, expected):
        assert result["confidence"] == pytest.approx(reading.confidence, abs=1e-5)
        assert [c["char"] for c in result["characters"]] == [char for char, _ in reading.characters]
    assert page.errors == []


def test_the_page_shows_a_read_and_switches_variants(page, tmp_path):
    image = tmp_path / "captcha.png"
    draw_captcha("2b4cd", seed=11).save(image)
    page.set_input_files("#file", str(image))
    page.wait_for_function("document.getElementById('text').textContent.length > 0")
    expected = LiteRTPredictor(shipped_model().with_name(VARIANTS["decoded"].file)).predict(image).text
    assert page.text_content("#text") == (expected or "(nothing read)")
    assert "ms" in page.text_content("#confidence")
    page.screenshot(path=str(tmp_path / "page.png"))
    assert (tmp_path / "page.png").read_bytes()[:4] == b"\x89PNG"
    page.select_option("#variant", "int8")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('int8')")
    assert page.errors == []


def test_keras_captcha_serve_serves_the_page_at_the_root(page):
    process, port = start_server("--model", shipped_model())
    try:
        browser_page = page.context.browser.new_page()
        browser_page.goto(f"http://127.0.0.1:{port}/")
        browser_page.wait_for_function("document.body.dataset.ready === 'true'", timeout=60_000)
        reading = browser_page.evaluate(
            "async (b64) => window.readCaptcha(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)))",
            base64.b64encode(encode_image(draw_captcha("2b4cd"))).decode(),
        )
        assert reading["text"] == LiteRTPredictor(shipped_model().with_name(VARIANTS["decoded"].file)).predict(
            encode_image(draw_captcha("2b4cd"))).text
        browser_page.close()
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_read_captcha_gives_the_answer_of_a_model_whose_card_has_a_rule(page, tmp_path):
    import json
    import shutil

    from keras_captcha.core.answers import RULES, answer
    from keras_captcha.core.card import CARD_NAME

    (tmp_path / "web").symlink_to(ROOT / "web")
    (tmp_path / "model").mkdir()
    shutil.copy(shipped_model().with_name(VARIANTS["decoded"].file), tmp_path / "model")
    card = json.loads(shipped_model().with_name(CARD_NAME).read_text())
    card["config"]["answer"] = RULES["arithmetic"]
    (tmp_path / "model" / CARD_NAME).write_text(json.dumps(card))
    images = [encode_image(draw_captcha(label, seed=i)) for i, label in enumerate(["2345", "6784", "2b4cd"])]
    server, port = static_server(tmp_path)
    other = page.context.browser.new_page()  # the module's browser, a page of its own
    try:
        other.goto(f"http://127.0.0.1:{port}/web/?models=../model/")
        other.wait_for_function("document.body.dataset.ready === 'true'", timeout=60_000)
        results = other.evaluate(READ_ALL, [base64.b64encode(image).decode() for image in images])
    finally:
        other.close()
        server.shutdown()
    for result in results:
        assert "answer" in result and result["answer"] == answer(result["text"], RULES["arithmetic"])
