"""Start-up time of `agentctl inspect` against the floor `python -c "import typer"`.

Prints the median wall time of each command, measured in the same run, and its ratio to the
floor. Issue 2's target: `agentctl inspect TOKEN` within 1.5x the floor. Uses hyperfine when
it is installed, else a subprocess loop. Runs in well under a minute.

    .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.5


def commands() -> dict[str, list[str]]:
    python = sys.executable
    agentctl = Path(python).with_name("agentctl")
    base = [str(agentctl)] if agentctl.exists() else [python, "-m", "agentctl"]
    token = (ROOT / "agentctl" / "examples" / "obo.jwt").read_text().strip()
    return {
        'python -c "import typer"  (floor)': [python, "-c", "import typer"],
        "agentctl --version": [*base, "--version"],
        "agentctl inspect TOKEN": [*base, "inspect", token],
    }


def with_hyperfine(cmds: dict[str, list[str]], runs: int) -> dict[str, float]:
    """hyperfine runs one command's samples back to back; on a shared machine the load shifts
    between them, so it is called in short rounds and the medians are taken over all rounds."""
    import shlex

    rounds = 4
    samples: dict[str, list[float]] = {name: [] for name in cmds}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "h.json"
        for _ in range(rounds):
            args = [
                "hyperfine",
                "-N",
                "--warmup",
                "2",
                "--runs",
                str(max(runs // rounds, 3)),
                "--export-json",
                str(out),
            ]
            for name, cmd in cmds.items():
                args += ["-n", name, shlex.join(cmd)]
            subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for result in json.loads(out.read_text())["results"]:
                samples[result["command"]].extend(result["times"])
    return {name: statistics.median(values) for name, values in samples.items()}


def with_loop(cmds: dict[str, list[str]], runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in cmds}
    for round_ in range(runs + 3):  # interleaved, so background load hits every command alike
        for name, cmd in cmds.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if round_ >= 3:
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-hyperfine", action="store_true")
    opts = parser.parse_args()
    os.environ["NO_COLOR"] = "1"
    # An installed agentctl runs from cached bytecode, as typer itself does here; a
    # PYTHONDONTWRITEBYTECODE environment would charge agentctl for recompiling every run.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    cmds = commands()
    use_hyperfine = shutil.which("hyperfine") is not None and not opts.no_hyperfine
    medians = (with_hyperfine if use_hyperfine else with_loop)(cmds, opts.runs)
    floor = medians[next(iter(cmds))]
    how = "hyperfine, in 4 interleaved rounds" if use_hyperfine else "subprocess loop, interleaved"
    print(f"start-up, median of {opts.runs} runs each ({how}):")
    for name in cmds:
        ratio = medians[name] / floor
        print(f"  {name:40} {medians[name] * 1000:7.1f} ms  {ratio:4.2f}x")
    extra = (medians["agentctl inspect TOKEN"] - medians["agentctl --version"]) * 1000
    print(f"inspect costs {extra:.1f} ms over --version (the root app's own start-up)")
    ratio = medians["agentctl inspect TOKEN"] / floor
    verdict = "within" if ratio <= TARGET else "OVER"
    print(f"inspect is {ratio:.2f}x the floor: {verdict} the {TARGET}x target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
