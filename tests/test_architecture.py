"""The package's shape: no import cycles, no private reach-ins, stable producer identities.

The import graph is read from the source (``ast``), with every ``import`` of a
``qa_toolkit`` module: at module level and inside functions (a deferred import
still closes a cycle, it only hides it until run time). Imports under
``if TYPE_CHECKING:`` are left out: they never run. A package that offers names
lazily (``lazy_names`` in its ``__init__``) counts as importing the module that
defines the name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from qa_toolkit.batch.tasks import FEATURES_PRODUCER, features_identity

from .conftest import ROOT

PACKAGE = ROOT / "qa_toolkit"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in PACKAGE.rglob("*.py")}


def _lazy_names(path: Path) -> dict[str, str]:
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lazy_names":
            table = node.args[1]
            if isinstance(table, ast.Dict):
                return {
                    ast.literal_eval(k): ast.literal_eval(v)
                    for k, v in zip(table.keys, table.values, strict=True)
                    if k is not None
                }
    return {}


LAZY = {m: _lazy_names(p) for m, p in MODULES.items() if p.name == "__init__.py"}


def _targets(base: str, names: list[str]) -> set[str]:
    found = set()
    for name in names:
        if f"{base}.{name}" in MODULES:
            found.add(f"{base}.{name}")
        elif name in LAZY.get(base, {}):
            found.add(LAZY[base][name])
        elif base in MODULES:
            found.add(base)
    return found


def _imports(module: str) -> list[tuple[str, list[str]]]:
    """(imported module, names) for every qa_toolkit import that runs."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                found.extend((a.name, []) for a in node.names if a.name.startswith("qa_toolkit"))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                if base.startswith("qa_toolkit"):
                    found.append((base, [a.name for a in node.names]))
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    visit([child])

    visit(ast.parse(path.read_text("utf-8")).body)
    return found


def _with_parents(module: str) -> set[str]:
    """Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first: they are edges too."""
    parts = module.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts) + 1)}


def _graph() -> dict[str, set[str]]:
    graph = {}
    for module in MODULES:
        edges: set[str] = set()
        for base, names in _imports(module):
            for target in _targets(base, names) if names else {base}:
                edges |= _with_parents(target)
        # A module's own packages are being imported already: not an edge back.
        graph[module] = {e for e in edges if e in MODULES and e not in _with_parents(module)}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            strong(v)
    return out


def test_no_import_cycles_even_through_deferred_imports() -> None:
    graph = _graph()
    assert len(graph) > 100
    # The graph sees a lazy package name (score_call) and a relative import.
    assert "qa_toolkit.scoring.engine" in graph["qa_toolkit.cli.scoring"]
    assert "qa_toolkit.rubric.detectors.behaviour" in graph["qa_toolkit.rubric.detectors"]
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_names_imported_across_modules() -> None:
    reach_ins = []
    for module in MODULES:
        for base, names in _imports(module):
            own_package = module.rpartition(".")[0]
            if base.rpartition(".")[0] == own_package or base in (module, own_package):
                continue  # a module's own package may share its helpers
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            reach_ins += [f"{module} imports {base}.{n}" for n in private]
    assert reach_ins == []


def test_stages_are_packages_not_name_prefixes() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == ["__init__", "errors", "lazy", "privacy", "progress", "types"]
    for stage in ("cli", "io", "speech", "scoring", "batch", "report", "models", "store"):
        assert (PACKAGE / stage / "__init__.py").is_file(), stage


def test_features_producer_identity_survives_module_moves() -> None:
    # Stored features keys hash this identity: a rename must not recompute every call.
    assert FEATURES_PRODUCER == "qa_toolkit.features"
    assert features_identity(True)["module"] == "qa_toolkit.features"


def test_shipped_rubrics_pin_detector_versions() -> None:
    for path in sorted((ROOT / "rubrics").glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        nodes = list((data.get("events") or {}).values())
        nodes += [item for section in data["sections"] for item in section["items"]]
        unpinned = [n["detector"] for n in nodes if ".v" not in n["detector"]]
        assert unpinned == [], path.name


def test_sql_lives_in_the_store() -> None:
    # Every statement is in store/, except the web app's read model (web/queries.py).
    statement = re.compile(r"[\"'](SELECT |INSERT INTO |UPDATE \w+ SET |DELETE FROM |CREATE )")
    allowed = {PACKAGE / "web" / "queries.py"}
    outside = [
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if (PACKAGE / "store") not in path.parents
        and path not in allowed
        and statement.search(path.read_text("utf-8"))
    ]
    assert outside == []
