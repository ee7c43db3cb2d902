"""The README's two commands are the ones CI and newcomers actually run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_readme_opens_with_the_two_commands() -> None:
    blocks = _bash_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    first = [ln for ln in blocks[0].splitlines() if ln and not ln.startswith("#")]
    second = [ln for ln in blocks[1].splitlines() if ln and not ln.startswith("#")]
    assert len(first) == 1
    assert "agentctl" in first[0]
    assert len(second) == 1
    assert "pytest" in second[0]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    blocks = _bash_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    test_cmd = next(ln for ln in blocks[1].splitlines() if ln and not ln.startswith("#"))
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_cmd in ci_lines


def test_exit_code_table_matches_the_enum() -> None:
    from agentctl.exit_codes import ExitCode

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \|", text, flags=re.M), code
