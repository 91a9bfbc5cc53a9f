"""The structure of docs/architecture.md, enforced so that it cannot quietly decay.

- The rules (workflow, policy, permissions, access, audit, money) and the models
  import nothing from an area package (every package under ``procure/`` but
  ``models/`` and the bench-data generator) nor from ``templating.py``.
- No two area packages import each other in a circle, and nothing but the app
  factory imports ``api/``.
- Imports inside functions are for optional or slow dependencies only: each is
  listed below with its reason.
- No view commits or rolls back (``procure/web.py`` does, once per request), and
  no view or template tests a role: services hand them booleans (``access.py``).
- No module outside the bench-data generator and the demo is over 450 lines.
"""

from __future__ import annotations

import ast
import collections
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "procure"
TEMPLATES = ROOT / "templates"

RULES = {
    "procure.workflow",
    "procure.policy",
    "procure.permissions",
    "procure.access",
    "procure.audit",
    "procure.money",
}
NOT_AREAS = {"models", "benchdata"}
LONG_ALLOWED = {"procure.demo", "procure.vendors.demo"}
MAX_LINES = 450

# (module, imported module or "*"): why the import waits until the function runs.
LATE_IMPORTS = {
    # The app factory registers every part; importing them at the top would load
    # the whole application (WeasyPrint included) whenever any module of the
    # package is imported, a command-line tool or a test of money.py alike.
    ("procure", "*"): "the app factory assembles the parts",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str) -> list[tuple[str, bool, int]]:
    """(imported procure module, inside a function?, line) for every import of ``name``."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inner.update(id(n) for n in ast.walk(node) if n is not node)
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                targets.append(candidate if candidate in MODULES else module)
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        for target in targets:
            if target == "procure" or target.startswith("procure."):
                found.append((target, id(node) in inner, node.lineno))
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _area(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) >= 2 and (PACKAGE / parts[1]).is_dir() and parts[1] not in NOT_AREAS:
        return parts[1]
    return None


def test_the_rules_import_no_area_nor_templating():
    wrong = [
        f"{name}:{line} imports {target}"
        for name, imports in GRAPH.items()
        if name in RULES or name.startswith("procure.models")
        for target, _inner, line in imports
        if _area(target) or target == "procure.templating"
    ]
    assert wrong == []


def test_area_packages_import_each_other_in_no_circle():
    edges: dict[str, set[str]] = collections.defaultdict(set)
    for name, imports in GRAPH.items():
        source = _area(name)
        for target, _inner, _line in imports:
            area = _area(target)
            if source and area and area != source:
                edges[source].add(area)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in edges.get(start, ()):
            if step == goal or (step not in seen and reaches(step, goal, seen | {step})):
                return True
        return False

    circles = sorted(f"{a} -> {b}" for a in edges for b in edges[a] if reaches(b, a, {b}))
    assert circles == []


def test_nothing_but_the_app_factory_imports_the_api():
    wrong = [
        f"{name}:{line}"
        for name, imports in GRAPH.items()
        if name != "procure" and _area(name) != "api"
        for target, _inner, line in imports
        if _area(target) == "api"
    ]
    assert wrong == []


def test_imports_inside_functions_are_for_slow_or_optional_code_only():
    wrong = []
    for name, imports in GRAPH.items():
        for target, inner, line in imports:
            if not inner:
                continue
            if (name, "*") in LATE_IMPORTS or any(
                (name, prefix) in LATE_IMPORTS for prefix in (target, target.rpartition(".")[0])
            ):
                continue
            wrong.append(f"{name}:{line} imports {target} inside a function")
    assert wrong == []


def _views() -> list[str]:
    return [
        name
        for name, path in MODULES.items()
        if path.name == "views.py" or path.name.endswith("_views.py")
    ]


def test_no_view_commits_or_rolls_back():
    pattern = re.compile(r"\.(commit|rollback)\(")
    wrong = [
        f"{name}:{number}"
        for name in _views()
        for number, line in enumerate(MODULES[name].read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert wrong == []


# has_role(...), require_role(...), Role.ADMIN in ..., user.roles & {...}: who may is
# for access.py (or a service) to say.
ROLE_TEST = re.compile(r"has_role\(|require_role\(|\bRole\.[A-Z]+\s+(not\s+)?in\b|\.roles\s*[&|-]")
# {% if current_user.has_role("finance") %} or {% if "finance" in user.roles %}
TEMPLATE_ROLE_TEST = re.compile(r"has_role\(|['\"]\w+['\"]\s+(not\s+)?in\s+\S*\.roles\b")


def test_no_view_tests_a_role():
    wrong = [
        f"{name}:{number}: {line.strip()}"
        for name in _views()
        for number, line in enumerate(MODULES[name].read_text().splitlines(), 1)
        if ROLE_TEST.search(line)
    ]
    assert wrong == []


def test_no_template_tests_a_role():
    wrong = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if TEMPLATE_ROLE_TEST.search(line)
    ]
    assert wrong == []


@pytest.mark.parametrize(
    "name", sorted(n for n in MODULES if not n.startswith("procure.benchdata"))
)
def test_no_module_is_over_450_lines(name):
    if name in LONG_ALLOWED:
        return
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"
