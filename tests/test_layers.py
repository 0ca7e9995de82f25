"""The package's shape: a lower layer never imports a higher one, and no module imports itself in a circle.

Every ``import`` in ``src/intently`` is read (also those inside functions and under ``TYPE_CHECKING``): the
layering holds for the code as written, not only for what one run happens to load. ``docs/architecture.md``
describes the same layers in words.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Lowest first. A module belongs to the layer of the longest prefix that names it; it may import modules of
# its own layer and of lower ones, never of a higher one.
LAYERS: list[tuple[str, list[str]]] = [
    ("core: the model and errors", ["intently.model", "intently.errors", "intently.files", "intently._version"]),
    ("define: the policy as data", ["intently.policy"]),
    ("judge: the engine", ["intently.engine"]),
    ("define and guide, through the engine", ["intently.policy.handbook", "intently.guide"]),
    (
        "connect, reading: outside data into the model",
        [
            "intently.sources",
            "intently.zendesk.records",
            "intently.zendesk.export",
            "intently.zendesk.forked",
            "intently.zendesk.ticket_table",
            "intently.zendesk.client",
            "intently.zendesk.app",
            "intently.demo",
        ],
    ),
    ("store", ["intently.store"]),
    ("measure: metrics and reports", ["intently.report"]),
    ("connect, into the store: sync", ["intently.zendesk.sync"]),
    ("the server: dashboard, API, access, live Zendesk", ["intently.web", "intently.zendesk.live"]),
    ("commands and the package's face", ["intently.cli", "intently.__main__", "intently"]),
]


def _module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(src: Path = SRC) -> dict[str, Path]:
    return {
        _module_name(path, src): path for path in (src / "intently").rglob("*.py") if "migrations" not in path.parts
    }


def _imports(name: str, path: Path, known: set[str]) -> Iterator[tuple[int, str]]:
    """(line, module) for every intently module that ``name`` imports (``from a import b`` counts ``a.b`` when
    ``b`` is a module, else ``a``)."""
    return _imports_of(name, path, known, ast.parse(path.read_text(encoding="utf-8")))


def _imports_of(name: str, path: Path, known: set[str], tree: ast.AST) -> Iterator[tuple[int, str]]:
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("intently"):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("intently"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield node.lineno, sub if sub in known else target


def _layer(module: str) -> int:
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(name for name in _modules() if _layer(name) < 0)
    assert not unplaced, f"modules in no layer (add them to LAYERS and docs/architecture.md): {unplaced}"


def _violations(modules: dict[str, Path]) -> list[str]:
    known = set(modules)
    found = []
    for name, path in sorted(modules.items()):
        own = _layer(name)
        for line, target in _imports(name, path, known):
            if _layer(target) > own:
                found.append(
                    f"{path.name}:{line}: {name} ({LAYERS[own][0]}) imports {target} ({LAYERS[_layer(target)][0]})"
                )
    return found


def test_a_lower_layer_never_imports_a_higher_one() -> None:
    violations = _violations(_modules())
    assert not violations, "\n".join(violations)


def test_no_module_imports_itself_in_a_circle() -> None:
    modules = _modules()
    known = set(modules)
    graph = {
        name: {t for _, t in _imports(name, path, known) if t in known and t != name} for name, path in modules.items()
    }
    # A package's __init__ re-exporting its own modules is not a cycle of behaviour; count module to module.
    for name in graph:
        graph[name] = {t for t in graph[name] if not (modules[t].name == "__init__.py" and name.startswith(t + "."))}
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    return cycles


@pytest.mark.parametrize(
    ("module", "source", "upward"),
    [
        ("engine/judge.py", "from intently.store import Store\n", "intently.store"),
        ("policy/schema.py", "def f():\n    from intently.engine import judge_ticket\n", "intently.engine"),
        ("zendesk/records.py", "import intently.web.app\n", "intently.web.app"),
        ("store/store.py", "from intently import report\n", "intently.report"),
        ("engine/explain.py", "from ..cli import app\n", "intently.cli"),
    ],
)
def test_the_rule_catches_an_upward_import(tmp_path: Path, module: str, source: str, upward: str) -> None:
    """The check itself can fail: an upward import (plain, from, relative, inside a function) is reported."""
    for name in ("engine", "policy", "zendesk", "store", "report", "web", "cli"):
        (tmp_path / "intently" / name).mkdir(parents=True, exist_ok=True)
        (tmp_path / "intently" / name / "__init__.py").write_text("")
    (tmp_path / "intently" / "__init__.py").write_text("")
    (tmp_path / "intently" / "web" / "app.py").write_text("")
    (tmp_path / "intently" / module).write_text(source)
    violations = _violations(_modules(tmp_path))
    assert len(violations) == 1 and f"imports {upward} " in violations[0], violations


def _loaded_with(name: str, path: Path, known: set[str]) -> set[str]:
    """The intently modules Python runs when ``name`` is imported: its module-level imports (not those inside
    functions or under ``TYPE_CHECKING``), each with the packages above it (importing ``a.b.c`` runs ``a.b``'s
    ``__init__`` first), except the packages ``name`` itself sits in (those are loading already)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    module = ast.Module(body=top, type_ignores=[])
    targets = set()
    for _, target in _imports_of(name, path, known, module):
        parts = target.split(".")
        for depth in range(2, len(parts) + 1):
            ancestor = ".".join(parts[:depth])
            if ancestor in known and not name.startswith(ancestor + ".") and ancestor != name:
                targets.add(ancestor)
    return targets


def test_no_module_fails_to_load_when_imported_first() -> None:
    """A cycle among the imports Python runs at load time (packages' ``__init__`` included) breaks whichever of
    its modules is imported first: ``from x import y`` finds ``x`` half-loaded. None may exist."""
    modules = _modules()
    known = set(modules)
    graph = {name: _loaded_with(name, path, known) for name, path in modules.items()}
    cycles = _cycles(graph)
    assert not cycles, "load-time import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)
