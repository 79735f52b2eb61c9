"""Imports go one way: cli -> replay -> serve -> web -> orchestrator -> execution."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UPPER = {
    "execution": {"orchestrator", "web", "replay", "cli", "serve"},
    "orchestrator": {"web", "replay", "cli", "serve"},
    "replay": {"cli"},
    "serve": {"replay", "cli"},
    "web": {"replay", "cli", "serve"},
}


def layer_files(layer: str) -> list[Path]:
    folder = ROOT / layer
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [ROOT / f"{layer}.py"]


def imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_lower_layers_never_import_upper_layers() -> None:
    offenders = []
    for layer, forbidden in UPPER.items():
        for path in layer_files(layer):
            bad = imported_top_modules(path) & forbidden
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("import os\nfrom orchestrator.loop import run\n")
    assert "orchestrator" in imported_top_modules(sample)


def test_benchmarks_never_import_the_tests() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "bench").rglob("*.py"))
        if "tests" in imported_top_modules(path)  # ast.walk: imports inside functions too
    ]
    assert offenders == []
