"""The import rules of the layout (README "Layout", DESIGN.md): read from the source with
``ast``, so a module that breaks them fails here before anyone has to notice a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fenpei

SRC = Path(fenpei.__file__).parent

# package -> the fenpei packages it must never import (at any depth, in any function).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "api": ("web", "app"),
    "web": ("api", "app"),
    "http": ("api", "web", "app"),
    "engine": ("services", "adapters", "http", "api", "web", "app"),
    "domain": ("services", "adapters", "http", "api", "web", "app"),
}


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path = SRC) -> set[str]:
    """Every module a source file imports, relative imports resolved, ``from a import b``
    counted as ``a.b`` too (b may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(package: str) -> list[str]:
    """``file: module`` for each import in fenpei/<package> of a package it must not see."""
    banned = [f"fenpei.{name}" for name in FORBIDDEN[package]]
    found = []
    for path in sorted((SRC / package).rglob("*.py")):
        for module in sorted(imported_modules(path)):
            if any(_within(module, ban) for ban in banned):
                found.append(f"{path.relative_to(SRC.parent)}: {module}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_none_of_the_packages_it_must_not_see(package: str) -> None:
    assert violations(package) == []


def test_the_app_module_is_the_one_that_sees_both_doors() -> None:
    modules = imported_modules(SRC / "app.py")

    assert any(_within(m, "fenpei.api") for m in modules)
    assert any(_within(m, "fenpei.web") for m in modules)


def test_an_import_is_found_however_it_is_written(tmp_path: Path) -> None:
    # The checker itself: absolute, dotted, from-package and relative forms, inside a
    # function too, are all seen; a file that imports nothing forbidden is clean.
    source = tmp_path / "fenpei" / "api" / "routes" / "x.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "import fenpei.web.pages\n"
        "from fenpei import web\n"
        "def f():\n"
        "    from ...web.rendering import STATIC_DIR\n"
        "from .. import deps\n",
        encoding="utf-8",
    )
    modules = imported_modules(source, root=tmp_path / "fenpei")

    assert {"fenpei.web.pages", "fenpei.web", "fenpei.web.rendering", "fenpei.api.deps"} <= (
        modules
    )
