"""The core never imports a chat platform or an adapter (design §1)."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import callbot

FORBIDDEN = (
    "discord",
    "slack_bolt",
    "slack_sdk",
    "callbot_discord",
    "callbot_slack",
    "callbot_terminal",
)
CORE_ROOT = Path(callbot.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_every_core_module_is_found() -> None:
    modules = {m.name for m in pkgutil.walk_packages([str(CORE_ROOT)], "callbot.")}
    assert {
        "callbot.services.calling",
        "callbot.civic",
        "callbot.campaigns",
        "callbot.db.models",
    } <= modules


def test_core_imports_no_platform_or_adapter() -> None:
    offenders = []
    for path in CORE_ROOT.rglob("*.py"):
        for name in imported_modules(path):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(CORE_ROOT)} imports {name}")
    assert offenders == []


def test_importing_the_core_loads_no_platform(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys, pkgutil, importlib, callbot\n"
        "for m in pkgutil.walk_packages(callbot.__path__, 'callbot.'):\n"
        "    if '.migrations' not in m.name: importlib.import_module(m.name)\n"
        f"bad = [n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_bots_folder_is_not_a_package() -> None:
    root = CORE_ROOT.parent.parent
    assert not (root / "bots" / "__init__.py").exists()
    assert not (root / "shared" / "__init__.py").exists()
