"""Labelling speed: `keras-captcha label` against `triage` + editing the CSV, by a scripted typist.

    python benchmarks/labelling.py [--images 1000] [--count 50] [--screenshot docs/labelling.png]

Draws `--images` captchas (`keras_captcha.testing`, seeded), then:

* starts `keras-captcha label` on them (the default model, the general
  reader) and opens the page in headless Chromium: seconds from the command's
  start to the page ready (every image read, the first shown);
* labels `--count` of them as a typist at `--keys-per-second` (5) would: each
  image takes Enter when the prefill is right, else the label and Enter;
  the time is the keystrokes at that pace plus the page's own waits, measured
  (Enter to the next image on screen, which includes the label's fsync);
* counts the same work through `keras-captcha triage --top COUNT` and a text
  editor: per row, 3 keys to see its image in a viewer beside the editor
  (switch, next, switch back), End, and when the prefill is wrong a
  select-the-word key and the label, then Down to the next row; the time is
  those keystrokes at the same pace plus the triage command's wall time.

Prints one JSON object. Nothing else should run on the machine meanwhile.
"""

import argparse
import statistics
import subprocess
import sys
import pathlib
import tempfile
import time

from keras_captcha.core.assets import general_reader
from keras_captcha.runtime.datasets import image_files, list_samples
from keras_captcha.testing import CHROMIUM, CHROMIUM_ARGS, draw_captcha, free_port, random_labels

from common import emit
from load import start, stop


def _draw(folder, count):
    folder.mkdir(parents=True)
    labels = random_labels(count, charset="abcdefghkmnpqrstuvwxyz2345678", lengths=(4, 6), seed=21)
    truth = {}
    for index, label in enumerate(labels):
        path = folder / f"c{index:04d}.png"  # names say nothing of the label
        draw_captcha(label, seed=index).save(path)
        truth[str(path)] = label
    return truth


def page_typist(folder, truth, count, keys_per_second, screenshot):
    from playwright.sync_api import sync_playwright

    port = free_port()
    started = time.perf_counter()
    process = start([sys.executable, "-m", "keras_captcha.cli", "label", "--data", str(folder),
                     "--out", str(folder.parent / "labels.csv"), "--port", str(port), "--no-browser"], port, health="/")
    ids = {f"img{index}": str(path) for index, path in enumerate(image_files(folder))}
    keys = right = 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 760, "height": 620})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function("document.body.dataset.ready === 'true'", timeout=60_000)
            ready = time.perf_counter() - started
            for _ in range(count):
                image_id = page.get_attribute("#captcha", "src").rsplit("/", 1)[1]
                label, prefill = truth[ids[image_id]], page.input_value("#label")
                if prefill == label:
                    right += 1
                else:
                    page.keyboard.type(label)
                    keys += len(label)
                page.keyboard.press("Enter")
                keys += 1
                page.wait_for_function(f"window.labelTimings.length === {_ + 1}", timeout=10_000)
            waits = page.evaluate("window.labelTimings")
            if screenshot:
                page.screenshot(path=screenshot)
            browser.close()
    finally:
        stop(process)
    written = list_samples(folder.parent / "labels.csv")
    assert all(label == truth[path] for path, label in written) and len(written) == count
    return {
        "ready_seconds": round(ready, 2), "keystrokes": keys, "prefills_right": right,
        "next_image_ms_median": round(statistics.median(waits), 1), "next_image_ms_max": round(max(waits), 1),
        "seconds": round(keys / keys_per_second + sum(waits) / 1000, 1),
    }


def csv_editor(folder, truth, count, keys_per_second):
    out = folder.parent / "triage.csv"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "keras_captcha.cli", "triage", "--data", str(folder), "--top", str(count),
                    "--out", str(out), "--model", str(general_reader())], check=True, capture_output=True)
    triage_seconds = time.perf_counter() - started
    keys = right = 0
    for path, prefill in list_samples(out):
        keys += 3 + 1 + 1  # see the image (switch, next, switch back), End, Down
        if prefill == truth[path]:
            right += 1
        else:
            keys += 1 + len(truth[path])  # select the word, type the label
    return {"triage_seconds": round(triage_seconds, 2), "keystrokes": keys, "prefills_right": right,
            "seconds": round(keys / keys_per_second + triage_seconds, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--keys-per-second", type=float, default=5.0)
    parser.add_argument("--screenshot", help="write the page after the labelling here (a PNG)")
    args = parser.parse_args()
    if CHROMIUM is None:
        sys.exit("needs chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as scratch:
        page_folder = pathlib.Path(scratch) / "page" / "images"
        truth = _draw(page_folder, args.images)
        page = page_typist(page_folder, truth, args.count, args.keys_per_second, args.screenshot)
        csv_folder = pathlib.Path(scratch) / "csv" / "images"
        csv_truth = _draw(csv_folder, args.images)
        editor = csv_editor(csv_folder, csv_truth, args.count, args.keys_per_second)
    emit({
        "images": args.images, "labelled": args.count, "keys_per_second": args.keys_per_second,
        "model": str(general_reader()), "label_page": page, "triage_and_csv": editor,
        "speedup": round(editor["seconds"] / page["seconds"], 2),
        "keystroke_ratio": round(editor["keystrokes"] / page["keystrokes"], 2),
    })


if __name__ == "__main__":
    main()
