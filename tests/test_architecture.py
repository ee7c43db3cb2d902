"""The layering rules of docs/design.md §3, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "agentctl"
CORE_FORBIDDEN = {
    "httpx",
    "rich",
    "typer",
    "click",
    "keyring",
    "msal",
    "socket",
    "flask",
    "authlib",
    "requests",
    "subprocess",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _py(folder: str) -> list[Path]:
    return sorted((PKG / folder).rglob("*.py")) if folder else sorted(PKG.rglob("*.py"))


@pytest.mark.parametrize("path", _py("core"), ids=lambda p: p.name)
def test_core_does_no_io(path: Path) -> None:
    bad = _imports(path) & CORE_FORBIDDEN
    assert not bad, f"{path.name} imports {bad}"
    text = path.read_text(encoding="utf-8")
    assert "os.environ" not in text
    assert "datetime.now(" not in text
    assert "time.time(" not in text


def test_rich_only_in_output() -> None:
    offenders = [p for p in _py("") if "rich" in _imports(p) and "output" not in p.parts]
    assert offenders == []


def test_keyring_only_in_secrets() -> None:
    offenders = [p for p in _py("") if "keyring" in _imports(p) and p.name != "secrets.py"]
    assert offenders == []


def test_http_clients_built_in_one_place() -> None:
    offenders = [
        p
        for p in _py("")
        if "httpx.Client(" in p.read_text(encoding="utf-8") and p.name != "http.py"
    ]
    assert offenders == []


def test_every_module_uses_future_annotations() -> None:
    missing = [
        p
        for p in _py("")
        if p.read_text(encoding="utf-8").strip()
        and "from __future__ import annotations" not in p.read_text(encoding="utf-8")
    ]
    assert missing == []
