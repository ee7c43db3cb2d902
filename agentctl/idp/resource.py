"""The demo protected resource of each issuer, with RFC 9728 metadata (an `IdpPlugin`).

    GET|POST <issuer>/resource                                     the resource (Bearer token)
    GET /.well-known/oauth-protected-resource/i/<name>/resource    RFC 9728 metadata

`<issuer>/resource` is the default audience of tokens requested without `resource`/`audience`
(`IssuerConfig.default_resource`); for the `mcp-as` issuer it plays the MCP server. It accepts
only access tokens its own issuer signed (`tokens.verify`: signature, `iss`, `exp`, `nbf`,
recorded, not revoked), with `typ: at+jwt` and this resource in `aud`, sent in the
`Authorization: Bearer` header (RFC 6750 §2.1, the one method advertised). It answers JSON
saying who it sees acting for whom (subject, current actor, prior actors, client, scopes, and
the mode: user_scoped / hybrid_obo / agent_identity). A refusal is a 401 whose
`WWW-Authenticate: Bearer` names the metadata URL (RFC 9728 §5.1), so a client can find the
authorization server from the refusal alone. Every call, served or refused, is audited.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from agentctl.idp import constants as c
from agentctl.idp import records
from agentctl.idp.policy import safe
from agentctl.idp.server import RESOURCE_PATH, resource_metadata
from agentctl.idp.tokens import TokenRejected, VerifiedToken, actor_chain, as_list, verify

if TYPE_CHECKING:
    from flask import Flask, Response

    from agentctl.idp.context import IdpContext
    from agentctl.idp.server import IssuerServer

METADATA_PREFIX = "/.well-known/oauth-protected-resource"
EVENT_CALL = "resource:call"
EVENT_REFUSED = "resource:refused"
# RFC 6750 §2.1 b64token, so nothing odd reaches the JWT parser (and `Bearer a b` is refused).
_BEARER = re.compile(r"^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*) *$")


def resource_url(ctx: IdpContext, issuer: str) -> str:
    return f"{ctx.issuer_url(issuer)}/{RESOURCE_PATH}"


def metadata_url(ctx: IdpContext, issuer: str) -> str:
    return f"{ctx.base_url.rstrip('/')}{METADATA_PREFIX}{c.ISSUER_PREFIX}{issuer}/{RESOURCE_PATH}"


class Refusal(Exception):
    """A refused call: `error` for RFC 6750 §3.1 (None when no credentials were sent)."""

    def __init__(self, error: str | None, description: str, status: int = 401) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def protected_resource_metadata(server: IssuerServer) -> dict[str, Any]:
    ctx, cfg = server.ctx, server.cfg
    return {
        "resource": resource_url(ctx, server.name),
        "authorization_servers": [server.url],
        "scopes_supported": list(cfg.scopes),
        "bearer_methods_supported": ["header"],
        "resource_name": f"agentctl demo resource ({server.name})",
    }


def check_bearer(server: IssuerServer, authorization: str | None) -> VerifiedToken:
    """The verified access token of an `Authorization` header, or a Refusal."""
    authorization = authorization or ""
    if authorization.split(" ", 1)[0].lower() != "bearer":
        raise Refusal(None, "a bearer token is required (Authorization: Bearer <token>)")
    match = _BEARER.match(authorization)
    if match is None:
        raise Refusal(
            "invalid_request", "the Authorization header must be 'Bearer <token>'", status=400
        )
    try:
        token = verify(server.ctx, match.group(1), trusted=[server.name])
    except TokenRejected as exc:
        raise Refusal("invalid_token", f"the access token {exc}") from None
    # Explicit typing (RFC 9068 §2.1, RFC 8725 §3.11): an ID token or a plain JWT from the same
    # issuer is not an access token, even when it is well signed.
    if token.typ != c.TYP_ACCESS_TOKEN or token.record.kind != c.KIND_ACCESS:
        raise Refusal("invalid_token", "the token is not an access token (typ at+jwt)")
    if resource_url(server.ctx, server.name) not in as_list(token.claims.get("aud")):
        raise Refusal("invalid_token", "the access token is not meant for this resource (aud)")
    return token


def mode_of(claims: dict[str, Any]) -> str:
    """Which of agentctl's three modes produced the token (docs/design.md §1)."""
    if isinstance(claims.get("act"), dict):
        return "hybrid_obo"
    if claims.get("sub_profile") == c.PROFILE_USER:
        return "user_scoped"
    return "agent_identity"


class _Names:
    """Display names of clients (agent names), looked up at this issuer, then the issuers it
    trusts (an ID-JAG's `act` names the agent by its id at the IdP)."""

    def __init__(self, server: IssuerServer) -> None:
        self.store = server.ctx.store
        self.issuers = [server.name, *server.cfg.trusts]

    def party(self, client_id: str) -> dict[str, Any]:
        for issuer in self.issuers:
            agent = records.get_agent(self.store, issuer, client_id)
            if agent is not None:
                return {"id": client_id, "name": agent.name, "kind": "agent"}
        return {"id": client_id, "name": client_id, "kind": "client"}


def describe(server: IssuerServer, token: VerifiedToken) -> dict[str, Any]:
    claims = token.claims
    names = _Names(server)
    chain = actor_chain(claims)
    mode = mode_of(claims)
    sub = str(claims.get("sub", ""))
    client_id = str(claims.get("client_id", ""))
    client = names.party(client_id) if client_id else None
    actors = [names.party(a) for a in chain]
    scope = claims.get("scope")
    scopes = scope.split() if isinstance(scope, str) else []

    def label(party: dict[str, Any]) -> str:
        return f"{party['kind']} {party['name']}"

    if mode == "hybrid_obo":
        sentence = f"{label(actors[0])} did this as user {sub}"
        if len(actors) > 1:
            sentence += ", delegated through " + " then ".join(label(a) for a in actors[1:])
    elif mode == "user_scoped":
        via = f" through {label(client)}" if client else ""
        sentence = f"user {sub} did this{via} (no actor recorded)"
    else:
        who = client if client and client["id"] == sub else names.party(sub)
        sentence = f"{label(who)} did this as itself"
    return {
        "ok": True,
        "resource": resource_url(server.ctx, server.name),
        "issuer": claims.get("iss"),
        "mode": mode,
        "subject": sub,
        "subject_profile": claims.get("sub_profile"),
        "actor": actors[0] if actors else None,
        "prior_actors": actors[1:],
        "actor_chain": chain,
        "client": client,
        "scopes": scopes,
        "jti": claims.get("jti"),
        "expires_at": claims.get("exp"),
        "audit": sentence,
    }


def _audit(
    server: IssuerServer,
    token: VerifiedToken | None,
    seen: dict[str, Any] | None,
    refusal: Refusal | None,
) -> None:
    from flask import request

    detail: dict[str, Any] = {"method": request.method}
    if seen is not None:
        detail.update(mode=seen["mode"], sentence=seen["audit"])
    if refusal is not None:
        detail.update(error=refusal.error, reason=refusal.description)
    record_use(server, token, EVENT_CALL if refusal is None else EVENT_REFUSED, detail)


def record_use(
    server: IssuerServer, token: VerifiedToken | None, event: str, detail: dict[str, Any]
) -> None:
    """The audit line of one use of the demo resource (or web app) with `token`."""
    ctx = server.ctx
    claims = token.claims if token is not None else {}
    with ctx.store.write() as db:
        records.add_audit(
            db,
            time=ctx.now(),
            issuer=server.name,
            event=event,
            client_id=claims.get("client_id"),
            subject=claims.get("sub"),
            actor_chain=actor_chain(claims),
            audience=[resource_url(ctx, server.name)],
            scope=claims.get("scope"),
            jti=claims.get("jti"),
            parent_jti=token.record.parent_jti if token is not None else None,
            detail=detail,
        )


def _refused(server: IssuerServer, refusal: Refusal) -> Response:
    from flask import jsonify

    params = [f'resource_metadata="{metadata_url(server.ctx, server.name)}"']
    body: dict[str, Any] = {"error": refusal.error or "invalid_token"}
    if refusal.error is not None:
        # RFC 6750 §3.1: no error code in the challenge when the request had no credentials.
        params.append(f'error="{refusal.error}"')
        params.append(f'error_description="{safe(refusal.description, 200)}"')
    body["error_description"] = safe(refusal.description, 200)
    response = jsonify(body)
    response.status_code = refusal.status
    response.headers["WWW-Authenticate"] = "Bearer " + ", ".join(params)
    response.headers["Cache-Control"] = "no-store"
    return response


class ResourcePlugin:
    def init_app(self, app: Flask, ctx: IdpContext) -> None:
        from flask import jsonify, request

        from agentctl.idp.app import idp_of

        @app.get(f"{METADATA_PREFIX}/i/<name>/{RESOURCE_PATH}")
        def protected_resource_metadata_route(name: str) -> Response:
            return jsonify(protected_resource_metadata(idp_of(app).server(name)))

        @app.route(f"/i/<name>/{RESOURCE_PATH}", methods=["GET", "POST"])
        def demo_resource(name: str) -> Response:
            server = idp_of(app).server(name)
            token: VerifiedToken | None = None
            try:
                token = check_bearer(server, request.headers.get("Authorization"))
            except Refusal as refusal:
                _audit(server, None, None, refusal)
                return _refused(server, refusal)
            seen = describe(server, token)
            _audit(server, token, seen, None)
            response = jsonify(seen)
            response.headers["Cache-Control"] = "no-store"
            return response

    def init_issuer(self, server: IssuerServer) -> None:
        return None

    def metadata(self, server: IssuerServer) -> dict[str, Any]:
        # Declared with the plugin's spec: the document lists it before it is loaded.
        return resource_metadata(server)


def plugin() -> ResourcePlugin:
    return ResourcePlugin()


__all__ = [
    "EVENT_CALL",
    "EVENT_REFUSED",
    "ResourcePlugin",
    "check_bearer",
    "describe",
    "metadata_url",
    "mode_of",
    "plugin",
    "protected_resource_metadata",
    "resource_url",
]
