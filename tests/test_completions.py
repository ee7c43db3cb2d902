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


# -- dynamic names: agents, profiles, examples, answer keys and values ----------------------


@pytest.fixture
def with_agent(monkeypatch: pytest.MonkeyPatch) -> str:
    """A demo agent in this test's AGENTCTL_HOME, and the installed `agentctl` on PATH (the
    scripts call `agentctl __complete …`)."""
    import os
    import sys

    from agentctl.idp import secrets
    from tests.helpers import run

    monkeypatch.setattr(secrets, "_N", 2**10)
    assert run("demo", "--json").exit_code == 0
    bindir = os.path.dirname(sys.executable)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    return "demo-agent"


def test_the_name_lister_reads_local_state_and_never_fails_noisily(with_agent: str) -> None:
    def lister(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        import os

        return subprocess.run(
            ["agentctl", "__complete", *args],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **(env or {})},
        )

    assert lister("agents").stdout.split() == [with_agent]
    assert lister("agents", "x").stdout == ""
    assert lister("agents", "--profile", "nope").stdout == ""
    assert "local" in lister("profiles").stdout.split()
    assert lister("examples", "entra-o").stdout.split() == ["entra-obo"]
    assert "initiator=" in lister("answers").stdout.split()
    assert lister("answers", "initiator=s").stdout.split() == ["initiator=system"]
    assert lister("answers", "targets=api,m").stdout.split() == ["targets=api,mcp"]
    for bad in (("nonsense",), (), ("answers", "nokey=")):
        r = lister(*bad)
        assert (r.returncode, r.stdout, r.stderr) == (0, "", ""), bad
    # a damaged state database: still nothing on stderr, exit 0
    import os
    from pathlib import Path

    broken = Path(os.environ["AGENTCTL_HOME"]) / "broken"
    (broken / "data").mkdir(parents=True)
    (broken / "data" / "agentctl.sqlite3").write_bytes(b"not a database" * 100)
    r = lister("agents", env={"AGENTCTL_HOME": str(broken)})
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_bash_completes_names_from_the_users_state(with_agent: str) -> None:
    assert with_agent in _bash_complete("exchange", "--agent", "")
    assert with_agent in _bash_complete("token", "introspect", "x", "--agent", "d")
    assert _bash_complete("agent", "show", "") == [with_agent]
    assert _bash_complete("agent", "use", "--profile", "local", "") == [with_agent]
    assert "local" in _bash_complete("profile", "use", "")
    assert "local" in _bash_complete("doctor", "--profile", "")
    assert _bash_complete("inspect", "--example", "okta-c") == ["okta-chain"]
    assert "initiator=" in _bash_complete("choose", "-a", "init")
    # bash splits KEY=VALUE at '=' (COMP_WORDBREAKS): complete the value after it
    assert _bash_complete("choose", "-a", "initiator", "=") == ["user", "mixed", "system"]
    assert _bash_complete("choose", "--answer", "initiator", "=", "s") == ["system"]
    # options still complete where a name could go
    assert "--json" in _bash_complete("agent", "show", "--")


def test_bash_names_are_quiet_without_agentctl_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    script = (COMPLETIONS / "agentctl.bash").read_text(encoding="utf-8")
    cmd = (
        f"{script}\nCOMP_WORDS=(agentctl agent show ''); COMP_CWORD=3; "
        '_agentctl_complete; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    out = subprocess.run(["/bin/bash", "-c", cmd], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    assert out.stderr == ""


def _zsh_complete(*words: str) -> list[str]:
    """Run the zsh function with compadd/_describe standing in for the completion system
    (which needs a terminal), printing what would be offered."""
    script = COMPLETIONS / "_agentctl"
    quoted = " ".join(f"'{w}'" for w in ("agentctl", *words))
    prog = (
        "compdef() { : }\n"
        "compadd() { [[ $1 == -S ]] && shift 2; if [[ $1 == -a ]]; then print -l -- ${(P)2}; "
        'else [[ $1 == -- ]] && shift; print -l -- "$@"; fi }\n'
        "_describe() { local x; for x in ${(P)2}; do print -- ${x%%:*}; done }\n"
        f"source {script}\n"
        f"words=({quoted}); CURRENT={len(words) + 1}; PREFIX='{words[-1]}'\n"
        "_agentctl\n"
    )
    out = subprocess.run(["zsh", "-f", "-c", prog], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_zsh_completes_names_from_the_users_state(with_agent: str) -> None:
    _need("zsh")
    assert _zsh_complete("exchange", "--agent", "") == [with_agent]
    assert _zsh_complete("agent", "show", "") == [with_agent]
    assert "local" in _zsh_complete("profile", "use", "")
    assert _zsh_complete("inspect", "--example", "okta-c") == ["okta-chain"]
    assert _zsh_complete("choose", "-a", "initiator=m") == ["initiator=mixed"]
    assert "--mode" in _zsh_complete("exchange", "--m")


def test_fish_completes_names_from_the_users_state(with_agent: str) -> None:
    _need("fish")
    script = COMPLETIONS / "agentctl.fish"

    def fish(line: str) -> list[str]:
        out = subprocess.run(
            ["fish", "-c", f"source {script}; complete -C '{line}'"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [row.split("\t")[0] for row in out.splitlines()]

    assert with_agent in fish("agentctl exchange --agent ")
    assert with_agent in fish("agentctl agent show ")
    assert "local" in fish("agentctl profile use ")
    assert fish("agentctl inspect --example okta-c") == ["okta-chain"]
    assert "initiator=mixed" in fish("agentctl choose --answer initiator=m")
