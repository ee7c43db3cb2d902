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

import json
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

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
    # Entra (§6.3, §6.6): typ JWT, no act; the agent is azp/appid plus facets.
    "entra-obo": (
        {"typ": "JWT"},
        {
            "aud": "api://contoso-orders",
            "iss": ENTRA_V2,
            **t(),
            "aio": "AXQAi/8YAAAA",
            "azp": AGENT_APPID,
            "azpacr": "2",
            "idtyp": "user",
            "name": "Alice Example",
            "oid": ALICE_OID,
            "preferred_username": "alice@contoso.com",
            "rh": "0.ARoA",
            "scp": "Orders.Read",
            "sub": "pairwise-Zk9kX0w4a1M",
            "tid": TID,
            "uti": "dSEDq1",
            "ver": "2.0",
            "xms_act_fct": "3 11",
            "xms_idrel": "1",
            "xms_par_app_azp": BLUEPRINT,
        },
    ),
    "entra-agent": (
        {"typ": "JWT"},
        {
            "aud": "https://graph.microsoft.com",
            "iss": ENTRA_V2,
            **t(),
            "azp": AGENT_APPID,
            "azpacr": "2",
            "idtyp": "app",
            "oid": AGENT_OID,
            "roles": ["Orders.Read.All"],
            "sub": AGENT_OID,
            "tid": TID,
            "uti": "k2Lq0",
            "ver": "2.0",
            "xms_act_fct": "11 9",
            "xms_sub_fct": "11",
            "xms_idrel": "7",
            "xms_par_app_azp": BLUEPRINT,
        },
    ),
    "entra-agent-user": (
        {"typ": "JWT"},
        {
            "aud": "api://contoso-orders",
            "iss": ENTRA_V2,
            **t(),
            "azp": AGENT_APPID,
            "azpacr": "2",
            "idtyp": "user",
            "name": "Orders Agent",
            "oid": "77777777-aaaa-bbbb-cccc-000000000013",
            "scp": "Orders.Read",
            "preferred_username": "orders-agent@contoso.com",
            "sub": "pairwise-a9Jm",
            "tid": TID,
            "ver": "2.0",
            "xms_act_fct": "11",
            "xms_sub_fct": "13",
            "xms_idrel": "1",
        },
    ),
    "entra-app-v1": (
        {"typ": "JWT", "x5t": "nOo3ZDrODXEK1jKWhXslHR_KXEg"},
        {
            "aud": "https://management.azure.com",
            "iss": ENTRA_V1,
            **t(),
            "appid": "c44b4083-3bb0",
            "appidacr": "1",
            "idp": ENTRA_V1,
            "oid": "5f2e1d0c-0000-1111-2222-333344445555",
            "roles": ["Reader"],
            "sub": "5f2e1d0c-0000-1111-2222-333344445555",
            "tid": TID,
            "ver": "1.0",
        },
    ),
    "entra-classic-obo": (
        {"typ": "JWT"},
        {
            "aud": "00000003-0000-0000-c000-000000000000",
            "iss": ENTRA_V1,
            **t(),
            "appid": "middle-tier-app-1",
            "appidacr": "1",
            "idtyp": "user",
            "name": "Alice Example",
            "oid": ALICE_OID,
            "scp": "User.Read",
            "sub": "pairwise-q1",
            "tid": TID,
            "unique_name": "alice@contoso.com",
            "upn": "alice@contoso.com",
            "ver": "1.0",
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
    for name, (header, payload) in EXAMPLES.items():
        token = jwt.encode(payload, key, algorithm="RS256", headers={**header, "kid": KID})
        (OUT / f"{name}.jwt").write_text(token + "\n")
        print(f"{name:20} {len(token)} chars")


if __name__ == "__main__":
    main()
