"""Every command the docs mark runnable runs, as printed, and exits 0 (so docs cannot drift).

The marker is the fence's info string: ```` ```bash runnable ```` (each line a command; `#`
comments and blank lines skipped, a trailing `\\` continues the line) or ```` ```console
runnable ```` (only the `$ ` lines are commands; the rest is the output shown). The blocks of
one file run in order, in one fresh AGENTCTL_HOME (and an empty working directory) after
`agentctl demo`, through bash, with the installed `agentctl` first on PATH: the embedded IdP,
as a reader who has just run the demo would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
MARKER = "runnable"


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    body: list[str]

    def commands(self) -> list[str]:
        out: list[str] = []
        pending = ""
        for raw in self.body:
            if self.lang == "console":
                if pending:
                    text = raw.strip()
                elif raw.startswith("$ "):
                    text = raw[2:].strip()
                else:
                    continue
            else:
                text = raw.strip()
                if not pending and (not text or text.startswith("#")):
                    continue
            if text.endswith("\\"):
                pending += text[:-1].rstrip() + " "
                continue
            out.append(pending + text)
            pending = ""
        if pending:
            out.append(pending.strip())
        return out


def blocks(path: Path) -> list[Block]:
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group(1), m.group(2).split()
        end = i + 1
        while end < len(lines) and not lines[end].startswith(fence):
            end += 1
        if MARKER in info:
            lang = info[0] if info[0] != MARKER else "bash"
            found.append(Block(path, i + 1, lang, lines[i + 1 : end]))
        i = end + 1
    return found


RUNNABLE = {p: blocks(p) for p in DOCS}


def test_the_docs_mark_runnable_blocks() -> None:
    marked = {p.name: len(b) for p, b in RUNNABLE.items() if b}
    assert sum(marked.values()) >= 6, marked  # the marker cannot quietly disappear
    assert "README.md" in marked


def test_console_blocks_run_only_their_prompt_lines() -> None:
    block = Block(
        Path("x.md"),
        1,
        "console",
        ["$ agentctl a \\", "      --b c", "output line", "$ agentctl d   # note", "more"],
    )
    assert block.commands() == ["agentctl a --b c", "agentctl d   # note"]
    bash = Block(Path("x.md"), 1, "bash", ["# comment", "", "agentctl x \\", "  --y", "agentctl z"])
    assert bash.commands() == ["agentctl x --y", "agentctl z"]


def _shell(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail\n{command}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.parametrize(
    "path", [p for p, b in RUNNABLE.items() if b], ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_runnable_command_in_the_docs_exits_0(path: Path, tmp_path: Path) -> None:
    home, cwd = tmp_path / "home", tmp_path / "work"
    cwd.mkdir()
    env = {
        **os.environ,
        "AGENTCTL_HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "NO_COLOR": "1",
        "COLUMNS": "100",
    }
    env.pop("AGENTCTL_PROFILE", None)
    demo = _shell("agentctl demo", env, cwd)
    assert demo.returncode == 0, demo.stderr
    failures = []
    for block in RUNNABLE[path]:
        for command in block.commands():
            r = _shell(command, env, cwd)
            if r.returncode != 0:
                where = f"{path.relative_to(ROOT)}:{block.line}"
                failures.append(f"{where}: `{command}` exited {r.returncode}: {r.stderr.strip()}")
    assert not failures, "\n".join(failures)
