from __future__ import annotations

import subprocess
from pathlib import Path

import click
import pytest
import typer

from agentctl.cli.app import app
from agentctl.cli.completions import SCRIPTS

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "completions"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_completion_files_match_the_app(name: str) -> None:
    expected = SCRIPTS[name](typer.main.get_command(app))
    on_disk = (COMPLETIONS / name).read_text(encoding="utf-8")
    assert on_disk == expected, (
        f"completions/{name} is stale: run `python scripts/gen_completions.py`"
    )


def _bash_complete(*words: str) -> list[str]:
    script = (COMPLETIONS / "agentctl.bash").read_text(encoding="utf-8")
    quoted = " ".join(f"'{w}'" for w in ("agentctl", *words))
    cmd = (
        f"{script}\nCOMP_WORDS=({quoted}); COMP_CWORD={len(words)}; "
        '_agentctl_complete; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_bash_completes_top_level_commands() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    got = _bash_complete("")
    ctx = click.Context(root)
    names = root.list_commands(ctx)
    assert "inspect" in names
    for name in names:
        assert name in got
    assert "--version" in _bash_complete("--v")


def test_bash_completes_options_of_a_command() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    ctx = click.Context(root)
    for name in root.list_commands(ctx):
        cmd = root.get_command(ctx, name)
        assert cmd is not None
        flags = [o for p in cmd.params for o in getattr(p, "opts", []) if o.startswith("--")]
        if flags:
            assert flags[0] in _bash_complete(name, "--"), name


def _need(shell: str) -> None:
    import os
    import shutil

    if shutil.which(shell) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{shell} is missing; .ci/run installs it")
        pytest.skip(f"{shell} is not installed")


def test_fish_completes_commands_and_options() -> None:
    _need("fish")
    script = COMPLETIONS / "agentctl.fish"
    out = subprocess.run(
        [
            "fish",
            "-c",
            f"source {script}; complete -C 'agentctl exch'; complete -C 'agentctl exchange --mo'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.splitlines()[0].startswith("exchange\t")
    assert "--mode\t" in out


def test_zsh_script_registers_for_agentctl() -> None:
    _need("zsh")
    script = COMPLETIONS / "_agentctl"
    out = subprocess.run(
        [
            "zsh",
            "-c",
            f"autoload -U compinit && compinit -u && source {script} && "
            "print -- ${_comps[agentctl]}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "_agentctl"
