"""The layering holds: `coach` (the core) never imports `api` (the web app), not even
lazily inside a function; coach's packages import one another without cycles and
only downwards (readers, rubric -> text -> checks -> detectors -> scoring -> render);
and only the text engine imports spaCy.

Read from the source with `ast`, so an import hidden in a function body counts too."""

from __future__ import annotations

import ast
from pathlib import Path

from graphlib import CycleError, TopologicalSorter

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: a unit may import the ones before it, never one after it. The readers
# and the rubric (pure data: schema, parameter models, pattern notation) do not know
# each other; the text engine compiles the rubric's patterns; the general checks and
# the call context read the text engine; the bespoke detectors use the checks' helpers.
LAYERS = (
    ("coach.readers", "coach.rubric"),
    ("coach.text",),
    ("coach.checks",),
    ("coach.detectors",),
    ("coach.scoring",),
    ("coach.render",),
    ("coach.pipeline",),  # read, score, grade: every front end goes through it
)
# The rules (coach.checks, coach.detectors), and everything else, read token ids and line
# signals from coach.text, never spaCy itself.
SPACY_HOME = "coach.text"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it, with relative imports made absolute."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph(top: str) -> dict[str, set[str]]:
    return {_module_name(path): _imports(path) for path in sorted((ROOT / top).rglob("*.py"))}


def _unit(module: str) -> str:
    """A module's unit in the package graph: `coach.readers.vtt` -> `coach.readers`;
    a top-level module (`coach.scoring`) is its own unit."""
    parts = module.split(".")
    if len(parts) > 2 or (ROOT / "/".join(parts)).is_dir():
        return ".".join(parts[:2])
    return module


def test_coach_never_imports_api() -> None:
    graph = _graph("coach")
    assert len(graph) > 30  # the walk found the package
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if target == "api" or target.startswith("api.")
    )
    assert offenders == []


def test_api_commands_mount_without_an_import() -> None:
    # The one link from the CLI to the API is the entry point named as data.
    text = (ROOT / "coach" / "cli" / "plugins.py").read_text(encoding="utf-8")
    assert '"api.cli:commands"' in text
    assert 'api = "api.cli:commands"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_coach_packages_have_no_import_cycles() -> None:
    graph = _graph("coach")
    units: dict[str, set[str]] = {}
    for module, targets in graph.items():
        for target in targets:
            if not target.startswith("coach."):
                continue
            # `from coach.readers import vtt` names a module or a symbol; either way the unit counts
            source, dest = _unit(module), _unit(target)
            if source != dest:
                units.setdefault(source, set()).add(dest)
    assert len(units) > 10
    try:
        tuple(TopologicalSorter(units).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle among coach's packages: {' -> '.join(exc.args[1])}")


def _in(module: str, unit: str) -> bool:
    return module == unit or module.startswith(unit + ".")


def test_layers_only_import_downwards() -> None:
    graph = _graph("coach")
    rank = {unit: n for n, layer in enumerate(LAYERS) for unit in layer}
    for unit in rank:  # every layer names a real package or module
        assert any(_in(module, unit) for module in graph), unit
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        for source in rank
        for dest in rank
        if _in(module, source) and _in(target, dest) and source != dest and rank[dest] >= rank[source]
    )
    assert offenders == []


def test_only_the_text_engine_imports_spacy() -> None:
    graph = _graph("coach")
    users = {module for module, targets in graph.items() if any(_in(t, "spacy") for t in targets)}
    assert any(_in(module, SPACY_HOME) for module in users)  # the check can see a spaCy import
    assert sorted(m for m in users if not _in(m, SPACY_HOME)) == []
