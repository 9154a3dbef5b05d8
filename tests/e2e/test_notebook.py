import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: Figures explore_captchas.ipynb displays: samples, histograms, live curves,
#: curves from history.csv, predictions, confusion, CTC heat map.
FIGURES = 7


def test_notebooks_are_committed_without_outputs():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"
    stored = [
        f"{path.name} cell {index}"
        for path in NOTEBOOKS
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not stored, f"strip outputs and execution counts before committing: {stored}"


def test_explore_notebook_runs_top_to_bottom(real_data, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("KERAS_CAPTCHA_DATA", str(real_data))
    monkeypatch.setenv("KERAS_CAPTCHA_NOTEBOOK_EPOCHS", "2")
    monkeypatch.setenv("KERAS_CAPTCHA_NOTEBOOK_OUT", str(tmp_path))
    notebook = nbformat.read(NOTEBOOK_DIR / "explore_captchas.ipynb", as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},  # run in notebooks/, as Jupyter does
    )
    client.execute()  # raises CellExecutionError naming the failing cell

    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    figures = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(figures) == FIGURES
    printed = "".join(output.text for output in outputs if output.output_type == "stream")
    assert "epochs: 2" in printed and "validation images: accuracy" in printed
    for name in ("model.keras", "history.csv", "training_curves.png", "validation_predictions.png"):
        assert (tmp_path / "run" / name).is_file(), name
    assert (tmp_path / "exported" / "captcha_float32.tflite").is_file()
