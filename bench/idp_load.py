"""Load benchmark: the embedded IdP (`agentctl idp serve`) against the npm OpenID provider peer.

In one run, on loopback only, with throw-away state (a temp AGENTCTL_HOME and a temp PEER_DIR):
starts `agentctl idp serve` (`--workers`/`--threads` as given; default: `idp serve`'s own
defaults) and the peer (`tests/peers/oidc-provider/start.sh`), then measures requests/second
and p50/p99 latency of

    peer      client_credentials                    (the named baseline)
    agentctl  client_credentials
    agentctl  token exchange, delegation (subject = alice's token, actor = the agent's token)
    agentctl  introspection of a JWT access token (RFC 7662)

with `wrk` (a Lua script POSTs the form). Without wrk the bench stops and says how to install
it (`apt-get install wrk`): a Python load generator on the same 2 cores would measure itself.
The scenarios are interleaved in `--rounds` slices; each agentctl figure's ratio to the peer is
taken per round (same minute, same background load) and printed as min / median / max, with
the machine's load average before and after. Every scenario must answer 200s only (checked by
one request first and by wrk's non-2xx count). Target: every agentctl ratio >= 1.0 (median)
on a 2-core machine. Stops by itself and cleans up every process it started.

    .venv/bin/python bench/idp_load.py [--duration 12] [--rounds 4] [--workers N] [--json]
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
    expect: str = "access_token"  # a member every answer must have (introspection: active)


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
    tmp: Path, workers: int | None, threads: int | None
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
    if workers is not None:
        command += ["--workers", str(workers)]
    if threads is not None:
        command += ["--threads", str(threads)]
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
                "introspect": Scenario(
                    "agentctl introspection (JWT)",
                    f"{base}/i/enterprise/introspect",
                    {"token": actor},
                    auth,
                    expect="active",
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
    if r.status_code != 200 or not r.json().get(s.expect):
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


def measure(s: Scenario, tmp: Path, duration: int, connections: int) -> Figures:
    check_once(s)
    return with_wrk(s, tmp, duration, connections)


def combine(samples: list[Figures]) -> Figures:
    """One scenario's slices: the median slice by rps, with every slice's requests and
    failures counted (interleaving the scenarios spreads the machine's background load)."""
    ordered = sorted(samples, key=lambda f: f.rps)
    mid = ordered[len(ordered) // 2]
    return Figures(
        mid.name,
        statistics.median(f.rps for f in samples),
        statistics.median(f.p50_ms for f in samples),
        statistics.median(f.p99_ms for f in samples),
        sum(f.requests for f in samples),
        sum(f.failures for f in samples),
        mid.tool,
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=12, help="seconds per scenario, in all")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="interleave the scenarios in this many slices (the machine's load shifts)",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=None, help="default: idp serve's own")
    parser.add_argument("--threads", type=int, default=None, help="default: idp serve's own")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print(
            "wrk is not installed: `apt-get install wrk` (Debian/Ubuntu; the package is `wrk` "
            "elsewhere too). This bench does not fall back to a Python load generator: on the "
            "same cores it would measure itself, not the servers.",
            file=sys.stderr,
        )
        return 2

    rounds = max(1, args.rounds)
    slice_s = max(1, round(args.duration / rounds))
    names = ("peer", "cc", "exchange", "introspect")
    samples: dict[str, list[Figures]] = {n: [] for n in names}
    load_before = load()
    with tempfile.TemporaryDirectory(prefix="agentctl-bench-") as name:
        tmp = Path(name)
        with peer_idp(tmp) as peer, agentctl_idp(tmp, args.workers, args.threads) as (_, ours):
            scenarios = {"peer": peer, **ours}
            for _ in range(rounds):
                for key in names:
                    samples[key].append(measure(scenarios[key], tmp, slice_s, args.connections))
                    time.sleep(0.3)  # let the previous server settle before the next one
    load_after = load()
    results = {key: combine(samples[key]) for key in names}
    ratios: dict[str, list[float]] = {
        key: [
            ours.rps / base.rps if base.rps else 0.0
            for ours, base in zip(samples[key], samples["peer"], strict=True)
        ]
        for key in names
    }
    for key in names:
        results[key].ratio = statistics.median(ratios[key])
    verdict = all((results[k].ratio or 0) >= 1.0 for k in names[1:])
    setup = f"workers {args.workers or 'default'} x threads {args.threads or 'default'}"
    if args.json:
        print(
            json.dumps(
                {
                    "cores": os.cpu_count(),
                    "agentctl": setup,
                    "rounds": rounds,
                    "round_s": slice_s,
                    "connections": args.connections,
                    "load_before": load_before,
                    "load_after": load_after,
                    "results": [
                        {
                            **asdict(results[k]),
                            "ratio_min": min(ratios[k]),
                            "ratio_max": max(ratios[k]),
                        }
                        for k in names
                    ],
                    "target_met": verdict,
                },
                indent=2,
            )
        )
    else:
        print(
            f"{os.cpu_count()} cores · load average (1/5/15 min) before {load_before}, after "
            f"{load_after} · agentctl {setup} · {args.connections} connections · {rounds} "
            f"interleaved rounds x {slice_s} s · wrk"
        )
        print(
            f"{'scenario':38} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'fail':>5}"
            "  ratio to peer cc (min / median / max of rounds)"
        )
        for k in names:
            f = results[k]
            print(
                f"{f.name:38} {f.rps:8.1f} {f.p50_ms:7.1f} {f.p99_ms:7.1f} {f.failures:5d}"
                f"  {min(ratios[k]):.2f} / {statistics.median(ratios[k]):.2f} / "
                f"{max(ratios[k]):.2f}"
            )
        print(
            "target (each agentctl figure >= the peer's client_credentials, median): "
            + ("met" if verdict else "NOT met")
        )
    failed = any(f.failures for f in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
