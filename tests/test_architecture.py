"""The import graph: the folders are layers, imports run one way, and only training/ and export/ reach TensorFlow.

Every import counts: top-level, inside functions, and `importlib.import_module`
calls with a literal name. The one sanctioned upward edge is the model loader's
format table (`keras_captcha.runtime.loading.FORMATS`), which names the
TensorFlow predictors of `training/` and imports them only when such a file is opened.
"""

import ast
import pathlib

from keras_captcha.runtime import loading

from helpers import run_without_tensorflow

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "keras_captcha"
#: Layers in import order: a module may import its own layer's modules and earlier layers'.
#: A folder's name stands for its modules; a top-level module is named as itself.
LAYERS = [
    ("core",),
    ("runtime",),
    ("labelling", "testing", "viz", "zoo"),
    ("training",),
    ("export",),
    ("serving",),
    ("cli", "__init__"),
]
LAYER_OF = {unit: index for index, layer in enumerate(LAYERS) for unit in layer}
#: The folders whose modules may import TensorFlow or Keras.
TENSORFLOW_FOLDERS = ("training", "export")
#: The loader's lazy edges to the TensorFlow predictors (module names), allowed upward.
FORMAT_MODULES = {module for module, _, extra in loading.FORMATS.values() if extra == "train"}
MAX_LINES = 300


def _modules():
    """Dotted name (e.g. `keras_captcha.runtime.decode`) -> path, for every module of the package."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _unit(module):
    """The layer unit of a dotted module name: its folder, or itself at the top."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path):
    """Every module name `path` imports, anywhere in it: `import`, `from`, `importlib.import_module("...")`."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)  # submodules imported by name
        elif (
            isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module"
            and node.args and isinstance(node.args[0], ast.Constant)
        ):
            found.add(node.args[0].value)
    return found


def _package_imports(path):
    return {name for name in _imports(path) if name in MODULES and name != "keras_captcha"}


def test_every_folder_and_top_level_module_has_a_layer():
    assert {_unit(module) for module in MODULES} == set(LAYER_OF)


def test_imports_never_point_to_a_later_layer():
    for module, path in MODULES.items():
        for imported in _package_imports(path):
            if module == "keras_captcha.runtime.loading" and imported in FORMAT_MODULES:
                continue
            assert LAYER_OF[_unit(imported)] <= LAYER_OF[_unit(module)], f"{module} imports {imported}, a later layer"


def test_the_loader_names_its_tensorflow_predictors_in_its_table_alone():
    text = MODULES["keras_captcha.runtime.loading"].read_text()
    assert FORMAT_MODULES and all(module.startswith("keras_captcha.training.") for module in FORMAT_MODULES)
    for module in FORMAT_MODULES:  # in its rows, and nowhere else in the loader
        assert text.count(module) == sum(row[0] == module for row in loading.FORMATS.values())


def test_only_training_and_export_import_tensorflow_or_keras():
    for module, path in MODULES.items():
        frameworks = {name.split(".")[0] for name in _imports(path)} & {"tensorflow", "keras", "tf2onnx"}
        if frameworks:
            assert _unit(module) in TENSORFLOW_FOLDERS, f"{module} imports {', '.join(sorted(frameworks))}"


def test_top_level_imports_form_no_cycle():
    graph = {module: _top_level_imports(path) for module, path in MODULES.items()}
    visiting, done = set(), set()

    def visit(module, trail):
        assert module not in visiting, f"import cycle: {' -> '.join(trail + [module])}"
        if module in done:
            return
        visiting.add(module)
        for other in graph[module]:
            visit(other, trail + [module])
        visiting.discard(module)
        done.add(module)

    for module in graph:
        visit(module, [])


def _top_level_imports(path):
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module in MODULES:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
    return found - {"keras_captcha"}


def test_modules_stay_small_enough_to_read_in_one_sitting():
    for module, path in MODULES.items():
        lines = len(path.read_text().splitlines())
        assert lines <= MAX_LINES, f"{module} has {lines} lines"


def test_the_tensorflow_free_layers_and_the_cli_import_without_tensorflow():
    free = [
        module for module in MODULES
        if _unit(module) not in (*TENSORFLOW_FOLDERS, "serving", "viz") and not module.endswith("__main__")
    ]
    code = "\n".join(f"import {module}" for module in free) + "\nprint('ok')\n"
    result = run_without_tensorflow(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
