"""Microsoft Entra AADSTS error codes turned into a cause and a next step.

Entra answers token requests with RFC 6749 §5.2 errors whose `error_description` starts with
`AADSTS<code>:` and whose `error_codes` lists the codes. The codes below are the ones the Entra
flows agentctl runs can hit (docs/protocols.md §6; Microsoft's error reference at
https://login.microsoftonline.com/error?code=<code>). Microsoft warns that codes and texts change;
an unknown code still gets its description shown and a pointer to that page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_CODE = re.compile(r"AADSTS(\d{4,8})")


@dataclass(frozen=True)
class Advice:
    code: int
    cause: str
    next_step: str

    @property
    def hint(self) -> str:
        return f"AADSTS{self.code}: {self.cause}. Next: {self.next_step}"


ADVICE: dict[int, Advice] = {
    a.code: a
    for a in (
        Advice(
            82001,
            "an agentic app (blueprint or agent identity) asked for an app-only token outside "
            "the documented Agent ID legs, or for a resource that refuses agentic app-only "
            "tokens",
            "a blueprint signs only for leg 1 (scope api://AzureADTokenExchange/.default with "
            "fmi_path) and for Graph; call the resource as the agent identity "
            "(`agentctl exchange --mode agent --agent NAME`), and if the resource refuses "
            "agents app-only (some Microsoft 365 APIs, Bot Framework) use --mode obo or an "
            "agent user",
        ),
        Advice(
            50013,
            "the user token (assertion) was refused: wrong audience, bad signature, or an "
            "app-only token",
            "sign the user in for the middle tier's own API (for Agent ID OBO: "
            "scope api://<blueprint appId>/access_agent, so aud is the blueprint), not for Graph",
        ),
        Advice(
            500133,
            "the user token (assertion) has expired",
            "get a fresh user token (`agentctl exchange --mode user`) and retry",
        ),
        Advice(
            700211,
            "the exchange token (T1) was issued by a tenant that is not the agent identity's home",
            "run leg 1 against the agent identity's home tenant (--tenant), not the blueprint's",
        ),
        Advice(
            700212,
            "the client assertion is not a token for api://AzureADTokenExchange",
            "request leg 1 with scope api://AzureADTokenExchange/.default",
        ),
        Advice(
            700213,
            "the exchange token does not name this agent identity (no fmi_path, or another one)",
            "send fmi_path=<agent identity appId> (the appId, not the object id) in leg 1, as the "
            "agent identity's own blueprint",
        ),
        Advice(
            70021,
            "no federated identity credential matches the presented assertion",
            "check the federated credential's issuer, subject and audience on the app",
        ),
        Advice(
            7000215,
            "the client secret is wrong (often the secret's id was sent instead of its value; "
            "agent identities have no secrets at all)",
            "rotate the credential (`agentctl register … rotate`) and store the new secret value",
        ),
        Advice(
            7000112,
            "the application (or agent identity) is disabled (accountEnabled false)",
            "for an agent identity: `agentctl agent enable NAME`; for an app, enable its "
            "service principal in Entra",
        ),
        Advice(
            7000222,
            "the client secret has expired",
            "rotate the credential and store the new secret",
        ),
        Advice(
            7000218,
            "no client credential was sent (or public client flows are off for this app)",
            "configure a secret or certificate for the client; for device code sign-in use an app "
            "with 'Allow public client flows' enabled (isFallbackPublicClient)",
        ),
        Advice(
            700016,
            "the application was not found in this tenant (not yet propagated, not consented, or "
            "the wrong tenant)",
            "check the client id and tenant; right after registration wait a minute and retry",
        ),
        Advice(
            700027,
            "the client assertion's signature did not verify (certificate not registered, or "
            "signed with another key)",
            "upload the certificate to the app's keyCredentials and sign with its private key",
        ),
        Advice(
            700024,
            "the client assertion is outside its valid time range",
            "check the local clock and sign a fresh assertion",
        ),
        Advice(
            700023,
            "the client assertion's iss/sub is not the client id",
            "sign the assertion with iss = sub = the client id",
        ),
        Advice(
            65001,
            "the delegated permission has not been consented",
            "grant admin consent, or create an oauth2PermissionGrant for the client (for an agent "
            "identity: on the agent identity itself) covering the scopes asked for",
        ),
        Advice(
            500011,
            "the resource in the scope does not exist in this tenant",
            "check the scope's resource URI, and that the API has a service principal in this "
            "tenant",
        ),
        Advice(
            70011,
            "the scope is not valid for this request",
            "app-only requests take exactly one <resource>/.default; delegated scopes must exist "
            "on one resource",
        ),
        Advice(
            1002012,
            "the scope is not valid for the client credentials flow",
            "ask for <resource>/.default",
        ),
        Advice(
            90002,
            "the tenant was not found",
            "check the tenant id or domain in the profile (and the cloud)",
        ),
        Advice(
            900144,
            "a required request parameter is missing",
            "this is a bug in the request; run with --trace and report it",
        ),
        Advice(
            70003,
            "the grant type is not supported for this client (Entra does not implement the "
            "RFC 8693 token-exchange grant)",
            "for on-behalf-of use `agentctl exchange --mode obo` (jwt-bearer with "
            "requested_token_use=on_behalf_of); for an agent identity, the Agent ID legs",
        ),
        Advice(
            70016,
            "the device-code sign-in is still pending",
            "finish signing in in the browser",
        ),
        Advice(
            70019,
            "the device code expired before sign-in finished",
            "start again and complete sign-in within the time shown",
        ),
        Advice(
            50034,
            "the user does not exist in this tenant",
            "sign in with a user of the tenant, or use that user's home tenant",
        ),
        Advice(
            50076,
            "Conditional Access requires multi-factor authentication",
            "sign the user in interactively again; pass the claims challenge to the client",
        ),
        Advice(
            53003,
            "Conditional Access blocked the request",
            "ask a tenant admin which policy applies to this client",
        ),
        Advice(
            9002313,
            "the refresh token is invalid or malformed",
            "sign in again to get a new refresh token",
        ),
    )
}


def aadsts_codes(error: Mapping[str, Any]) -> list[int]:
    """The AADSTS codes in an error response: `error_codes`, else parsed from the description."""
    codes = error.get("error_codes")
    if isinstance(codes, list):
        found = [c for c in codes if isinstance(c, int) and not isinstance(c, bool)]
        if found:
            return found
    description = error.get("error_description")
    if isinstance(description, str):
        return [int(m) for m in _CODE.findall(description)]
    return []


# Some public notes report 82001 for an RFC 8693 attempt by an agentic app, too.
_RFC8693_BY_AGENT = Advice(
    82001,
    "an agentic app sent the RFC 8693 token-exchange grant, which Entra does not implement",
    "use the Agent ID legs: client_credentials as the blueprint with fmi_path=<agent identity "
    "appId>, then client_credentials (agent) or jwt-bearer with requested_token_use="
    "on_behalf_of (obo) with that token as client_assertion",
)


def advice_for(error: Mapping[str, Any], *, grant_type: str | None = None) -> Advice | None:
    """The advice for the first known code; `grant_type` (what was sent) picks between the
    82001 cases."""
    for code in aadsts_codes(error):
        if code == 82001 and grant_type and grant_type.endswith(":token-exchange"):
            return _RFC8693_BY_AGENT
        if code in ADVICE:
            return ADVICE[code]
    return None


def hint_for(error: Mapping[str, Any], *, grant_type: str | None = None) -> str | None:
    """A one-line next step for an Entra error response, or the error page for unknown codes."""
    advice = advice_for(error, grant_type=grant_type)
    if advice is not None:
        return advice.hint
    codes = aadsts_codes(error)
    if codes:
        return (
            f"look up AADSTS{codes[0]} at https://login.microsoftonline.com/error?code={codes[0]}"
        )
    return None


def short_description(description: str | None) -> str | None:
    """The first line of an Entra description (drops the Trace ID / Correlation ID lines)."""
    if not description:
        return description
    return description.replace("\r\n", "\n").split("\n", 1)[0].strip()


__all__ = ["ADVICE", "Advice", "aadsts_codes", "advice_for", "hint_for", "short_description"]
