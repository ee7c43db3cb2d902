"""Regenerate completions/ from the Typer app: `python scripts/gen_completions.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from agentctl.cli.app import app
from agentctl.cli.completions import SCRIPTS

OUT = Path(__file__).resolve().parent.parent / "completions"


def main() -> int:
    root = typer.main.get_command(app)
    OUT.mkdir(exist_ok=True)
    for name, make in SCRIPTS.items():
        (OUT / name).write_text(make(root), encoding="utf-8")
        sys.stdout.write(f"wrote completions/{name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
