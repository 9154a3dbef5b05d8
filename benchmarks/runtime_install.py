"""Size of the runtime install: the wheel with its dependencies in a fresh virtualenv.

    python benchmarks/runtime_install.py

Builds the wheel, installs it (numpy, pillow, ai-edge-litert; no TensorFlow)
into a temporary virtualenv and prints JSON: the virtualenv's size in MB,
the packages installed, and a baseline virtualenv holding numpy, pillow and
ai-edge-litert alone.
"""

import json
import pathlib
import subprocess
import sys
import tempfile

from common import emit

ROOT = pathlib.Path(__file__).resolve().parent.parent


def megabytes(folder):
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def venv_with(folder, *requirements):
    subprocess.run([sys.executable, "-m", "venv", folder], check=True)
    python = folder / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", *map(str, requirements)], check=True)
    listed = subprocess.run([python, "-m", "pip", "list", "--format=json"], check=True, capture_output=True, text=True)
    return megabytes(folder), sorted(package["name"] for package in json.loads(listed.stdout))


def main():
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", scratch / "dist", ROOT], check=True
        )
        [wheel] = (scratch / "dist").glob("*.whl")
        size, packages = venv_with(scratch / "runtime", wheel)
        baseline, _ = venv_with(scratch / "baseline", "numpy", "pillow", "ai-edge-litert")
    emit({"runtime_venv_mb": size, "baseline_venv_mb": baseline, "packages": packages})


if __name__ == "__main__":
    main()
