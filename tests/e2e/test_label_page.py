"""`keras-captcha label` in headless Chromium: 20 captchas labelled by keyboard alone, across a SIGKILL."""

import re
import signal

import pytest

from keras_captcha.runtime.datasets import image_files, list_samples

from helpers import CHROMIUM, CHROMIUM_ARGS, free_port, random_labels, start_command, write_captchas

LABELS = random_labels(20, charset="abcdefgh2345678", lengths=(4, 6), seed=11)


def _start(tmp_path, port, log):
    process, _ = start_command("label", "--data", tmp_path / "pool", "--out", tmp_path / "labels.csv", "--no-browser",
                               port=port, log=log, ready="/")
    return process


def _shown(page):
    page.wait_for_function("document.getElementById('label').disabled === false", timeout=10_000)
    src = page.get_attribute("#captcha", "src") or ""
    match = re.search(r"/images/(img\d+)$", src)
    return match.group(1) if match else None


def _type_and_enter(page, text):
    before = page.get_attribute("#captcha", "src")
    page.keyboard.type(text)  # the prefill is selected: typing replaces it
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.getElementById('captcha').getAttribute('src') !== {before!r}"
                           " || document.getElementById('done').style.display === 'block'", timeout=10_000)


def test_label_twenty_captchas_by_keyboard_with_a_kill_and_a_restart(tmp_path):
    if CHROMIUM is None:
        pytest.skip("no chromium (.ci/run installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    write_captchas(tmp_path / "pool", LABELS)
    truth = {f"img{index}": path.stem for index, path in enumerate(image_files(tmp_path / "pool"))}
    port, log = free_port(), open(tmp_path / "label.log", "w")
    process = _start(tmp_path, port, log)
    asked = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function("document.body.dataset.ready === 'true'")
        assert page.evaluate("document.activeElement.id") == "label"
        first = _shown(page)
        _type_and_enter(page, "wrong")             # a mistake...
        page.keyboard.press("ArrowUp")             # ...goes back to it
        assert _shown(page) == first and page.input_value("#label") == "wrong"
        _type_and_enter(page, truth[first])        # ...and corrects it
        asked.append(first)
        skipped = _shown(page)
        page.keyboard.press("ArrowDown")           # skipped: asked again later
        assert _shown(page) != skipped
        while len(asked) < 10:
            image = _shown(page)
            asked.append(image)
            _type_and_enter(page, truth[image])
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert sorted(label for _, label in list_samples(tmp_path / "labels.csv")) == sorted(truth[i] for i in asked)

        process = _start(tmp_path, port, log)      # the same --out: resumes
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function("document.body.dataset.ready === 'true'")
        assert page.inner_text("#counter").startswith("10 / 20")
        while page.evaluate("document.getElementById('done').style.display") != "block":
            image = _shown(page)
            assert image not in asked, f"{image} was asked twice"
            asked.append(image)
            _type_and_enter(page, truth[image])
        timings = page.evaluate("window.labelTimings")
        browser.close()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    log.close()
    assert sorted(list_samples(tmp_path / "labels.csv")) == sorted(
        (str(path.resolve()), path.stem) for path in image_files(tmp_path / "pool")
    )
    assert len(timings) >= 9  # the page timed each next image (benchmarks/labelling.py reports them)


def test_the_command_refuses_empty_folders_bad_outputs_and_a_taken_port(tmp_path, capsys, taken_port):
    from helpers import assert_user_error

    (tmp_path / "empty").mkdir()
    assert_user_error(capsys, ["label", "--data", tmp_path / "empty", "--out", tmp_path / "l.csv", "--no-browser"],
                      "no readable images")
    write_captchas(tmp_path / "pool", ["ab1"])
    assert_user_error(capsys, ["label", "--data", tmp_path / "pool", "--out", tmp_path / "no" / "l.csv",
                               "--no-browser"], "does not exist")
    (tmp_path / "other.csv").write_text("x,y,z\n")
    assert_user_error(capsys, ["label", "--data", tmp_path / "pool", "--out", tmp_path / "other.csv",
                               "--no-browser"], "not a labels CSV")
    assert_user_error(capsys, ["label", "--data", tmp_path / "pool", "--out", tmp_path / "l.csv", "--port", taken_port,
                               "--no-browser"], f"cannot listen on 127.0.0.1:{taken_port}: Address already in use")
