"""Key rotation, storage location and permissions, multi-process writers, concurrency."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agentctl.idp.service import IdpService
from agentctl.idp.store import default_db_path
from tests.idp.conftest import Idp, basic, header


def test_rotation_keeps_the_old_key_published_until_its_tokens_expire(idp: Idp) -> None:
    agent = idp.agent()
    before = idp.cc(agent)
    old_kid = header(before)["kid"]
    new_kid = idp.svc.rotate_keys("enterprise")
    assert new_kid != old_kid
    kids = [k["kid"] for k in idp.http.get(idp.url("enterprise", "jwks.json")).json()["keys"]]
    assert kids == [new_kid, old_kid]
    after = idp.cc(agent)
    assert header(after)["kid"] == new_kid
    assert idp.introspect(before, agent)["active"] is True  # still verifies
    states = {k.kid: k.state for k in idp.svc.keys("enterprise")}
    assert states == {new_kid: "active", old_kid: "retired"}
    # Once every token the old key signed has expired, it leaves the JWKS.
    idp.svc.ctx.clock = lambda: 10**10
    assert [k.kid for k in idp.svc.keys("enterprise")] == [new_kid]


def test_rotation_to_rs256(idp: Idp) -> None:
    agent = idp.agent()
    idp.svc.rotate_keys("enterprise", "RS256")
    token = idp.cc(agent)
    assert header(token)["alg"] == "RS256"
    assert idp.introspect(token, agent)["active"] is True
    keys = idp.http.get(idp.url("enterprise", "jwks.json")).json()["keys"]
    assert [k["kty"] for k in keys] == ["RSA", "EC"]


def test_keys_survive_reopening_the_database() -> None:
    first = IdpService.open()
    kid = first.keys("enterprise")[0].kid
    first.store.close()
    assert IdpService.open().keys("enterprise")[0].kid == kid


def test_database_lives_in_the_data_dir_owner_only(tmp_path: Path) -> None:
    svc = IdpService.open()
    path = default_db_path()
    assert svc.store.path == path
    assert path.parent == Path(os.environ["AGENTCTL_HOME"]) / "data"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert svc.store.rows("PRAGMA journal_mode")[0][0] == "wal"


def test_concurrent_exchanges_over_http_all_succeed(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    idp.svc.grant("alice", agent.client_id)
    subject = idp.user_tokens(agent)["access_token"]
    actor = idp.cc(agent)

    def one(_: int) -> int:
        r = idp.http.post(
            idp.url("enterprise", "token"),
            auth=basic(agent),
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token": subject,
                "actor_token": actor,
                "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "actor_token_type": "urn:ietf:params:oauth:token-type:access_token",
            },
        )
        return r.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(one, range(32)))
    assert codes == [200] * 32
    issued = [e for e in idp.svc.audit(limit=100) if e["actor_chain"]]
    assert len(issued) == 32
    assert len({e["jti"] for e in issued}) == 32


def test_several_processes_write_one_database_without_locking_errors() -> None:
    IdpService.open().store.close()
    script = textwrap.dedent(
        """
        import sys
        from agentctl.idp.service import IdpService
        svc = IdpService.open()
        for i in range(15):
            svc.create_agent(f"p{sys.argv[1]}-{i}", also_at=[])
            svc.rotate_keys("mcp-as") if i % 5 == 0 else None
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(n)], stderr=subprocess.PIPE)
        for n in range(4)
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    assert not any("locked" in e for e in errors)
    svc = IdpService.open()
    assert len(svc.list_agents("enterprise")) == 60
    assert [k.state for k in svc.keys("mcp-as")].count("active") == 1
    assert svc.store.rows("PRAGMA integrity_check")[0][0] == "ok"
