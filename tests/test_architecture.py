"""The import graph: imports run one way through the layers, and the runtime layer never reaches TensorFlow."""

import ast
import pathlib

from helpers import run_without_tensorflow

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "keras_captcha"
#: Layers in import order: a module may import its own layer's modules and earlier layers'.
LAYERS = [
    ("errors", "vocabulary", "config", "variants"),
    ("preprocess", "decode", "samples", "card", "predictor", "lite", "onnx_runtime", "loading", "triage", "pseudo_labels"),
    ("data", "loss", "model", "keras_predictor", "compat", "distribute", "warm_start", "train"),
    ("decode_graph", "edge_graph", "flatbuffer", "tflite_convert", "onnx_convert", "savedmodel", "export"),
    ("viz", "server", "cli"),
]
LAYER_OF = {module: index for index, layer in enumerate(LAYERS) for module in layer}
RUNTIME = [module for layer in LAYERS[:2] for module in layer]


def _imports(module):
    """The keras_captcha modules `module` imports at its top level."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("keras_captcha"):
            if node.module == "keras_captcha":
                found.update(alias.name for alias in node.names)
            else:
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("keras_captcha."))
    return found


def test_every_module_has_a_layer():
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(LAYER_OF)


def test_imports_never_point_to_a_later_layer_or_form_a_cycle():
    graph = {module: _imports(module) for module in LAYER_OF}
    for module, imported in graph.items():
        for other in imported:
            assert LAYER_OF[other] <= LAYER_OF[module], f"{module} imports {other}, a later layer"
    visiting, done = set(), set()

    def visit(module, path):
        assert module not in visiting, f"import cycle: {' -> '.join(path + [module])}"
        if module in done:
            return
        visiting.add(module)
        for other in graph[module]:
            visit(other, path + [module])
        visiting.discard(module)
        done.add(module)

    for module in graph:
        visit(module, [])


def test_the_runtime_layer_and_the_cli_import_without_tensorflow():
    code = "\n".join(f"import keras_captcha.{module}" for module in RUNTIME + ["cli"]) + "\nprint('ok')\n"
    result = run_without_tensorflow(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
