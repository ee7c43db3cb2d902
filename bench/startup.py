"""Start-up time of agentctl commands against the floor `python -c "import typer"`.

Measured, in one run: the floor, `agentctl --version`, `agentctl inspect TOKEN`,
`agentctl exchange --mode obo` and `agentctl demo` on the embedded IdP (in-process, a
throw-away AGENTCTL_HOME that `agentctl demo` set up first). The commands are interleaved in
`--rounds` rounds (hyperfine runs each command's samples back to back, so a round is one short
hyperfine call); each line prints the command's median wall time and its ratio to the floor
as min / median / max of the per-round ratios. The machine's load average is printed before
and after: on a shared machine, quote a run taken when it was low.

Targets: `inspect` <= 1.5x the floor (issue 2); `exchange --mode obo` <= 3x (issue 16).
Needs hyperfine (`apt-get install hyperfine`); `--no-hyperfine` uses an interleaved
subprocess loop instead (same figures, a little more overhead per sample).

    .venv/bin/python bench/startup.py [--runs 20] [--rounds 4] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FLOOR = 'python -c "import typer"  (floor)'
TARGETS = {"agentctl inspect TOKEN": 1.5, "agentctl exchange --mode obo": 3.0}


def commands() -> dict[str, list[str]]:
    python = sys.executable
    agentctl = Path(python).with_name("agentctl")
    base = [str(agentctl)] if agentctl.exists() else [python, "-m", "agentctl"]
    token = (ROOT / "agentctl" / "examples" / "obo.jwt").read_text().strip()
    return {
        FLOOR: [python, "-c", "import typer"],
        "agentctl --version": [*base, "--version"],
        "agentctl inspect TOKEN": [*base, "inspect", token],
        "agentctl exchange --mode obo": [*base, "exchange", "--mode", "obo"],
        "agentctl demo": [*base, "demo"],
    }


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def hyperfine_round(cmds: dict[str, list[str]], runs: int, out: Path) -> dict[str, list[float]]:
    args = ["hyperfine", "-N", "--warmup", "1", "--runs", str(runs), "--export-json", str(out)]
    for name, cmd in cmds.items():
        args += ["-n", name, shlex.join(cmd)]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {r["command"]: r["times"] for r in json.loads(out.read_text())["results"]}


def loop_round(cmds: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in cmds}
    for i in range(runs + 1):  # the first pass warms the caches
        for name, cmd in cmds.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if i:
                samples[name].append(time.perf_counter() - start)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="samples per command, in all")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--no-hyperfine", action="store_true")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    opts = parser.parse_args()
    use_hyperfine = not opts.no_hyperfine
    if use_hyperfine and shutil.which("hyperfine") is None:
        print(
            "hyperfine is not installed: `apt-get install hyperfine` (Debian/Ubuntu), or run "
            "with --no-hyperfine for the interleaved subprocess loop",
            file=sys.stderr,
        )
        return 2
    os.environ["NO_COLOR"] = "1"
    # An installed agentctl runs from cached bytecode, as typer itself does here; a
    # PYTHONDONTWRITEBYTECODE environment would charge agentctl for recompiling every run.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    cmds = commands()
    rounds = max(1, opts.rounds)
    per_round = max(opts.runs // rounds, 3)
    load_before = load()
    medians: dict[str, list[float]] = {name: [] for name in cmds}
    everything: dict[str, list[float]] = {name: [] for name in cmds}
    with tempfile.TemporaryDirectory(prefix="agentctl-startup-") as tmp:
        os.environ["AGENTCTL_HOME"] = str(Path(tmp) / "home")
        subprocess.run(cmds["agentctl demo"], check=True, stdout=subprocess.DEVNULL)
        for _ in range(rounds):
            got = (
                hyperfine_round(cmds, per_round, Path(tmp) / "h.json")
                if use_hyperfine
                else loop_round(cmds, per_round)
            )
            for name, times in got.items():
                medians[name].append(statistics.median(times))
                everything[name].extend(times)
    load_after = load()
    ratios = {
        name: [m / f for m, f in zip(medians[name], medians[FLOOR], strict=True)] for name in cmds
    }
    report: dict[str, Any] = {
        "cores": os.cpu_count(),
        "tool": "hyperfine" if use_hyperfine else "subprocess loop",
        "rounds": rounds,
        "runs_per_round": per_round,
        "load_before": load_before,
        "load_after": load_after,
        "results": [
            {
                "command": name,
                "median_ms": statistics.median(everything[name]) * 1000,
                "ratio_min": min(ratios[name]),
                "ratio_median": statistics.median(ratios[name]),
                "ratio_max": max(ratios[name]),
                "target": TARGETS.get(name),
            }
            for name in cmds
        ],
    }
    if opts.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"start-up · {os.cpu_count()} cores · load average (1/5/15 min) before {load_before}, "
        f"after {load_after} · {report['tool']}, {rounds} interleaved rounds x {per_round} runs"
    )
    print(f"  {'command':34} {'median ms':>9}  ratio to the floor (min / median / max)")
    for r in report["results"]:
        print(
            f"  {r['command']:34} {r['median_ms']:9.1f}  "
            f"{r['ratio_min']:.2f} / {r['ratio_median']:.2f} / {r['ratio_max']:.2f}"
        )
    for r in report["results"]:
        if r["target"] is not None:
            verdict = "within" if r["ratio_median"] <= r["target"] else "OVER"
            print(
                f"{r['command']} is {r['ratio_median']:.2f}x the floor (median of rounds): "
                f"{verdict} the {r['target']}x target"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
