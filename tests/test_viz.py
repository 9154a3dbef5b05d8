import importlib.util
import shutil

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("matplotlib")

from matplotlib.colors import same_color

from keras_captcha import viz
from keras_captcha.core.vocabulary import Vocabulary
from keras_captcha.runtime.decode import Reading
from keras_captcha.runtime.metrics import NOTHING
from keras_captcha.training.options import TrainOptions
from keras_captcha.training.run import train

from helpers import TINY_MODEL, probabilities_for, write_captchas

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_training_curves_draw_training_and_validation_per_epoch(trained_run):
    run_dir, summary = trained_run
    figure = viz.training_curves(run_dir / "history.csv")
    assert [axes.get_title() for axes in figure.axes] == [title for _, title in viz.CURVES]
    for axes in figure.axes:
        lines = axes.get_lines()
        assert len(lines) == 2
        for line in lines:
            np.testing.assert_array_equal(line.get_xdata(), [1, 2])
    history = viz.read_history(run_dir / "history.csv")
    np.testing.assert_allclose(figure.axes[0].get_lines()[1].get_ydata(), history["val_loss"])


def test_training_curves_take_a_history_dict():
    history = {"loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 1.5], "cer": [1.3, 0.5, 0.1]}
    figure = viz.training_curves(history)
    loss_axes, accuracy_axes, cer_axes = figure.axes
    assert len(loss_axes.get_lines()[0].get_xdata()) == 3
    assert len(accuracy_axes.get_lines()[0].get_xdata()) == 0  # metric absent: an empty line
    assert cer_axes.get_ylim()[1] >= 1.3  # a CER above 1 stays in view


def test_sample_grid_titles_each_image_with_its_label(tmp_path):
    labels = ["ab1", "cd2", "e12", "abc", "dd1", "ce2"]
    paths = write_captchas(tmp_path, labels)
    figure = viz.sample_grid(list(zip(map(str, paths), labels)), columns=4)
    visible = [axes for axes in figure.axes if axes.get_visible()]
    assert len(figure.axes) == 8 and len(visible) == 6
    assert [axes.get_title() for axes in visible] == labels
    assert visible[0].get_images()[0].get_array().shape == (50, 200, 3)


def test_prediction_grid_shows_mistakes_first_in_red(tmp_path):
    labels = ["ab1", "cd2", "e12", "abc", "dd1", "ce2"]
    samples = list(zip(map(str, write_captchas(tmp_path, labels)), labels))
    texts = ["ab1", "cd", "e12", "abd", "dd1", "ce2"]
    predictions = [Reading(t, c, False, ()) for t, c in zip(texts, [0.9, 0.4, 0.8, 0.3, 0.7, 0.95])]
    figure = viz.prediction_grid(samples, predictions, columns=3)
    titles = [axes.title for axes in figure.axes if axes.get_visible()]
    assert [title.get_text() for title in titles[:2]] == ["cd2 -> cd (0.40)", "abc -> abd (0.30)"]
    assert sum(same_color(title.get_color(), viz.MISTAKE_COLOR) for title in titles) == 2
    right = ["ab1 (0.90)", "e12 (0.80)", "dd1 (0.70)", "ce2 (0.95)"]
    assert [title.get_text() for title in titles[2:]] == right
    assert figure.get_suptitle().startswith("4 of 6 read right")
    assert len(viz.prediction_grid(samples, predictions, limit=3).axes) == 3


def test_confusion_counts_every_aligned_pair_once():
    symbols, counts = viz.confusion_counts(["abc", "abcd", "ab"], ["abd", "abd", "abc"], "abcd")
    assert symbols == ["a", "b", "c", "d", NOTHING]
    index = symbols.index
    assert counts.shape == (5, 5) and counts.sum() == 3 + 4 + 3
    assert counts[index("c"), index("d")] == 1  # same length: position by position
    assert counts[index("c"), index(NOTHING)] == 1  # "abcd" -> "abd" missed the c
    assert counts[index(NOTHING), index("c")] == 1  # "ab" -> "abc" has an extra c
    assert np.trace(counts) == 2 + 3 + 2
    figure = viz.confusion_figure(["abc", "abcd", "ab"], ["abd", "abd", "abc"], "abcd")
    annotations = [text.get_text() for text in figure.axes[0].texts]
    assert sorted(annotations) == ["1", "1", "1"]
    assert figure.axes[0].get_title().startswith("3 character mistakes in 3 texts")


def test_label_histograms_count_lengths_and_characters():
    figure = viz.label_histograms(["ab", "abc", "bcd", "a"])
    length_axes, character_axes = figure.axes
    bars = {bar.get_x() + bar.get_width() / 2: bar.get_height() for bar in length_axes.patches}
    assert bars == {1: 1, 2: 1, 3: 2}
    assert [patch.get_height() for patch in character_axes.patches] == [3, 3, 2, 1]


def test_ctc_heatmap_aligns_image_and_steps_and_marks_emitted_characters():
    vocabulary = Vocabulary("abc")
    a, b, c = vocabulary.encode("abc")
    blank = vocabulary.blank_index
    ids = [blank, a, a, blank, b, blank, blank, c, blank, c] + [blank] * 22  # reads "abcc" over 32 steps
    probabilities = probabilities_for(ids, classes=4)[0]
    image = np.linspace(0, 1, 32 * 128, dtype="float32").reshape(32, 128, 1)
    figure = viz.ctc_heatmap(image, probabilities, vocabulary, target="abc")
    image_axes, heat_axes, colorbar_axes = figure.axes
    assert image_axes.get_xlim() == heat_axes.get_xlim() == (0, 32)
    assert heat_axes.get_images()[0].get_array().shape == (4, 32)  # classes x time steps
    assert [label.get_text() for label in heat_axes.get_yticklabels()] == vocabulary.class_names
    assert [text.get_text() for text in image_axes.texts] == ["a", "b", "c", "c"]
    assert [line.get_xdata()[0] for line in image_axes.get_lines()] == [1.5, 4.5, 7.5, 9.5]
    assert "read 'abcc'" in image_axes.get_title() and "target 'abc'" in image_axes.get_title()


def assert_png(path, size):
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        image.load()
        assert image.size == size


def test_train_writes_the_run_figures(trained_run):
    run_dir, summary = trained_run
    assert summary["validation_images"] == 4
    assert_png(run_dir / "training_curves.png", (1200, 340))  # 12 x 3.4 inches at 100 dpi
    assert_png(run_dir / "validation_predictions.png", (1040, 140))  # one row of 4 images


def test_write_run_figures_defaults_to_the_run_model_and_split(trained_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(trained_run[0], run_dir)
    for name in ("training_curves.png", "validation_predictions.png"):
        (run_dir / name).unlink()
    paths = viz.write_run_figures(run_dir)
    assert [path.name for path in paths] == ["training_curves.png", "validation_predictions.png"]
    assert_png(paths[0], (1200, 340))
    assert_png(paths[1], (1040, 140))


def test_train_without_matplotlib_writes_no_figures(tiny_dataset, tmp_path, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "matplotlib" else find_spec(name, *args),
    )
    run_dir = tmp_path / "run"
    train(tiny_dataset, run_dir, TrainOptions(epochs=1, verbose=0, model=TINY_MODEL))
    assert (run_dir / "model.keras").is_file()
    assert not list(run_dir.glob("*.png"))
