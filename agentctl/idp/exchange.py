"""RFC 8693 token exchange as an Authlib grant, with real delegation and ID-JAG issuance.

Impersonation (no `actor_token`): the new token's `sub` is the subject's, no `act` (a subject
token that already has `act` keeps it unchanged, and only its current actor may re-exchange it).
Delegation (`actor_token`): `sub` stays the subject's; `act` = {sub: the calling agent,
sub_profile} with the subject token's own `act` nested inside, never dropped.
`requested_token_type`: access_token (default, `typ: at+jwt`, token_type Bearer), jwt
(`token_type: N_A`) or id-jag (`typ: oauth-id-jag+jwt`, `token_type: N_A`, see protocols §4).

Refusals (RFC 6749 §5.2 JSON, 400 unless said otherwise): no client authentication (401
invalid_client); subject/actor token untrusted, badly signed, expired, not yet valid, revoked,
unknown, or not of its declared type; an actor token that is not the caller's own, or tokens
swapped; delegation without `may_act` naming the actor and without a stored delegation grant;
a subject token neither issued to the caller nor for an audience it may exchange from; scope
beyond the subject token, the grant or the agent (invalid_scope); audience/resource the agent
is not registered for (invalid_target); a chain deeper than the issuer's limit or repeating an
actor; refresh tokens, and any exchange that would drop the existing `act` chain. The new
token never outlives its subject or actor token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.rfc6749 import (
    BaseGrant,
    InvalidRequestError,
    TokenEndpointMixin,
    UnauthorizedClientError,
)

from agentctl.idp import constants as c
from agentctl.idp import records
from agentctl.idp.grants import token_response
from agentctl.idp.models import Client, GrantRef
from agentctl.idp.policy import (
    GRANT_DELEGATION,
    GRANT_IMPERSONATION,
    InvalidTargetError,
    aud_claim,
    check_targets,
    narrow_scope,
    requested_targets,
    require_scope,
    safe,
)
from agentctl.idp.tokens import TokenRejected, VerifiedToken, actor_chain, as_list, mint, verify

if TYPE_CHECKING:
    from agentctl.idp.server import IssuerServer

_ACCEPTED_INPUT_TYPES = {
    c.TT_ACCESS_TOKEN: ({c.TYP_ACCESS_TOKEN}, {c.KIND_ACCESS}, "an access token"),
    c.TT_ID_TOKEN: ({c.TYP_ID_TOKEN}, {c.KIND_ID}, "an ID token"),
    c.TT_JWT: (
        {c.TYP_ACCESS_TOKEN, c.TYP_ID_TOKEN},
        {c.KIND_ACCESS, c.KIND_ID, c.KIND_JWT},
        "a JWT this server accepts",
    ),
}
_OUTPUT_TYPES = {c.TT_ACCESS_TOKEN, c.TT_JWT, c.TT_ID_JAG}


class TokenExchange(BaseGrant, TokenEndpointMixin):  # type: ignore[misc]
    GRANT_TYPE = c.GRANT_TOKEN_EXCHANGE
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(c.AUTH_METHODS)
    server: IssuerServer

    # ---- validation -------------------------------------------------------------------------
    def validate_token_request(self) -> None:
        client: Client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(
                description="the client is not allowed to use token exchange"
            )
        self.request.client = client
        form = self.request.form
        subject_token, subject_type = form.get("subject_token"), form.get("subject_token_type")
        actor_token, actor_type = form.get("actor_token"), form.get("actor_token_type")
        if not subject_token or not subject_type:
            raise InvalidRequestError(
                description="subject_token and subject_token_type are required"
            )
        if bool(actor_token) != bool(actor_type):
            raise InvalidRequestError(
                description="actor_token and actor_token_type must be sent together"
            )
        requested = form.get("requested_token_type") or c.TT_ACCESS_TOKEN
        if requested == c.TT_REFRESH_TOKEN:
            raise InvalidRequestError(
                description=(
                    "no refresh token for a delegated token: refreshing could shed act"
                    if actor_token
                    else "token exchange does not issue refresh tokens"
                )
            )
        if requested not in _OUTPUT_TYPES:
            raise InvalidRequestError(
                description=f"requested_token_type '{safe(requested, 80)}' is not supported"
            )
        self.requested_type = requested

        cfg = self.server.cfg
        # Foreign tokens only where this issuer's configuration names token exchange for them:
        # a resource AS that trusts an IdP for ID-JAGs (`trusts`) does not thereby accept that
        # IdP's tokens here, which would skip the ID-JAG checks.
        trusted = {*cfg.exchange_trusts, self.server.name}
        subject = self._verified("subject_token", subject_token, subject_type, trusted)
        actor = (
            self._verified("actor_token", actor_token, actor_type, trusted)
            if actor_token and actor_type
            else None
        )
        self.subject, self.actor = subject, actor
        if requested == c.TT_ID_JAG:
            self._check_id_jag_subject(client, subject, subject_type)
        issued_to_caller = self._check_subject_audience(client, subject)
        # The chain first: a re-exchange that would drop `act` is refused as that, whatever
        # consent there is.
        self.act = self._new_act(client, subject, actor)
        grant_scopes, self.grant = self._check_consent(client, subject, actor, issued_to_caller)

        self.granted_scope = require_scope(
            narrow_scope(
                self.request.payload.scope,
                self._subject_scope(subject),
                client.allowed_scopes,
                grant_scopes or None,
            ),
            "this exchange (the subject token's scope, the agent's registration and the "
            "user's grant have nothing in common)",
        )
        targets = requested_targets(self.request.payload.datalist)
        if requested == c.TT_ID_JAG:
            self.id_jag_target, self.resources = self._id_jag_targets(client, targets)
        else:
            self.audience = check_targets(self.server.ctx, cfg, client, targets)

    def _verified(self, name: str, token: str, declared: str, trusted: set[str]) -> VerifiedToken:
        accepted = _ACCEPTED_INPUT_TYPES.get(declared)
        if accepted is None:
            raise InvalidRequestError(
                description=f"{name}_type '{safe(declared, 80)}' is not supported here"
            )
        try:
            verified = verify(self.server.ctx, token, trusted=trusted)
        except TokenRejected as exc:
            raise InvalidRequestError(description=f"the {name} {exc}") from None
        typs, kinds, label = accepted
        if verified.typ not in typs or verified.record.kind not in kinds:
            raise InvalidRequestError(
                description=f"the {name} is not {label}, as its declared type says"
            )
        return verified

    def _subject_scope(self, subject: VerifiedToken) -> list[str]:
        """The most a token derived from `subject` may carry. An access token: its `scope`
        (none = nothing). An ID token carries no scope: what the user consented to when it
        was issued, or, when that was not recorded, `openid` alone."""
        if subject.record.kind == c.KIND_ID:
            consented = records.signin_scope(self.server.ctx.store, subject.record.jti)
            return consented if consented is not None else ["openid"]
        scope = subject.claims.get("scope")
        return scope.split() if isinstance(scope, str) else []

    def _check_id_jag_subject(self, client: Client, subject: VerifiedToken, declared: str) -> None:
        cfg = self.server.cfg
        if cfg.kind != "idp" or not cfg.id_jag_audiences:
            raise InvalidRequestError(description="this issuer does not issue ID-JAGs")
        if declared != c.TT_ID_TOKEN or subject.issuer != self.server.name:
            raise InvalidRequestError(
                description="an ID-JAG needs an ID token issued by this IdP as subject_token"
            )
        if client.client_id not in as_list(subject.claims.get("aud")):
            raise InvalidRequestError(
                description="the ID token was not issued to the calling client"
            )

    def _check_subject_audience(self, client: Client, subject: VerifiedToken) -> bool:
        """True when the subject token was issued to the caller; it may also be a token for an
        audience the caller is registered to exchange from; anything else is refused."""
        claims = subject.claims
        auds = as_list(claims.get("aud"))
        cid = client.client_id
        if cid in auds or claims.get("azp") == cid or claims.get("client_id") == cid:
            return True
        if set(auds) & set(client.subject_audiences):
            return False
        raise InvalidRequestError(
            description=(
                "the subject_token was not issued to the calling client nor for an audience "
                "it may exchange from"
            )
        )

    def _check_consent(
        self,
        client: Client,
        subject: VerifiedToken,
        actor: VerifiedToken | None,
        issued_to_caller: bool,
    ) -> tuple[list[str], GrantRef | None]:
        """The subject's consent, by kind. Delegation (an actor token): `may_act` naming the
        caller, or a stored delegation grant. Impersonation (no actor token): the user signed
        in to the caller itself, or a stored impersonation grant — a delegation grant never
        allows it, so the agent cannot drop out of the audit trail. Returns the grant's scope
        limit ([] = none) and the grant that authorised the token, if any."""
        cid = client.client_id
        sub = str(subject.claims.get("sub"))
        if actor is not None:
            self._check_actor(cid, sub, actor)
        elif issued_to_caller:
            return [], None
        if client.agent is not None and not client.agent.may_act_for_user(sub):
            raise InvalidRequestError(
                description="the agent is not registered to act for this subject"
            )
        kind = GRANT_DELEGATION if actor is not None else GRANT_IMPERSONATION
        ref = GrantRef(subject.issuer, sub, cid, kind)
        grant = records.get_grant(self.server.ctx.store, ref)
        if actor is None:
            if grant is None:
                raise InvalidRequestError(
                    description=(
                        "impersonating this subject needs an impersonation grant; with a "
                        "delegation grant, present the agent's own token as actor_token"
                    )
                )
            return grant, ref
        may_act = subject.claims.get("may_act")
        named = isinstance(may_act, dict) and may_act.get("sub") == cid
        if not named and grant is None:
            raise InvalidRequestError(
                description=(
                    "the subject has not allowed this client to act for it "
                    "(no may_act naming it, no delegation grant)"
                )
            )
        return grant or [], (ref if grant is not None and not named else None)

    @staticmethod
    def _check_actor(cid: str, sub: str, actor: VerifiedToken) -> None:
        actor_sub = actor.claims.get("sub")
        if actor_sub != cid:
            if sub == cid:
                raise InvalidRequestError(
                    description=(
                        "subject_token and actor_token look swapped: the actor_token must "
                        "be the calling agent's own token"
                    )
                )
            raise InvalidRequestError(
                description="the actor_token does not identify the calling client"
            )
        if sub == cid:
            raise InvalidRequestError(
                description="subject and actor are the same party; use no actor_token"
            )
        if "act" in actor.claims:
            raise InvalidRequestError(
                description="the actor_token is itself delegated; present the agent's own token"
            )

    def _new_act(
        self, client: Client, subject: VerifiedToken, actor: VerifiedToken | None
    ) -> dict[str, Any] | None:
        existing = subject.claims.get("act")
        existing = existing if isinstance(existing, dict) else None
        chain = actor_chain(subject.claims)
        if actor is None:
            if existing is None:
                return None
            if chain[0] == client.client_id:
                return existing
            raise InvalidRequestError(
                description=(
                    "the subject_token is delegated; exchanging it without the current actor "
                    "would drop its act chain"
                )
            )
        if client.client_id in chain:
            raise InvalidRequestError(description="the actor already appears in the act chain")
        depth_limit = self.server.cfg.max_chain_depth
        if len(chain) + 1 > depth_limit:
            raise InvalidRequestError(
                description=f"the act chain would exceed the limit of {depth_limit} actors"
            )
        act: dict[str, Any] = {"sub": client.client_id, "sub_profile": client.sub_profile}
        if existing is not None:
            act["act"] = existing
        return act

    def _id_jag_targets(self, client: Client, targets: list[str]) -> tuple[str, list[str]]:
        """(the ID-JAG's `aud`, its resources). A resource AS on this server is named by its
        issuer; one elsewhere must be one the administrator trusts (`agentctl idp trust`), and
        the agent's client id there must be on record: the ID-JAG's `client_id` names the
        client at the AS that redeems it (ID-JAG draft §3), never our own id for it."""
        ctx = self.server.ctx
        audiences = self.request.payload.datalist.get("audience", [])
        if len(audiences) != 1:
            raise InvalidRequestError(
                description="an ID-JAG request needs exactly one audience: the resource AS issuer"
            )
        if audiences[0] in self.server.cfg.external_id_jag_audiences:
            if audiences[0] not in client.id_jag_client_ids:
                raise InvalidTargetError(
                    description=(
                        "the agent's client id at that authorization server is not on record "
                        "(agentctl idp agents set AGENT --id-jag-client-id AS=ID)"
                    )
                )
            # The foreign AS decides which of its resources the client may reach.
            resources = self.request.payload.datalist.get("resource", [])
            return audiences[0], list(dict.fromkeys(resources))
        name = ctx.issuer_name_for_url(audiences[0])
        if name is None or name not in self.server.cfg.id_jag_audiences:
            raise InvalidTargetError(
                description=(
                    f"'{safe(audiences[0], 80)}' is not a trusted resource authorization server"
                )
            )
        target = ctx.issuer(name)
        if target is None:
            raise InvalidTargetError(description="the resource authorization server is unknown")
        allowed = {
            target.default_resource(ctx.base_url),
            *target.resources,
            *client.allowed_audiences,
        }
        resources = self.request.payload.datalist.get("resource", [])
        for resource in resources:
            if resource not in allowed:
                raise InvalidTargetError(
                    description=f"the client is not registered for resource '{safe(resource, 80)}'"
                )
        return name, list(dict.fromkeys(resources))

    # ---- issuance ---------------------------------------------------------------------------
    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client: Client = self.request.client
        cfg = self.server.cfg
        ctx = self.server.ctx
        subject, actor = self.subject, self.actor
        lifetimes = [int(subject.claims["exp"])]
        if actor is not None:
            lifetimes.append(int(actor.claims["exp"]))
        not_after = min(lifetimes)
        claims: dict[str, Any] = {"sub": subject.claims["sub"]}
        if "sub_profile" in subject.claims:
            claims["sub_profile"] = subject.claims["sub_profile"]
        if self.requested_type == c.TT_ID_JAG:
            external = self.id_jag_target in cfg.external_id_jag_audiences
            claims["aud"] = self.id_jag_target if external else ctx.issuer_url(self.id_jag_target)
            claims["client_id"] = client.id_jag_client_id(self.id_jag_target)
            if self.resources:
                claims["resource"] = aud_claim(self.resources)
            for name in ("email", "auth_time"):
                if name in subject.claims:
                    claims[name] = subject.claims[name]
        else:
            claims["client_id"] = client.client_id
            claims["aud"] = aud_claim(self.audience)
        if self.granted_scope:
            claims["scope"] = self.granted_scope
        if self.act is not None:
            claims["act"] = self.act
        kind, typ, ttl, token_type = {
            c.TT_ID_JAG: (c.KIND_ID_JAG, c.TYP_ID_JAG, cfg.id_jag_ttl, c.TOKEN_TYPE_NA),
            c.TT_JWT: (c.KIND_JWT, c.TYP_ID_TOKEN, cfg.access_ttl, c.TOKEN_TYPE_NA),
            c.TT_ACCESS_TOKEN: (
                c.KIND_ACCESS,
                c.TYP_ACCESS_TOKEN,
                cfg.access_ttl,
                c.TOKEN_TYPE_BEARER,
            ),
        }[self.requested_type]
        issued = mint(
            ctx,
            cfg,
            kind=kind,
            typ=typ,
            claims=claims,
            ttl=ttl,
            client_id=client.client_id,
            grant_type=self.GRANT_TYPE,
            not_after=not_after,
            parent_jti=subject.record.jti,
            actor_jti=actor.record.jti if actor is not None else None,
            grant=self.grant,
        )
        body = token_response(issued, token_type=token_type, issued_token_type=self.requested_type)
        return 200, body, self.TOKEN_RESPONSE_HEADER


__all__ = ["TokenExchange"]
