"""Client credentials for Entra apps and blueprints: a secret, a certificate whose private key
stays local, or a federated identity credential. Entra identifies a certificate by its thumbprint
in the client assertion's header (`x5t` = SHA-1, `x5t#S256` = SHA-256, base64url of the DER
certificate's digest). A federated credential keeps no secret at all: the client assertion is a
token another issuer wrote to a file (workload identity federation: a Kubernetes service-account
token, a CI job's OIDC token, a managed identity's token), matched by Entra against the app's
federatedIdentityCredentials (issuer, subject, audience api://AzureADTokenExchange); the file is
read at each use, since its issuer rotates it.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from agentctl.core.redact import fingerprint
from agentctl.errors import ConfigError


@dataclass(frozen=True)
class ClientCredential:
    """Exactly one of `secret`, (`private_key_pem`, `certificate_pem`) or
    `federated_token_file`."""

    secret: str | None = field(default=None, repr=False)
    private_key_pem: str | None = field(default=None, repr=False)
    certificate_pem: str | None = None
    federated_token_file: str | None = None  # a path: the token in it is the assertion

    def __post_init__(self) -> None:
        has_cert = bool(self.private_key_pem and self.certificate_pem)
        if [bool(self.secret), has_cert, bool(self.federated_token_file)].count(True) != 1:
            raise ConfigError(
                "an Entra client credential is a secret, a private key + certificate, or a "
                "federated token file",
                hint="store one of them for the client (`agentctl profile …`)",
            )

    @property
    def kind(self) -> str:
        if self.federated_token_file:
            return "federated"
        return "secret" if self.secret else "certificate"

    def describe(self) -> dict[str, Any]:
        """What can be shown: the kind and a fingerprint, never the value."""
        if self.secret:
            return {"kind": "secret", "fingerprint": fingerprint(self.secret)}
        if self.federated_token_file:
            return {"kind": "federated", "token_file": self.federated_token_file}
        return {"kind": "certificate", "thumbprint_sha1": self.thumbprints()[0]}

    def federated_assertion(self) -> str:
        """The token in the federated token file, read now (its issuer rotates it)."""
        from agentctl import files

        path = self._pem("federated_token_file")
        text = files.read_text(
            path, what="federated token file", limit=64 * 1024, error=ConfigError
        )
        token = text.strip()
        if token.count(".") != 2:
            raise ConfigError(
                f"the federated token file {path} holds no JWT",
                hint="point it at the file your platform writes the workload's token to "
                "(e.g. AZURE_FEDERATED_TOKEN_FILE)",
            )
        return token

    def thumbprints(self) -> tuple[str, str]:
        """(SHA-1 hex, base64url SHA-256) of the certificate."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        cert = x509.load_pem_x509_certificate(self._pem("certificate_pem").encode())
        sha1 = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 -- x5t is SHA-1
        sha256 = _b64url(cert.fingerprint(hashes.SHA256()))
        return sha1, sha256

    def for_msal(self) -> str | dict[str, Any]:
        if self.secret:
            return self.secret
        if self.federated_token_file:
            # msal calls it for each token request, so a rotated file is picked up.
            return {"client_assertion": self.federated_assertion}
        return {
            "private_key": self._pem("private_key_pem"),
            "public_certificate": self._pem("certificate_pem"),
        }

    def client_auth_form(self, client_id: str, token_endpoint: str, now: float) -> dict[str, str]:
        """Form fields that authenticate `client_id` at `token_endpoint` (for the raw legs)."""
        if self.secret:
            return {"client_secret": self.secret}
        assertion = (
            self.federated_assertion()
            if self.federated_token_file
            else self.assertion(client_id, token_endpoint, now)
        )
        return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}

    def assertion(self, client_id: str, audience: str, now: float) -> str:
        """An RFC 7523 client assertion signed with the certificate's key."""
        import jwt
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        cert = x509.load_pem_x509_certificate(self._pem("certificate_pem").encode())
        headers = {
            "typ": "JWT",
            "x5t": _b64url(cert.fingerprint(hashes.SHA1())),  # noqa: S303 -- x5t is SHA-1
            "x5t#S256": _b64url(cert.fingerprint(hashes.SHA256())),
        }
        claims = {
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": str(uuid.uuid4()),
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now) + 600,
        }
        return jwt.encode(claims, self._pem("private_key_pem"), algorithm="RS256", headers=headers)

    def _pem(self, name: str) -> str:
        value = getattr(self, name)
        if not isinstance(value, str):
            raise ConfigError(f"this Entra credential is a {self.kind}, not a certificate")
        return value


ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# How a federated credential is kept in agentctl's store: no secret, the token file's path.
FEDERATED_METHOD = "federated_token_file"


@dataclass(frozen=True)
class GeneratedCertificate:
    private_key_pem: str = field(repr=False)
    certificate_pem: str
    der_b64: str  # what Graph's keyCredentials[].key takes
    thumbprint_sha1: str
    end: dt.datetime

    def credential(self) -> ClientCredential:
        return ClientCredential(
            private_key_pem=self.private_key_pem, certificate_pem=self.certificate_pem
        )


def generate_certificate(subject: str, *, days: int, now: dt.datetime) -> GeneratedCertificate:
    """A self-signed RSA certificate for an app's keyCredentials; only the public part is
    uploaded, the private key is handed back to be stored locally."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject[:64] or "agentctl")])
    end = now + dt.timedelta(days=days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return GeneratedCertificate(
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        der_b64=base64.b64encode(der).decode(),
        thumbprint_sha1=cert.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303
        end=end,
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


__all__ = [
    "ASSERTION_TYPE",
    "FEDERATED_METHOD",
    "ClientCredential",
    "GeneratedCertificate",
    "generate_certificate",
]
