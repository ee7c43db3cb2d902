"""Scale benchmark: register, look up and list agents at 100 / 1k / 10k agents.

For each size it makes a throw-away AGENTCTL_HOME and fills it through the service API (the
embedded IdP's `IdpService.create_agent` and agentctl's agent store `save_agent`, which is what
`agentctl register` does minus the process start-up), then measures real CLI processes:

    register NAME --json          a new agent each time (the store grows by one per run)
    agent show NAME               look one agent up (state DB and the in-process IdP)
    agent list                    the profile's agents, human table
    idp agents list               every agent at every issuer (each agent is at 2), human
    idp agents list --limit 50    the first page

The sizes and commands are interleaved in `--rounds` rounds, so background load on a shared
machine lands on every figure alike. Each line prints the median wall time with min and max
over the rounds, the child's peak RSS, and for the 10k home the ratio to the 100 home (median,
with the min and max of the per-round ratios). The machine's load average is printed before
and after. Targets (issue 16): register at 10k <= 2x its cost at 100; `idp agents list` at 10k
< 1 s.

    .venv/bin/python bench/scale.py [--sizes 100,1000,10000] [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGISTER_TARGET = 2.0
LIST_TARGET_S = 1.0


def agentctl_command() -> list[str]:
    agentctl = Path(sys.executable).with_name("agentctl")
    return [str(agentctl)] if agentctl.exists() else [sys.executable, "-m", "agentctl"]


def populate(home: Path, n: int) -> dict[str, float]:
    """`n` agents in a fresh home, through the service API, in a child process (the service
    layer reads AGENTCTL_HOME at call time; a child keeps this process's handles clean).
    Returns the median microseconds of each store operation, measured in the full home."""
    code = """
import sys
from agentctl.config.resolve import resolve_settings
from agentctl.idp.service import IdpService
from agentctl.providers.base import Credential
from agentctl.services.agents import AgentRecord, save_agent

n = int(sys.argv[1])
svc = IdpService.open()
settings = resolve_settings()
issuer = svc.ctx.base_url + "/i/enterprise"
for i in range(n):
    name = f"agent-{i:05d}"
    created = svc.create_agent(name, sponsor="bench@example.com")
    record = AgentRecord(
        name=name, client_id=created.client_id, profile="local", kind="local", issuer=None,
        credential_type="client_secret", sponsor="bench@example.com",
        extra={"registered_at": created.registered_at},
    )
    credential = Credential(
        client_id=created.client_id, method="client_secret_basic", secret=created.client_secret
    )
    save_agent(settings, record, credential)

# The store operations themselves, without process start-up: per-call microseconds.
import json, random, statistics, time
from agentctl.services.agents import find_record, forget_agent
ops = {"idp create_agent": [], "save_agent": [], "find_record": [], "forget_agent": []}
for i in range(200):
    name = f"probe-{i:03d}"
    t0 = time.perf_counter()
    created = svc.create_agent(name)
    t1 = time.perf_counter()
    record = AgentRecord(
        name=name, client_id=created.client_id, profile="local", kind="local", issuer=None,
        credential_type="client_secret",
    )
    cred = Credential(client_id=created.client_id, method="client_secret_basic", secret="x")
    save_agent(settings, record, cred)
    t2 = time.perf_counter()
    find_record(settings, f"agent-{random.randrange(n):05d}")
    t3 = time.perf_counter()
    forget_agent(settings, name)
    t4 = time.perf_counter()
    for key, dt in zip(ops, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
        ops[key].append(dt * 1e6)
print(json.dumps({k: statistics.median(v) for k, v in ops.items()}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code, str(n)],
        env={**os.environ, "AGENTCTL_HOME": str(home)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {k: float(v) for k, v in json.loads(out.strip().splitlines()[-1]).items()}


def run_once(cmd: list[str], home: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process; a failing command stops the bench."""
    env = {**os.environ, "AGENTCTL_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "120"}
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[1:])} failed ({proc.returncode}):\n{err[-2000:]}")
    return elapsed, int(usage.ru_maxrss)


def scenarios(round_: int) -> dict[str, list[str]]:
    return {
        "register NAME --json": ["register", f"scale-new-{round_:03d}", "--json"],
        "agent show NAME": ["agent", "show", "agent-00042"],
        "agent list": ["agent", "list"],
        "idp agents list": ["idp", "agents", "list"],
        "idp agents list --limit 50": ["idp", "agents", "list", "--limit", "50"],
    }


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def spread(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="agent counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    base = agentctl_command()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # installed commands run from bytecode
    load_before = load()
    times: dict[tuple[int, str], list[float]] = {}
    rss: dict[tuple[int, str], list[int]] = {}
    with tempfile.TemporaryDirectory(prefix="agentctl-scale-") as name:
        homes = {n: Path(name) / f"home-{n}" for n in sizes}
        started = time.perf_counter()
        store_us = {n: populate(home, n) for n, home in homes.items()}
        fill_s = time.perf_counter() - started
        names = list(scenarios(0))
        for round_ in range(args.rounds + 1):  # round 0 warms the caches and is not counted
            for label, argv in scenarios(round_).items():
                for n, home in homes.items():
                    elapsed, peak = run_once([*base, *argv], home)
                    if round_:
                        times.setdefault((n, label), []).append(elapsed)
                        rss.setdefault((n, label), []).append(peak)
    load_after = load()
    small, big = sizes[0], sizes[-1]
    report: dict[str, Any] = {
        "cores": os.cpu_count(),
        "rounds": args.rounds,
        "load_before": load_before,
        "load_after": load_after,
        "populate_s": round(fill_s, 1),
        "store_op_median_us": {str(n): ops for n, ops in store_us.items()},
        "results": [],
    }
    for label in names:
        for n in sizes:
            lo, mid, hi = spread(times[(n, label)])
            entry: dict[str, Any] = {
                "command": label,
                "agents": n,
                "min_ms": lo * 1000,
                "median_ms": mid * 1000,
                "max_ms": hi * 1000,
                "max_rss_mib": max(rss[(n, label)]) / 1024,
            }
            if n == big and big != small:
                per_round = [
                    b / s for b, s in zip(times[(big, label)], times[(small, label)], strict=True)
                ]
                entry["ratio_to_smallest"] = {
                    "median_of_medians": mid / statistics.median(times[(small, label)]),
                    "min": min(per_round),
                    "median": statistics.median(per_round),
                    "max": max(per_round),
                }
            report["results"].append(entry)
    reg = next(r for r in report["results"] if r["command"] == names[0] and r["agents"] == big).get(
        "ratio_to_smallest"
    )
    listing = next(
        r for r in report["results"] if r["command"] == "idp agents list" and r["agents"] == big
    )
    report["targets"] = {
        "register_ratio_median": reg["median"] if reg else None,
        "register_ratio_met": bool(reg) and reg["median"] <= REGISTER_TARGET,
        "idp_agents_list_median_s": listing["median_ms"] / 1000,
        "idp_agents_list_met": listing["median_ms"] / 1000 < LIST_TARGET_S,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"{os.cpu_count()} cores · load average (1/5/15 min) before {load_before}, after "
        f"{load_after} · {args.rounds} interleaved rounds · filled in {fill_s:.0f} s"
    )
    print(
        f"{'command':28} {'agents':>6} {'min ms':>8} {'median':>8} {'max ms':>8} {'RSS MiB':>8}"
        f"  {big}/{small} ratio (min/median/max)"
    )
    for r in report["results"]:
        ratio = r.get("ratio_to_smallest")
        tail = f"  {ratio['min']:.2f} / {ratio['median']:.2f} / {ratio['max']:.2f}" if ratio else ""
        print(
            f"{r['command']:28} {r['agents']:6d} {r['min_ms']:8.1f} {r['median_ms']:8.1f}"
            f" {r['max_ms']:8.1f} {r['max_rss_mib']:8.1f}{tail}"
        )
    print(
        f"store operations in-process, median of 200 calls (us), at {', '.join(map(str, sizes))}"
        f" agents; {big}/{small} ratio:"
    )
    for op in store_us[small]:
        cells = "  ".join(f"{store_us[n][op]:8.0f}" for n in sizes)
        print(f"  {op:26} {cells}  {store_us[big][op] / store_us[small][op]:.2f}x")
    t = report["targets"]
    if reg:
        print(
            f"register at {big} is {reg['median']:.2f}x its cost at {small} (median of per-round "
            f"ratios): {'within' if t['register_ratio_met'] else 'OVER'} the "
            f"{REGISTER_TARGET:.0f}x target"
        )
    print(
        f"idp agents list at {big}: {t['idp_agents_list_median_s']:.2f} s median: "
        f"{'within' if t['idp_agents_list_met'] else 'OVER'} the {LIST_TARGET_S:.0f} s target"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
