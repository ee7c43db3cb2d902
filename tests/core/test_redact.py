from __future__ import annotations

from agentctl.core.redact import fingerprint, redact_headers, redact_mapping, redact_text


def test_form_secrets_become_fingerprints() -> None:
    out = redact_mapping({"grant_type": "client_credentials", "client_secret": "s3cr3t"})
    assert out["grant_type"] == "client_credentials"
    assert "s3cr3t" not in str(out)
    assert out["client_secret"] == f"<redacted {fingerprint('s3cr3t')}>"


def test_nested_and_lists() -> None:
    out = redact_mapping(
        {"a": {"access_token": "value-one-1"}, "b": [{"refresh_token": "value-two-2"}]}
    )
    assert "value-one-1" not in str(out)
    assert "value-two-2" not in str(out)


def test_authorization_header_keeps_scheme() -> None:
    out = redact_headers({"Authorization": "Basic Zm9vOmJhcg==", "Accept": "x"})
    assert out["Authorization"].startswith("Basic <redacted sha256:")
    assert out["Accept"] == "x"


def test_jwt_in_text() -> None:
    tok = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
    assert tok not in redact_text(f"got {tok} back")


def test_fingerprint_is_stable_and_short() -> None:
    assert fingerprint("x") == fingerprint("x") != fingerprint("y")
    assert len(fingerprint("x")) == len("sha256:") + 12
