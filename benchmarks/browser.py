"""The model in headless Chromium: read latency end to end and page load to ready; the README's screenshot.

    python benchmarks/browser.py          # after: cd web && npm ci && npm run build

Serves the repository root on 127.0.0.1, opens /web/ in Chromium (Debian's,
through Playwright) and prints JSON: milliseconds from navigation to the
model being ready (median of `--loads` fresh pages), and the median and p90
of `--reads` reads of generated captchas (image file bytes -> text:
decoding, preprocessing, the model and CTC decoding, all in the page) after
`--warmup` reads, for the default (decoded int8) model. Writes
docs/browser.png: the page after reading a generated captcha.
"""

import argparse
import base64
import pathlib
import statistics
import sys

from keras_captcha.testing import CHROMIUM, CHROMIUM_ARGS, draw_captcha, encode_image, random_labels, static_server

from common import emit

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIME_READS = """
async ([encoded, warmup]) => {
  const images = encoded.map((b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  const times = [];
  for (let i = 0; i < images.length; i++) {
    const started = performance.now();
    await window.readCaptcha(images[i]);
    if (i >= warmup) times.push(performance.now() - started);
  }
  return times;
}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--screenshot", default=str(ROOT / "docs" / "browser.png"))
    args = parser.parse_args()
    if CHROMIUM is None or not (ROOT / "web" / "dist" / "app.js").is_file():
        sys.exit("needs chromium and the built page (cd web && npm ci && npm run build)")
    from playwright.sync_api import sync_playwright

    labels = random_labels(args.warmup + args.reads, charset="2345678bcdefgmnpwxy", lengths=(5, 5), seed=5)
    encoded = [base64.b64encode(encode_image(draw_captcha(label, seed=i))).decode() for i, label in enumerate(labels)]
    server, port = static_server(ROOT)
    url = f"http://127.0.0.1:{port}/web/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        loads = []
        for _ in range(args.loads):
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("document.body.dataset.ready === 'true'", timeout=60_000)
            loads.append(page.evaluate("performance.now()"))  # ms since this page's navigation began
            page.close()
        page = browser.new_page(viewport={"width": 760, "height": 520})
        page.goto(url)
        page.wait_for_function("document.body.dataset.ready === 'true'", timeout=60_000)
        times = sorted(page.evaluate(TIME_READS, [encoded, args.warmup]))
        screenshot_image = ROOT / "runs" / "browser_captcha.png"
        screenshot_image.parent.mkdir(exist_ok=True)
        draw_captcha("b4x7n", seed=1).save(screenshot_image)
        page.set_input_files("#file", str(screenshot_image))
        page.wait_for_function("document.getElementById('text').textContent.length > 0")
        page.screenshot(path=args.screenshot)
        browser.close()
    server.shutdown()
    emit({
        "chromium": CHROMIUM,
        "page_load_to_ready_ms": round(statistics.median(loads), 1),
        "loads": [round(load, 1) for load in loads],
        "reads": len(times),
        "read_ms_median": round(statistics.median(times), 3),
        "read_ms_p90": round(times[int(len(times) * 0.9)], 3),
        "screenshot": args.screenshot,
    })


if __name__ == "__main__":
    main()
