"""The package's layering: imports only go down (no module imports one that imports it back),
and importing the package changes nothing in the process and loads none of the heavy libraries.

The import graph is read from the source with ``ast`` (module-level and function-level imports
alike, as a reader of the code sees them); importing ``a.b.c`` also runs the packages ``a`` and
``a.b``, which count as imported too.
"""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "qst_mps"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported(module: str, path: Path, modules: dict) -> set[str]:
    """The package modules that ``module`` imports, with the packages they lie in."""
    targets = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            names = [f"{source}.{alias.name}" for alias in node.names] + [source]
        else:
            continue
        for name in names:
            while name and name not in modules:  # an attribute, not a module: its module
                name = name.rpartition(".")[0]
            while name:
                inside = module == name or module.startswith(name + ".")
                if name in modules and not inside:
                    targets.add(name)
                name = name.rpartition(".")[0]
    return targets


def test_no_module_imports_one_that_imports_it_back():
    modules = _modules()
    graph = {m: _imported(m, path, modules) for m, path in modules.items()}

    def reaches(start):
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])
        return seen

    cycles = sorted(f"{a} -> {b} -> … -> {a}" for a in graph for b in graph[a]
                    if a in reaches(b))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_graph_reader_sees_a_cycle(tmp_path, monkeypatch):
    """The check above can fail: a package whose two modules import each other (one inside a
    function) is reported."""
    package = tmp_path / "qst_mps"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import f\n")
    (package / "b.py").write_text("def f():\n    from . import a\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    modules = _modules()
    assert _imported("qst_mps.a", modules["qst_mps.a"], modules) == {"qst_mps.b"}
    assert _imported("qst_mps.b", modules["qst_mps.b"], modules) == {"qst_mps.a"}


def test_importing_the_package_is_cheap_and_changes_nothing():
    """``import qst_mps`` loads no heavy library; importing the backends, the driver and the
    results sets no environment variable (TeNPy reads TENPY_OPTIMIZE) and installs no warnings
    filter. The libraries they use are imported first: what those do on import (threadpoolctl
    sets KMP_DUPLICATE_LIB_OK) is theirs."""
    code = (
        "import os, sys, warnings\n"
        "import qst_mps\n"
        "heavy = sorted(m for m in ('numpy', 'tenpy', 'h5py', 'matplotlib', 'scipy') "
        "if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        "import numpy, scipy.sparse, h5py, tqdm, threadpoolctl, tenpy, tenpy.tools.hdf5_io\n"
        "env, filters = dict(os.environ), list(warnings.filters)\n"
        "import qst_mps.mps.backend, qst_mps.exact.backend, qst_mps.simulation, qst_mps.cli\n"
        "assert dict(os.environ) == env, set(os.environ) ^ set(env)\n"
        "assert list(warnings.filters) == filters, warnings.filters[:3]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_both_backends_conform_to_the_backend_contract(small_config):
    """The exact and the mps backend offer what qst_mps/backend.py declares, with the same
    signatures, and the driver builds them (simulation.make_backend)."""
    import inspect

    from qst_mps.backend import Backend
    from qst_mps.exact.backend import ExactBackend
    from qst_mps.mps.backend import MPSBackend
    from qst_mps.simulation import make_backend

    def parameters(method):  # names, kinds and defaults: what a caller relies on
        return [(p.name, p.kind, p.default)
                for p in inspect.signature(method).parameters.values()]

    for cls in (ExactBackend, MPSBackend):
        for name in ("evolve", "measure", "checkpoint", "restore"):
            assert parameters(getattr(cls, name)) == parameters(getattr(Backend, name)), (
                cls.__name__, name)
    for backend in ("exact", "mps"):
        built = make_backend(small_config("singlet", evolution={"backend": backend}))
        assert isinstance(built, Backend) and built.name == backend and built.time == 0.0
        assert isinstance(built.info, dict) and isinstance(built.cost_grows, bool)
