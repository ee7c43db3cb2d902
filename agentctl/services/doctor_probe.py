"""`agentctl doctor`, beyond the metadata: ask the IdP, harmlessly, what its metadata leaves out,
and check the profile's own client against what the IdP says it accepts.

Metadata is advice: servers omit grants they issue. For each grant a generic IdP's metadata
does not list (and the profile does not pin), doctor sends one request with the profile's own
client and reads the answer:

- client credentials: a real request (it mints a token for the profile's own client, which is
  neither printed nor kept — what `exchange --mode agent` does anyway);
- token exchange, jwt-bearer, device code: the grant with a deliberately invalid token
  (`agentctl-doctor-probe`), which no server can turn into a token.

`unsupported_grant_type` means the IdP does not offer the grant; `unauthorized_client` that it
does, but not to this client; `invalid_client` that the client itself was refused (nothing about
the grant); any other error (`invalid_grant`, `invalid_request`, …) that the grant is known and
the probe's token was rejected — so the grant is offered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentctl.errors import AgentctlError, OAuthError
from agentctl.oauth import client as oc
from agentctl.services.doctor_report import Report

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.http_types import HttpClient
    from agentctl.providers.base import Credential, IdentityProvider

PROBE_TOKEN = "agentctl-doctor-probe"  # noqa: S105 - deliberately not a token

# (key as in doctor_idp.GRANTS, grant type, the form that exercises it harmlessly)
_PROBES: tuple[tuple[str, str, list[tuple[str, str]]], ...] = (
    ("client_credentials", oc.GRANT_CLIENT_CREDENTIALS, []),
    (
        "token_exchange",
        oc.GRANT_TOKEN_EXCHANGE,
        [("subject_token", PROBE_TOKEN), ("subject_token_type", oc.TOKEN_TYPE_ACCESS)],
    ),
    ("jwt_bearer", oc.GRANT_JWT_BEARER, [("assertion", PROBE_TOKEN)]),
    ("device_code", oc.GRANT_DEVICE_CODE, [("device_code", PROBE_TOKEN)]),
)


@dataclass(frozen=True)
class Probe:
    key: str
    grant: str
    verdict: str  # offered | not_offered | not_for_this_client | client_refused | unknown
    answer: str  # what the IdP answered: "a token", or its OAuth error code, or the failure

    @property
    def offered(self) -> bool | None:
        return {"offered": True, "not_for_this_client": True, "not_offered": False}.get(
            self.verdict
        )


def classify(error: str | None) -> str:
    """The verdict for an answer to a probe (None: a token was issued)."""
    if error is None:
        return "offered"
    return {
        "unsupported_grant_type": "not_offered",
        "unauthorized_client": "not_for_this_client",
        "invalid_client": "client_refused",
    }.get(error, "offered")


def profile_credential(settings: Settings) -> tuple[Credential | None, str | None]:
    """The profile's own client, or why there is none to probe with."""
    if not settings.client_id.value:
        return None, "the profile has no client id"
    from agentctl.providers import credential_for

    try:
        return credential_for(settings), None
    except AgentctlError as exc:
        return None, exc.message


def probe_grants(
    http: HttpClient,
    provider: IdentityProvider,
    credential: Credential,
    keys: list[str],
) -> list[Probe]:
    """One request per grant in `keys`, with the profile's client; never raises for an
    answer (a network failure is an `unknown` verdict)."""
    auth_for: Callable[[Credential], Any] | None = getattr(provider, "auth_for", None)
    endpoint = provider.metadata().get("token_endpoint")
    out: list[Probe] = []
    for key, grant, extra in _PROBES:
        if key not in keys:
            continue
        if auth_for is None or not isinstance(endpoint, str):
            out.append(Probe(key, grant, "unknown", "no token endpoint to probe"))
            continue
        try:
            auth = auth_for(credential)
            oc.token_request(http, endpoint, [("grant_type", grant), *extra], auth)
        except OAuthError as exc:
            out.append(Probe(key, grant, classify(exc.error), exc.error))
        except AgentctlError as exc:
            out.append(Probe(key, grant, "unknown", exc.message))
        else:
            out.append(Probe(key, grant, "offered", "a token"))
    return out


def report_probes(
    report: Report, probes: list[Probe], credential: Credential, caps: dict[str, bool]
) -> None:
    """A line per probe; `caps` learns what the probes showed (so the mode lines follow)."""
    from agentctl.oauth.client_auth import basic_encoding_matters, basic_hint

    for probe in probes:
        said = f"{probe.grant} is not in grant_types_supported; probed with {credential.client_id}"
        if probe.verdict == "offered":
            caps[probe.key] = True
            report.add(
                f"probe.{probe.key}",
                "probes",
                "ok",
                f"{said}: offered (the IdP answered {probe.answer})",
            )
        elif probe.verdict == "not_for_this_client":
            caps[probe.key] = True
            report.add(
                f"probe.{probe.key}",
                "probes",
                "warn",
                f"{said}: offered, but not to this client (unauthorized_client)",
                "allow the grant for the client that will use it in the IdP",
            )
        elif probe.verdict == "not_offered":
            report.add(
                f"probe.{probe.key}",
                "probes",
                "no",
                f"{said}: not offered (the IdP answered unsupported_grant_type)",
            )
        elif probe.verdict == "client_refused":
            fix = (
                basic_hint(credential.client_id)
                if credential.method == "client_secret_basic"
                and basic_encoding_matters(credential.client_id, credential.secret)
                else "check the profile's client id and secret or key (`agentctl profile show`)"
            )
            report.add(
                f"probe.{probe.key}",
                "probes",
                "fail",
                f"{said}: the IdP refused the client itself (invalid_client), so the grant "
                "is still unknown",
                fix,
                exit_code=6,
            )
        else:
            report.add(
                f"probe.{probe.key}",
                "probes",
                "warn",
                f"{said}: could not probe ({probe.answer})",
                "`agentctl exchange` tries it anyway and reports the answer",
            )


def auth_method_checks(
    report: Report, md: Mapping[str, Any], settings: Settings, agent_methods: dict[str, str]
) -> None:
    """The profile's client (and its default agent) against the methods the IdP accepts
    (RFC 8414 token_endpoint_auth_methods_supported; absent means client_secret_basic)."""
    listed = md.get("token_endpoint_auth_methods_supported")
    accepted = [str(m) for m in listed] if isinstance(listed, list) and listed else None
    shown = (
        ", ".join(accepted) if accepted else "not published (RFC 8414 default client_secret_basic)"
    )
    users: list[tuple[str, str, str]] = []
    name = settings.name.value
    if settings.client_id.value:
        users.append(
            (
                f"profile client {settings.client_id.value}",
                settings.auth_method.value,
                f"`agentctl profile set {name} --auth-method METHOD`",
            )
        )
    for agent, method in agent_methods.items():
        users.append(
            (
                f"agent {agent}",
                method,
                f"`agentctl register {agent} --replace --auth-method METHOD`",
            )
        )
    for who, method, fix in users:
        if method == "none":
            report.add(
                "auth_method", "capabilities", "ok", f"{who} is a public client (no secret to send)"
            )
            continue
        ok = method in accepted if accepted else method == "client_secret_basic"
        if ok:
            report.add("auth_method", "capabilities", "ok", f"{who} authenticates with {method}")
            continue
        report.add(
            "auth_method",
            "capabilities",
            "fail" if accepted else "warn",
            f"{who} authenticates with {method}, which the IdP does not list "
            f"(token_endpoint_auth_methods_supported: {shown})",
            fix.replace("METHOD", accepted[0] if accepted else "client_secret_basic"),
        )


def probe_checks(
    report: Report,
    http: HttpClient,
    provider: IdentityProvider,
    settings: Settings,
    caps: dict[str, bool],
) -> None:
    """Auth methods, then a probe per grant the metadata and the profile leave unsaid."""
    md = provider.metadata()
    auth_method_checks(report, md, settings, _default_agent_method(settings))
    keys = [key for key, _, _ in _PROBES if not caps.get(key, False)]
    if "device_code" in keys and not isinstance(md.get("device_authorization_endpoint"), str):
        keys.remove("device_code")  # no endpoint to start the flow at: nothing to learn
    if not keys:
        return
    credential, why = profile_credential(settings)
    if credential is None:
        report.add(
            "probe",
            "probes",
            "info",
            f"not probed ({why}): {', '.join(keys)} not listed in the metadata; `agentctl "
            "exchange` tries them anyway and reports what the IdP answers",
        )
        return
    report_probes(report, probe_grants(http, provider, credential, keys), credential, caps)


def _default_agent_method(settings: Settings) -> dict[str, str]:
    name = settings.profile.agent
    if not name:
        return {}
    from agentctl.services.agents import find_record

    try:
        record = find_record(settings, name)
    except AgentctlError:
        return {}
    method = record.extra.get("auth_method") if record is not None else None
    return {name: method} if isinstance(method, str) else {}


__all__ = [
    "PROBE_TOKEN",
    "Probe",
    "auth_method_checks",
    "classify",
    "probe_checks",
    "probe_grants",
    "profile_credential",
    "report_probes",
]
