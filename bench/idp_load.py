"""Load benchmark: the embedded IdP (`agentctl idp serve`) against the npm OpenID provider peer.

In one run, on loopback only, with throw-away state (a temp AGENTCTL_HOME and a temp PEER_DIR):
starts `agentctl idp serve` (workers = cores, `--threads 1`: CPU-bound Python runs fastest
without GIL hand-offs) and the peer (`tests/peers/oidc-provider/start.sh`),
then measures requests/second and p50/p99 latency of

    peer      client_credentials                    (the named baseline)
    agentctl  client_credentials
    agentctl  token exchange, delegation (subject = alice's token, actor = the agent's token)

with `wrk` (a Lua script POSTs the form) or, without wrk, a Python thread pool with httpx.
The scenarios are interleaved in `--rounds` slices and each reports its median slice, so a
burst of background load on a shared machine does not land on one side only. Every scenario
must answer 200s only (checked by one request first and by wrk's non-2xx count).
Prints each figure and its ratio to the peer's client-credentials rps. Target: both agentctl
ratios >= 1.0 on a 2-core machine. Stops by itself (each scenario `--duration` s, default 6;
the whole run well under a minute) and cleans up every process it started.

    .venv/bin/python bench/idp_load.py [--duration 6] [--rounds 3] [--threads 1] [--json]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "tests" / "peers" / "oidc-provider"
PEER_CLIENT = ("agentctl-admin", "agentctl-admin-secret")
TE = "urn:ietf:params:oauth:grant-type:token-exchange"
AT = "urn:ietf:params:oauth:token-type:access_token"


@dataclass
class Scenario:
    name: str
    url: str
    form: dict[str, str]
    auth: tuple[str, str]


@dataclass
class Figures:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int
    tool: str
    ratio: float | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes] | None, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited early:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"timeout waiting for {url}:\n{log.read_text()[-2000:]}")


# -- the two servers ---------------------------------------------------------------------------
@contextmanager
def agentctl_idp(
    tmp: Path, workers: int, threads: int
) -> Iterator[tuple[str, dict[str, Scenario]]]:
    """`agentctl idp serve` on a free loopback port, with an agent and a user set up for the
    scenarios; yields (base URL, scenarios) and kills the server's process group after."""
    from agentctl.idp.service import IdpService

    home = tmp / "agentctl-home"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "AGENTCTL_HOME": str(home)}
    os.environ["AGENTCTL_HOME"] = str(home)  # IdpService.open() below reads it now
    svc = IdpService.open(base_url=base)
    agent = svc.create_agent("bench-agent", sponsor="bench@example.com")
    password = "bench password"  # noqa: S105 - a throw-away user in a temp database
    svc.add_user("alice", "alice@example.com", password)
    svc.grant("alice", agent.client_id)
    user = svc.user_tokens("alice", password, client_id=agent.client_id)
    svc.store.close()
    auth = (agent.client_id, agent.client_secret or "")

    log = tmp / "agentctl-serve.log"
    python = sys.executable
    command = [python, "-m", "agentctl", "idp", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_ready(f"{base}/i/enterprise/jwks.json", proc, log, 30)
        token_url = f"{base}/i/enterprise/token"
        cc = httpx.post(token_url, data={"grant_type": "client_credentials"}, auth=auth)
        actor = cc.json()["access_token"]
        yield (
            base,
            {
                "cc": Scenario(
                    "agentctl client_credentials",
                    token_url,
                    {"grant_type": "client_credentials"},
                    auth,
                ),
                "exchange": Scenario(
                    "agentctl token exchange (delegation)",
                    token_url,
                    {
                        "grant_type": TE,
                        "subject_token": user.access_token,
                        "subject_token_type": AT,
                        "actor_token": actor,
                        "actor_token_type": AT,
                    },
                    auth,
                ),
            },
        )
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        if "database is locked" in log.read_text():
            print("warning: the agentctl server log mentions 'database is locked'")


@contextmanager
def peer_idp(tmp: Path) -> Iterator[Scenario]:
    port = free_port()
    env = {**os.environ, "PEER_DIR": str(tmp / "peer")}
    start = subprocess.run(
        [str(PEER / "start.sh"), str(port)], env=env, capture_output=True, text=True, check=False
    )
    try:
        if start.returncode != 0:
            raise SystemExit(f"the peer did not start:\n{start.stdout}{start.stderr}")
        base = f"http://127.0.0.1:{port}"
        yield Scenario(
            "peer client_credentials (baseline)",
            f"{base}/token",
            {"grant_type": "client_credentials", "scope": "api:read"},
            PEER_CLIENT,
        )
    finally:
        subprocess.run(
            [str(PEER / "stop.sh"), str(port)], env=env, capture_output=True, check=False
        )


# -- measuring ---------------------------------------------------------------------------------
def check_once(s: Scenario) -> None:
    r = httpx.post(s.url, data=s.form, auth=s.auth, timeout=10)
    if r.status_code != 200 or "access_token" not in r.json():
        raise SystemExit(f"{s.name}: a single request fails ({r.status_code}): {r.text[:300]}")


LUA = """wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = {auth}
"""


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def with_wrk(s: Scenario, tmp: Path, duration: int, connections: int) -> Figures:
    basic = "Basic " + base64.b64encode(f"{s.auth[0]}:{s.auth[1]}".encode()).decode()
    script = tmp / "post.lua"
    script.write_text(LUA.format(body=lua_string(urlencode(s.form)), auth=lua_string(basic)))
    threads = min(2, connections)
    out = subprocess.run(
        [
            *("wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"),
            *("-s", str(script), s.url),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failures = (int(bad.group(1)) if bad else 0) + (
        sum(int(g) for g in errors.groups()) if errors else 0
    )
    return Figures(s.name, rps, _wrk_ms(out, "50%"), _wrk_ms(out, "99%"), total, failures, "wrk")


def _wrk_ms(out: str, pct: str) -> float:
    match = re.search(rf"^\s+{re.escape(pct)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def with_threads(s: Scenario, duration: int, connections: int) -> Figures:
    """The fallback when wrk is missing: `connections` threads, each with its own client."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def run() -> None:
        nonlocal failures
        mine: list[float] = []
        bad = 0
        with httpx.Client(timeout=10) as http:
            while time.monotonic() < stop_at:
                t0 = time.perf_counter()
                try:
                    ok = http.post(s.url, data=s.form, auth=s.auth).status_code == 200
                except httpx.HTTPError:
                    ok = False
                mine.append(time.perf_counter() - t0)
                bad += not ok
        with lock:
            latencies.extend(mine)
            failures += bad

    started = time.monotonic()
    pool = [threading.Thread(target=run) for _ in range(connections)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Figures(
        s.name,
        len(latencies) / elapsed,
        cuts[49] * 1000,
        cuts[98] * 1000,
        len(latencies),
        failures,
        "python threads (no wrk)",
    )


def measure(s: Scenario, tmp: Path, duration: int, connections: int, wrk: bool = True) -> Figures:
    check_once(s)
    if wrk and shutil.which("wrk"):
        return with_wrk(s, tmp, duration, connections)
    return with_threads(s, duration, connections)


def combine(samples: list[Figures]) -> Figures:
    """One scenario's slices: the median slice by rps, with every slice's requests and
    failures counted (interleaving the scenarios spreads the machine's background load)."""
    ordered = sorted(samples, key=lambda f: f.rps)
    mid = ordered[len(ordered) // 2]
    return Figures(
        mid.name,
        mid.rps,
        statistics.median(f.p50_ms for f in samples),
        statistics.median(f.p99_ms for f in samples),
        sum(f.requests for f in samples),
        sum(f.failures for f in samples),
        mid.tool,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=6, help="seconds per scenario")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleave the scenarios in this many slices (the machine's load shifts)",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per agentctl worker (1 = gunicorn sync workers, the fastest on 2 cores)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--no-wrk", action="store_true", help="use the Python fallback")
    args = parser.parse_args()

    rounds = max(1, args.rounds)
    slice_s = max(1, round(args.duration / rounds))
    samples: list[list[Figures]] = [[], [], []]
    with tempfile.TemporaryDirectory(prefix="agentctl-bench-") as name:
        tmp = Path(name)
        with peer_idp(tmp) as peer, agentctl_idp(tmp, args.workers, args.threads) as (_, ours):
            scenarios = (peer, ours["cc"], ours["exchange"])
            for _ in range(rounds):
                for i, scenario in enumerate(scenarios):
                    samples[i].append(
                        measure(scenario, tmp, slice_s, args.connections, not args.no_wrk)
                    )
                    time.sleep(0.3)  # let the previous server settle before the next one
    results = [combine(s) for s in samples]
    baseline = results[0].rps
    for fig in results:
        fig.ratio = fig.rps / baseline if baseline else None
    verdict = all((f.ratio or 0) >= 1.0 for f in results[1:])
    if args.json:
        print(
            json.dumps(
                {
                    "cores": os.cpu_count(),
                    "workers": args.workers,
                    "threads": args.threads,
                    "rounds": rounds,
                    "round_s": slice_s,
                    "connections": args.connections,
                    "results": [asdict(f) for f in results],
                    "target_met": verdict,
                },
                indent=2,
            )
        )
    else:
        print(
            f"{os.cpu_count()} cores · agentctl workers {args.workers} x {args.threads} threads"
            f" · {args.connections} connections · {rounds} rounds x {slice_s} s each"
            f" (median round) · {results[0].tool}"
        )
        print(f"{'scenario':40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'fail':>5} {'ratio':>6}")
        for f in results:
            ratio = f"{f.ratio:.2f}" if f.ratio is not None else "-"
            print(
                f"{f.name:40} {f.rps:9.1f} {f.p50_ms:8.1f} {f.p99_ms:8.1f} {f.failures:5d}"
                f" {ratio:>6}"
            )
        print(
            "target (each agentctl figure >= the peer's client_credentials): "
            + ("met" if verdict else "NOT met")
        )
    failed = any(f.failures for f in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
