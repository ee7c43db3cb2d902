"""The sign-in's password KDF started ahead (issue 16): `agentctl exchange` on the in-process IdP
starts the scrypt for the user's stored hash while it imports the IdP, and the IdP's own check
(`userauth.authenticate`) joins that computation instead of running a second one. The IdP
still decides: every outcome (right, wrong, unknown user, changed password, throttled) is the
one the plain path gives, and a prefetch serves at most one check.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentctl.idp import constants as c
from agentctl.idp import secrets, throttle
from agentctl.idp.inprocess import prefetch_sign_in
from agentctl.idp.service import IdpService
from agentctl.idp.userauth import SignInError, SignInThrottled, authenticate
from tests.helpers import run

PASSWORD = "correct horse battery staple"
ISSUER = c.DEFAULT_IDP_ISSUER
PREFETCH_THREAD = "agentctl-password-kdf"


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    # The production cost is the point in real use and dead time here; hashes made now carry
    # their own parameters, which is what prefetch and check read.
    monkeypatch.setattr(secrets, "_N", 2**10)


@pytest.fixture(autouse=True)
def _no_leftover_prefetch() -> Iterator[None]:
    secrets._pending = None
    yield
    secrets._pending = None


@pytest.fixture
def kdf_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread each scrypt ran on, in order."""
    calls: list[str] = []
    real = secrets._scrypt

    def counting(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
        calls.append(threading.current_thread().name)
        return real(password, salt, n, r, p)

    monkeypatch.setattr(secrets, "_scrypt", counting)
    return calls


def _service(path: Path) -> IdpService:
    svc = IdpService.open(path)
    svc.add_user("alice", "alice@example.com", PASSWORD)
    return svc


def _outcome(svc: IdpService, password: str, name: str = "alice") -> dict[str, Any]:
    """What a user and an operator can see of one sign-in: the answer, the audit trail and
    the throttle's state."""
    try:
        user = authenticate(svc.ctx, ISSUER, name, password, source="127.0.0.1")
        answer: str = f"ok:{user.name}"
    except SignInThrottled:
        answer = "throttled"
    except SignInError as exc:
        answer = f"refused:{exc}"
    audit = [
        (r["event"], r["detail"])
        for r in svc.store.rows("SELECT event, detail FROM audit WHERE event LIKE 'signin:%'")
    ]
    counts = [
        (r["key"], r["count"])
        for r in svc.store.rows("SELECT key, count FROM throttle ORDER BY key")
    ]
    return {"answer": answer, "audit": audit, "throttle": counts}


def _both_ways(
    tmp_path: Path, prefetched: str | None, used: str, name: str = "alice"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same sign-in on two fresh IdPs: plain, and with `prefetched` started first."""
    plain = _service(tmp_path / "plain.sqlite3")
    expected = _outcome(plain, used, name)
    ahead = _service(tmp_path / "ahead.sqlite3")
    if prefetched is not None:
        prefetch_sign_in(name, prefetched, db_path=ahead.store.path)
    return expected, _outcome(ahead, used, name)


def test_the_right_password_joins_the_prefetched_kdf_instead_of_running_a_second(
    tmp_path: Path, kdf_calls: list[str]
) -> None:
    svc = _service(tmp_path / "idp.sqlite3")
    kdf_calls.clear()
    assert prefetch_sign_in("alice", PASSWORD, db_path=svc.store.path) is True
    assert _outcome(svc, PASSWORD)["answer"] == "ok:alice"
    # One scrypt in all, and it ran beside the caller: the check took its result.
    assert kdf_calls == [PREFETCH_THREAD]


def test_a_prefetch_serves_one_check_only(tmp_path: Path, kdf_calls: list[str]) -> None:
    svc = _service(tmp_path / "idp.sqlite3")
    prefetch_sign_in("alice", PASSWORD, db_path=svc.store.path)
    kdf_calls.clear()
    assert _outcome(svc, PASSWORD)["answer"] == "ok:alice"
    assert _outcome(svc, PASSWORD)["answer"] == "ok:alice"
    assert kdf_calls.count(PREFETCH_THREAD) <= 1
    assert kdf_calls.count(threading.current_thread().name) == 1  # the second check computed


def test_right_password_same_outcome_as_the_plain_path(tmp_path: Path) -> None:
    expected, got = _both_ways(tmp_path, PASSWORD, PASSWORD)
    assert got == expected
    assert got["answer"] == "ok:alice"


def test_a_wrong_password_prefetched_is_refused_and_counted_as_always(
    tmp_path: Path, kdf_calls: list[str]
) -> None:
    expected, got = _both_ways(tmp_path, "wrong password", "wrong password")
    assert got == expected
    assert got["answer"].startswith("refused:")
    assert [e for e, _ in got["audit"]] == ["signin:failed"]
    assert got["throttle"] == [
        (throttle.source_key("127.0.0.1"), 1),
        (throttle.user_key(ISSUER, "alice"), 1),
    ]


def test_a_prefetch_for_another_password_is_not_used(tmp_path: Path, kdf_calls: list[str]) -> None:
    # Started for the right password, checked with a wrong one: refused, and the wrong one
    # was hashed for the check itself.
    expected, got = _both_ways(tmp_path, PASSWORD, "wrong password")
    assert got == expected
    assert got["answer"].startswith("refused:")
    svc = _service(tmp_path / "idp.sqlite3")
    prefetch_sign_in("alice", PASSWORD, db_path=svc.store.path)
    kdf_calls.clear()
    assert _outcome(svc, "wrong password")["answer"].startswith("refused:")
    assert threading.current_thread().name in kdf_calls  # the check ran its own KDF
    # And the other way round: a prefetched wrong password does not fail the right one.
    expected, got = _both_ways(tmp_path / "again", "wrong password", PASSWORD)
    assert got == expected
    assert got["answer"] == "ok:alice"


def test_an_unknown_user_starts_nothing_and_is_refused_as_always(
    tmp_path: Path, kdf_calls: list[str]
) -> None:
    svc = _service(tmp_path / "idp.sqlite3")
    kdf_calls.clear()
    assert prefetch_sign_in("mallory", PASSWORD, db_path=svc.store.path) is False
    assert PREFETCH_THREAD not in kdf_calls
    expected, got = _both_ways(tmp_path / "both", PASSWORD, PASSWORD, name="mallory")
    assert got == expected
    assert got["answer"].startswith("refused:")


def test_a_password_changed_after_the_prefetch_decides_the_sign_in(
    tmp_path: Path, kdf_calls: list[str]
) -> None:
    svc = _service(tmp_path / "idp.sqlite3")
    assert prefetch_sign_in("alice", PASSWORD, db_path=svc.store.path) is True
    svc.set_password("alice", "a new password")
    # The old password's KDF ran against the old hash: it proves nothing now.
    assert _outcome(svc, PASSWORD)["answer"].startswith("refused:")
    assert _outcome(svc, "a new password")["answer"] == "ok:alice"


def test_a_throttled_user_is_refused_without_a_check_prefetch_or_not(
    tmp_path: Path,
) -> None:
    def block(svc: IdpService) -> None:
        for _ in range(throttle.FREE_FAILURES + 1):
            _outcome(svc, "wrong password")

    plain = _service(tmp_path / "plain.sqlite3")
    block(plain)
    expected = _outcome(plain, PASSWORD)
    ahead = _service(tmp_path / "ahead.sqlite3")
    block(ahead)
    prefetch_sign_in("alice", PASSWORD, db_path=ahead.store.path)
    got = _outcome(ahead, PASSWORD)
    assert expected["answer"] == got["answer"] == "throttled"
    assert [e for e, _ in got["audit"]] == [e for e, _ in expected["audit"]]


def test_no_database_yet_starts_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "none" / "idp.sqlite3"
    assert prefetch_sign_in("alice", PASSWORD, db_path=missing) is False
    assert not missing.exists()  # the prefetch never creates the IdP


def test_a_hash_that_is_no_scrypt_hash_starts_nothing() -> None:
    assert secrets.prefetch_password(PASSWORD, "bcrypt$whatever") is False
    assert secrets.verify_password(PASSWORD, "bcrypt$whatever") is False


def test_exchange_obo_in_process_runs_one_kdf_beside_its_imports(kdf_calls: list[str]) -> None:
    demo = run("demo")
    assert demo.exit_code == 0, demo.stdout + demo.stderr
    kdf_calls.clear()
    result = run("exchange", "--mode", "obo")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "every check holds" in result.stdout
    assert kdf_calls == [PREFETCH_THREAD]


def test_exchange_with_a_wrong_password_is_refused_as_before(kdf_calls: list[str]) -> None:
    demo = run("demo")
    assert demo.exit_code == 0, demo.stdout + demo.stderr
    result = run(
        "exchange", "--mode", "obo", "--json", env={"AGENTCTL_USER_PASSWORD": "not alice's"}
    )
    assert result.exit_code == 6, result.stdout + result.stderr
    assert "invalid_grant" in result.stdout  # the IdP's refusal, as without the prefetch
    assert PREFETCH_THREAD in kdf_calls  # it was started, and refused all the same
