"""Regenerate agentctl/examples/: realistic example tokens, one per dialect and mode.

Claim sets follow the vendors' documented shapes (docs/protocols.md §1.6, §4.3, §6.3, §6.6,
§7.3, §7.5, §8.1, §8.3, §9.1–§9.3, §10.3). Every token is signed RS256 with a fresh RSA key made
on each run; only the public half is written (examples/jwks.json), so
`agentctl inspect --example NAME --verify` works and nobody can mint more with the shipped files.
All tokens are minted at one fixed instant (MINT) so the output is stable; `inspect --example`
reads them as of one minute after MINT.

    .venv/bin/python bench/make_examples.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

OUT = Path(__file__).resolve().parent.parent / "agentctl" / "examples"
KID = "agentctl-example-2026"
MINT = 1_793_523_600  # 2026-11-01T09:00:00Z
H = 3600

IDP = "https://idp.example.com"
TID = "aaaabbbb-0000-cccc-1111-dddd2222eeee"
ENTRA_V2 = f"https://login.microsoftonline.com/{TID}/v2.0"
ENTRA_V1 = f"https://sts.windows.net/{TID}/"
OKTA = "https://acme.okta.com/oauth2/aus8rnd2xk4hcrmx2697"
KC = "https://sso.example.com/realms/acme"
AUTH0 = "https://acme.us.auth0.com/"
ALICE_OID = "00000000-0000-0000-aaaa-000000000001"
AGENT_APPID = "6a3f7c2e-5b1d-4e8a-9c0f-1d2e3f4a5b6c"
AGENT_OID = "9b8c7d6e-1111-2222-3333-444455556666"
BLUEPRINT = "e4d3c2b1-aaaa-bbbb-cccc-ddddeeeeffff"
BLUEPRINT_SP_OID = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
AGENT_USER_OID = "77777777-aaaa-bbbb-cccc-000000000013"
ORDERS_API = "3f1e6c2a-8d4b-4f7e-a1c9-5b2d7e0f9a13"  # a v2 API's client id: its tokens' aud
X5T = "(set in main)"  # v1 tokens' legacy x5t header: a SHA-1 thumbprint, base64url


def guid_b64(value: str) -> str:
    """A GUID as Entra writes it inside T1's sub: base64url of its little-endian bytes."""
    return base64.urlsafe_b64encode(uuid.UUID(value).bytes_le).rstrip(b"=").decode()


def t(lifetime: int = H) -> dict[str, int]:
    return {"iat": MINT, "nbf": MINT, "exp": MINT + lifetime}


EXAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # Generic RFC 8693 / RFC 9068 (the embedded IdP's shapes).
    "user": (
        {"typ": "at+jwt"},
        {
            "iss": IDP,
            "sub": "alice",
            "aud": "https://api.example.com",
            "client_id": "cli-app",
            "scope": "orders:read orders:write",
            "jti": "ex-user-1",
            "name": "Alice Example",
            "email": "alice@example.com",
            **t(),
        },
    ),
    "obo": (
        {"typ": "at+jwt"},
        {
            "iss": IDP,
            "sub": "alice",
            "aud": "https://api.example.com",
            "client_id": "bot-7",
            "scope": "orders:read",
            "jti": "ex-obo-1",
            "name": "Alice Example",
            "act": {
                "sub": "bot-7",
                "sub_profile": "ai_agent",
                "act": {"sub": "planner-2", "sub_profile": "ai_agent"},
            },
            "may_act": {"sub": "bot-7"},
            **t(),
        },
    ),
    "agent": (
        {"typ": "at+jwt"},
        {
            "iss": IDP,
            "sub": "bot-7",
            "sub_profile": "ai_agent",
            "aud": "https://api.example.com",
            "client_id": "bot-7",
            "scope": "reports:generate",
            "jti": "ex-agent-1",
            **t(),
        },
    ),
    # Entra (§6.3, §6.6; Microsoft's access-token-claims-reference and agent-token-claims
    # tables, public captures): typ JWT, no act; the agent is azp/appid plus xms_*_fct facets.
    # The token version follows the resource: Graph gets v1 tokens (iss sts.windows.net, appid,
    # aud https://graph.microsoft.com or its app id 00000003-…); a v2 API's tokens have its
    # client id (a GUID) as aud. `idtyp` is in app-only tokens and in Graph's delegated tokens;
    # other APIs' user tokens lack it unless the API opts in. Opaque values (aio, rh, uti,
    # xms_ftd) are made up in their documented shape.
    "entra-obo": (
        # Agent OBO to a v2 API: the user is oid, the agent identity azp with xms_act_fct ∋ 11.
        {"typ": "JWT"},
        {
            "aud": ORDERS_API,
            "iss": ENTRA_V2,
            **t(),
            "aio": "AWQAm/8aAAAAq9Vb0cS3x2kHf1pYt7nRm4LwJd8uZe6Qa1Ng5Hc0iXo=",
            "azp": AGENT_APPID,
            "azpacr": "2",
            "name": "Alice Example",
            "oid": ALICE_OID,
            "preferred_username": "alice@contoso.com",
            "rh": "1.AXoAs7u7qgAAzMwREd3SIi7u7jR4Y3Y9LKtPt7-zJqZ0fWs6AKh6AA.",
            "scp": "Orders.Read",
            "sub": "Zk9kX0w4a1M3nQ2pLr7Tv0yWb5cE1hJ6gF8dS4aKxUo",
            "tid": TID,
            "uti": "dSEDq1vXk0aP2mYbN7cRAA",
            "ver": "2.0",
            "xms_act_fct": "3 11",
            "xms_ftd": "pQ3vN8xK2mR7tY1bW6cJ0hL5sD9fG4aE_uZ-iOqT2kM",
            "xms_idrel": "1 24",
            "xms_par_app_azp": BLUEPRINT,
        },
    ),
    "entra-agent": (
        # Autonomous agent to Graph: a v1 app-only token; roles only because one was assigned.
        {"typ": "JWT", "x5t": X5T},
        {
            "aud": "https://graph.microsoft.com",
            "iss": ENTRA_V1,
            **t(),
            "aio": "k2BgYGj8q1Sx0Zr/4Lm9Tn3Vw7Pb5Yc6Hd1Ke2Jf0AgqAQA=",
            "app_displayname": "orders-agent",
            "appid": AGENT_APPID,
            "appidacr": "2",
            "idp": ENTRA_V1,
            "idtyp": "app",
            "oid": AGENT_OID,
            "rh": "1.AXoAs7u7qgAAzMwREd3SIi7u7gMAAAAAAAAAwAAAAAAAAAB6AAB6AA.",
            "roles": ["User.Read.All"],
            "sub": AGENT_OID,
            "tenant_region_scope": "EU",
            "tid": TID,
            "uti": "k2Lq0rV8nUqD3bWcH5sAAA",
            "ver": "1.0",
            "xms_act_fct": "9 3 11",
            "xms_ftd": "Xb7hM2qP9vK4tW1nR6yJ3cL8sF0dG5aE-uZ_iOqT1kN",
            "xms_idrel": "10 7",
            "xms_par_app_azp": BLUEPRINT,
            "xms_sub_fct": "3 11 9",
            "xms_tcdt": 1_601_290_400,
            "xms_tnt_fct": "9 3",
        },
    ),
    "entra-agent-user": (
        # The agent's own user account (agent user) to Graph: delegated v1, so idtyp user is
        # there; the subject carries xms_sub_fct ∋ 13, the agent identity is appid with ∋ 11.
        {"typ": "JWT", "x5t": X5T},
        {
            "aud": "00000003-0000-0000-c000-000000000000",
            "iss": ENTRA_V1,
            **t(),
            "acct": 0,
            "acr": "1",
            "aio": "AUQAu/8aAAAAm3Xc9Lp2Vn7Rk0Tb5Yw1Hd8Qe4Jf6Gs2Ka9Zi3Uo0E=",
            "amr": ["fed"],
            "app_displayname": "orders-agent",
            "appid": AGENT_APPID,
            "appidacr": "2",
            "idtyp": "user",
            "name": "Orders Agent",
            "oid": AGENT_USER_OID,
            "rh": "1.AXoAs7u7qgAAzMwREd3SIi7u7gMAAAAAAAAAwAAAAAAAAAB6AO96AA.",
            "scp": "Mail.Send User.Read",
            "sub": "a9JmT4wQ0zX7kP2vR5nL8cY1bH6sD3fG9eU_iOqK4tM",
            "tid": TID,
            "unique_name": "orders-agent@contoso.com",
            "upn": "orders-agent@contoso.com",
            "uti": "Pq7vT0mWk2SbL9xYcR3dAA",
            "ver": "1.0",
            "xms_act_fct": "11 3",
            "xms_idrel": "1 26",
            "xms_par_app_azp": BLUEPRINT,
            "xms_sub_fct": "13 3",
            "xms_tcdt": 1_601_290_400,
        },
    ),
    "entra-exchange-token": (
        # Agent ID leg 1 (T1): the blueprint's client credentials with fmi_path=<agent identity>
        # and scope api://AzureADTokenExchange/.default. aud is that resource's app id, sub names
        # tenant, blueprint and fmi_path (field captures); the agent sends it as client_assertion.
        {"typ": "JWT"},
        {
            "aud": "fb60f99c-7a34-4190-8149-302f77469936",
            "iss": ENTRA_V2,
            **t(),
            "aio": "k2BgYJj0wWz3Rr/8Nm1Tq4Vx6Pc7Yd2He5Kg0Lf1AgqAQA=",
            "azp": BLUEPRINT,
            "azpacr": "1",
            "idtyp": "app",
            "oid": BLUEPRINT_SP_OID,
            "rh": "1.AXoAs7u7qgAAzMwREd3SIi7u7pz5YPs0epBBgUkwL3dGmTZ6AAB6AA.",
            "sub": f"/eid1/c/pub/t/{guid_b64(TID)}/a/{guid_b64(BLUEPRINT)}/{AGENT_APPID}",
            "tid": TID,
            "uti": "w4Fh1nQk0Eq7cT2bV9mXAA",
            "ver": "2.0",
        },
    ),
    "entra-app-v1": (
        # An ordinary app's client-credentials token to Azure Resource Manager (a v1 resource):
        # app-only, idtyp app, no roles (ARM authorizes by RBAC, not app roles).
        {"typ": "JWT", "x5t": X5T},
        {
            "aud": "https://management.azure.com",
            "iss": ENTRA_V1,
            **t(),
            "aio": "k2BgYNhV3xP0Rq/1Lm8Tz4Wn6Kc2Yb7Hd5Je9Gf3AgqAQA=",
            "appid": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
            "appidacr": "1",
            "idp": ENTRA_V1,
            "idtyp": "app",
            "oid": "5f2e1d0c-0000-1111-2222-333344445555",
            "rh": "1.AXoAs7u7qgAAzMwREd3SIi7u7kZIf3kAutdPukPawfj2MBN6AAB6AA.",
            "sub": "5f2e1d0c-0000-1111-2222-333344445555",
            "tid": TID,
            "uti": "b1Nq9xWk3UaD6mYcT0vRAA",
            "ver": "1.0",
            "xms_tcdt": 1_601_290_400,
        },
    ),
    "entra-classic-obo": (
        # Classic OBO by an ordinary middle-tier app to Graph: v1, aud Graph's app id, the user in
        # oid, the app in appid, no facets and no act: the middle tier is not recorded as actor.
        {"typ": "JWT", "x5t": X5T},
        {
            "aud": "00000003-0000-0000-c000-000000000000",
            "iss": ENTRA_V1,
            **t(),
            "acct": 0,
            "acr": "1",
            "aio": "AVQAq/8aAAAAz1Xb4Lp7Vn2Rk9Tc0Yw6Hd3Qe8Jf5Gs1Ka4Zi7Uo2E=",
            "amr": ["pwd", "mfa"],
            "app_displayname": "orders-middle-tier",
            "appid": "2d7c1b3e-9f4a-4e6b-8c5d-0a1f2e3d4c5b",
            "appidacr": "1",
            "family_name": "Example",
            "given_name": "Alice",
            "idtyp": "user",
            "ipaddr": "203.0.113.24",
            "name": "Alice Example",
            "oid": ALICE_OID,
            "platf": "3",
            "rh": "1.AXoAs7u7qgAAzMwREd3SIi7u7gMAAAAAAAAAwAAAAAAAAAB6AGV6AA.",
            "scp": "User.Read",
            "sub": "q1Vx3kT8mW0zP5nL2cY7bH4sD9fG6eU_iOqK1tMaRjE",
            "tid": TID,
            "unique_name": "alice@contoso.com",
            "upn": "alice@contoso.com",
            "uti": "Hc5rN2kWq0CbT7mYxV9dAA",
            "ver": "1.0",
            "wids": ["b79fbf4d-3ef9-4689-8143-76b194e85509"],
            "xms_tcdt": 1_601_290_400,
        },
    ),
    # Okta (§7.3, §7.5).
    "okta-obo": (
        {"typ": "JWT"},
        {
            "ver": 1,
            "jti": "AT.okta-obo-1",
            "iss": OKTA,
            "aud": "api://orders",
            **t(),
            "cid": "0oa-service-app",
            "uid": "00u1alice",
            "scp": ["orders.read"],
            "sub": "alice@acme.com",
        },
    ),
    "okta-chain": (
        {"typ": "JWT"},
        {
            "ver": 1,
            "jti": "AT.okta-xaa-1",
            "iss": OKTA,
            "sub": "alice@acme.com",
            "sub_profile": "user",
            "aud": "https://agent2.example.com",
            **t(),
            "cid": "0oa-agent2",
            "uid": "00u1alice",
            "scope": "chat.read chat.history",
            "act": {
                "sub": "0oa-agent2",
                "sub_profile": "ai_agent",
                "act": {
                    "sub": "0oa-agent1",
                    "sub_profile": "ai_agent",
                    "act": {"sub": "0oa-initiator", "sub_profile": "service"},
                },
            },
        },
    ),
    # Keycloak (§8.1, §8.3).
    "keycloak-service": (
        {"typ": "JWT"},
        {
            **t(300),
            "jti": "kc-1",
            "iss": KC,
            "aud": "account",
            "sub": "3c5d8e1f-0000-4a4a-9f9f-1234567890ab",
            "typ": "Bearer",
            "azp": "agent-456",
            "preferred_username": "service-account-agent-456",
            "client_id": "agent-456",
            "realm_access": {"roles": ["offline_access", "reports"]},
            "scope": "profile email",
            "clientHost": "10.0.0.12",
        },
    ),
    "keycloak-exchanged": (
        {"typ": "JWT"},
        {
            **t(300),
            "jti": "kc-2",
            "iss": KC,
            "aud": ["orders-api"],
            "sub": "f1e2d3c4-0000-4b4b-8a8a-abcdefabcdef",
            "typ": "Bearer",
            "azp": "agent-456",
            "sid": "sess-1",
            "preferred_username": "alice",
            "name": "Alice Example",
            "email": "alice@example.com",
            "scope": "openid orders",
            "resource_access": {"orders-api": {"roles": ["reader"]}},
        },
    ),
    # Auth0 (§9.1–§9.3).
    "auth0-m2m": (
        {"typ": "JWT"},
        {
            "iss": AUTH0,
            "sub": "Xk2Pq9Rs@clients",
            "aud": "https://api.example.com",
            **t(86400),
            "scope": "read:reports",
            "gty": "client-credentials",
            "azp": "Xk2Pq9Rs",
        },
    ),
    "auth0-agent": (
        {"typ": "JWT"},
        {
            "iss": AUTH0,
            "sub": "agt_4Wq8YbJ2kN7mX3cR9tP5vL",
            "sub_profile": "ai_agent",
            "client_profile": "service ai_agent",
            "aud": "https://api.example.com",
            **t(),
            "scope": "read:reports",
            "gty": "client-credentials",
            "azp": "Xk2Pq9Rs",
        },
    ),
    "auth0-obo": (
        {"typ": "JWT"},
        {
            "iss": AUTH0,
            "sub": "auth0|alice",
            "aud": "https://orders.example.com",
            **t(),
            "scope": "orders:read",
            "azp": "api-client-7",
            "act": {
                "sub": "agt_4Wq8YbJ2kN7mX3cR9tP5vL",
                "sub_profile": "ai_agent",
                "client_id": "api-client-7",
                "act": {"sub": "spa-client-1"},
            },
        },
    ),
    # ID-JAG (§4.3), txn-token (§10.3), client assertion (§2.1), logout and ID token (OIDC).
    "id-jag": (
        {"typ": "oauth-id-jag+jwt"},
        {
            "iss": IDP,
            "sub": "U019488227",
            "aud": "https://auth.chat.example/",
            "client_id": "f53f191f9311af35",
            "jti": "9e43f81b64a33f20116179",
            **t(300),
            "resource": "https://mcp.chat.example/",
            "scope": "chat.read chat.history",
            "email": "alice@example.com",
        },
    ),
    "txn-token": (
        {"typ": "txntoken+jwt"},
        {
            "iss": "https://txn.example.com",
            "txn": "97053963-771d-49cc-a4e3-20aad399c312",
            "sub": "alice",
            "aud": "trust-domain.example",
            "iat": MINT,
            "exp": MINT + 300,
            "scope": "trade.stocks",
            "req_wl": "apigateway.trust-domain.example",
            "tctx": {"action": "BUY", "ticker": "MSFT", "quantity": "100"},
            "rctx": {"req_ip": "198.51.100.7", "authn": "urn:ietf:rfc:6749"},
        },
    ),
    "client-assertion": (
        {"typ": "JWT"},
        {
            "iss": "bot-7",
            "sub": "bot-7",
            "aud": f"{IDP}/oauth2/token",
            "jti": "ca-1",
            "iat": MINT,
            "exp": MINT + 300,
        },
    ),
    "logout": (
        {"typ": "logout+jwt"},
        {
            "iss": IDP,
            "sub": "alice",
            "aud": "cli-app",
            "iat": MINT,
            "exp": MINT + 120,
            "jti": "lo-1",
            "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        },
    ),
    "id-token": (
        {"typ": "JWT"},
        {
            "iss": IDP,
            "sub": "alice",
            "aud": "cli-app",
            **t(),
            "nonce": "n-0S6_WzA2Mj",
            "auth_time": MINT - 60,
            "name": "Alice Example",
            "email": "alice@example.com",
            "email_verified": True,
            "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
        },
    ),
}


def main() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": KID, "use": "sig", "alg": "RS256"})
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "jwks.json").write_text(json.dumps({"keys": [public]}, indent=2) + "\n")
    # A SHA-1 over the public key stands in for the certificate thumbprint (there is no
    # certificate): the same 27-character shape as Entra's x5t.
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    x5t = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()  # noqa: S324
    for name, (header, payload) in EXAMPLES.items():
        head = {**header, "kid": KID}
        if "x5t" in head:
            head["x5t"] = x5t
        token = jwt.encode(payload, key, algorithm="RS256", headers=head)
        (OUT / f"{name}.jwt").write_text(token + "\n")
        print(f"{name:20} {len(token)} chars")


if __name__ == "__main__":
    main()
