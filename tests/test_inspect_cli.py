from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentctl.exit_codes import ExitCode
from tests.core.inspect_fixtures import EXPLAIN_FIELDS, example, make_token
from tests.helpers import run

TOKEN = example("obo")


def test_example_obo_explains_who_acted_for_whom() -> None:
    res = run("inspect", "--example", "obo")
    assert res.exit_code == 0, res.stderr
    out = res.stdout
    assert "agent bot-7 did this as user Alice Example" in out
    assert "hybrid on-behalf-of" in out
    assert "└─ bot-7 [agent]  current actor (act): the only actor authorization may use" in out
    assert "planner-2 [agent]  prior actor: history, not for authz" in out
    assert "Signature  not checked" in out
    assert "2026-11-01T10:00:00Z (expires in 59 min)" in out
    assert TOKEN not in out
    assert "raw token hidden" in out


def test_show_token_prints_the_raw_token() -> None:
    assert TOKEN in run("inspect", "--example", "obo", "--show-token").stdout


@pytest.mark.parametrize(
    "form",
    ["arg", "stdin", "file", "header"],
)
def test_input_forms(form: str, tmp_path: Path) -> None:
    if form == "arg":
        res = run("inspect", f"Bearer {TOKEN}", "--json")
    elif form == "stdin":
        res = run("inspect", "-", "--json", stdin=f"  '{TOKEN}'\n")
    elif form == "file":
        (tmp_path / "t.txt").write_text(f'"{TOKEN}"\n')
        res = run("inspect", f"@{tmp_path / 't.txt'}", "--json")
    else:
        res = run("inspect", "-", "--json", stdin=f"Authorization: Bearer {TOKEN}\r\n")
    assert res.exit_code == 0, res.stdout
    assert res.json()["data"]["subject"]["id"] == "alice"


def test_json_carries_the_contract_fields() -> None:
    res = run("inspect", "--example", "entra-obo", "--json")
    doc = res.json()
    assert (doc["schema"], doc["command"], doc["status"], doc["exit_code"]) == (
        "agentctl.result/1",
        ["inspect"],
        "ok",
        0,
    )
    data = doc["data"]
    assert set(data) >= EXPLAIN_FIELDS | {"verification"}
    assert set(data["subject"]) >= {"id", "kind", "display"}
    assert set(data["actor"]) >= {"id", "kind"}
    assert set(data["times"]) >= {"issued_at", "not_before", "expires_at", "status"}
    assert set(data["verification"]) >= {"status", "reason", "key_id", "jwks_source"}
    assert data["verification"]["status"] == "not_checked"
    for finding in data["findings"]:
        assert set(finding) == {"severity", "code", "message", "reference"}
    for claim in data["claims"]:
        assert set(claim) >= {"name", "value", "meaning"}
    assert (data["dialect"], data["mode"], data["tenant"]) == (
        "entra",
        "hybrid_obo",
        "aaaabbbb-0000-cccc-1111-dddd2222eeee",
    )
    assert data["token"]["raw"] is None
    assert data["token"]["fingerprint"].startswith("sha256:")


def test_encrypted_and_opaque_tokens() -> None:
    # {"alg":"RSA-OAEP","enc":"A256GCM"} with an empty encrypted key (direct encryption)
    res = run("inspect", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ..aaaa.bbbb.cccc")
    assert res.exit_code == 0
    assert "encrypted JWT" in res.stdout
    assert "A256GCM" in res.stdout
    assert "only the protected header is readable" in res.stdout
    res = run("inspect", "2YotnFZFEjr1zCsicMWpAA", "--json")
    assert res.json()["data"]["kind"] == "opaque"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("inspect",), None, "no token given"),
        (("inspect", "eyJhbGciOiJub25lIn0.e30"), None, "2 dot-separated parts"),
        (("inspect", "-"), "", "empty"),
        (("inspect", "@/nonexistent/token.txt"), None, "cannot read"),
        (("inspect", "--example", "nope"), None, "no example token named 'nope'"),
        (("inspect", TOKEN, "--example", "obo"), None, "either TOKEN or --example"),
        (("inspect", TOKEN, "--at", "tomorrow-ish"), None, "cannot read 'tomorrow-ish' as a time"),
        (("inspect", "-"), "x" * 1_000_001, "more than 1,000,000 bytes"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    res = run(*args, stdin=stdin)
    assert res.exit_code == ExitCode.USAGE
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr + res.stdout


def test_binary_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bin").write_bytes(bytes(range(256)))
    res = run("inspect", f"@{tmp_path / 'bin'}")
    assert res.exit_code == 2
    assert "binary" in res.stderr


def test_bad_input_with_json_is_an_error_envelope() -> None:
    doc = run("inspect", "garbage!!", "--json").json()
    assert (doc["status"], doc["exit_code"], doc["errors"][0]["code"]) == ("error", 2, "bad_input")


def test_at_moves_the_clock() -> None:
    data = run("inspect", "--example", "obo", "--at", "2026-11-01T12:00:00Z", "--json").json()
    assert data["data"]["times"]["summary"] == "expired 2 h ago"
    assert "expired" in {f["code"] for f in data["data"]["findings"]}


def test_control_characters_in_claims_cannot_drive_the_terminal() -> None:
    res = run("inspect", make_token({"sub": "evil\x1b[2J", "iss": "https://i", "exp": 1}))
    assert "\x1b" not in res.stdout
    assert "\\x1b[2J" in res.stdout


def test_inspect_imports_no_network_crypto_or_rich() -> None:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "agentctl", "inspect", "--example", "obo"],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in out.stderr.splitlines()}
    assert not loaded & {"httpx", "jwt", "cryptography", "rich", "msal", "keyring", "flask"}


def test_at_offsets_count_from_an_examples_mint_time() -> None:
    data = run("inspect", "--example", "obo", "--at", "+2h", "--json").json()["data"]
    assert data["times"]["summary"] == "expired 61 min ago"
    assert data["evaluated_at"] == "2026-11-01T11:01:00Z"
