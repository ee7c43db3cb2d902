"""`agentctl doctor`: is this profile usable, and what can its IdP do?

Every line is a check with a status and, when something is off, what to do:

- `ok` / `no`: a capability the IdP has / lacks (lacking one is a fact, not a fault);
- `warn`: works, but worth fixing; `fail`: this will not work as configured;
- `info`: context (keyring backend, what the capability table documents for this IdP kind).

Exit codes: 0 nothing wrong; 3 a configuration problem (profile, secret, CA bundle, keyring,
clock); 7 the IdP is unreachable; 6 it answered with something unusable (e.g. another issuer).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.core.transport_rules import is_secure_url
from agentctl.errors import AgentctlError, NetworkError
from agentctl.exit_codes import ExitCode
from agentctl.output.result import Result

if TYPE_CHECKING:
    import httpx

    from agentctl.config.resolve import Settings
    from agentctl.providers.base import IdentityProvider

SKEW_WARN = 30  # seconds; JWT validators commonly allow 30-60 s of leeway
SKEW_FAIL = 300

ID_JAG_TYPE = "urn:ietf:params:oauth:token-type:id-jag"
ID_JAG_PROFILE = "urn:ietf:params:oauth:grant-profile:id-jag"

GRANTS: tuple[tuple[str, str, str], ...] = (
    ("client_credentials", "client_credentials", "client credentials (mode agent)"),
    (
        "token_exchange",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "RFC 8693 token exchange (modes user, obo)",
    ),
    (
        "jwt_bearer",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "RFC 7523 jwt-bearer (ID-JAG redemption, Entra OBO)",
    ),
    (
        "device_code",
        "urn:ietf:params:oauth:grant-type:device_code",
        "RFC 8628 device code (user sign-in)",
    ),
)
ENDPOINTS: tuple[tuple[str, str, str], ...] = (
    ("registration", "registration_endpoint", "RFC 7591 dynamic registration (register)"),
    ("introspection", "introspection_endpoint", "RFC 7662 introspection"),
    ("revocation", "revocation_endpoint", "RFC 7009 revocation"),
    ("device_authorization", "device_authorization_endpoint", "RFC 8628 device authorization"),
)


@dataclass
class Check:
    id: str
    section: str
    status: str  # ok | no | warn | fail | info
    message: str
    fix: str | None = None
    exit_code: int = ExitCode.CONFIG  # what a `fail` means for the process

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section,
            "status": self.status,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class _Report:
    checks: list[Check] = field(default_factory=list)

    def add(self, *args: Any, **kwargs: Any) -> Check:
        check = Check(*args, **kwargs)
        self.checks.append(check)
        return check


ProviderFor = Callable[["Settings", "httpx.Client"], "IdentityProvider"]


def run_doctor(
    settings: Settings,
    open_http: Callable[[], httpx.Client],
    *,
    make_provider: ProviderFor | None = None,
    now: Callable[[], float] = time.time,
) -> Result:
    report = _Report()
    kind = settings.kind.value
    _profile_checks(report, settings)
    keyring = _keyring_check(report, settings)
    capabilities: dict[str, bool] = {}
    clock: dict[str, Any] = {"server_date": None, "skew_seconds": None}
    reachable: bool | None = None
    if not any(c.status == "fail" and c.id in _BLOCKING for c in report.checks):
        reachable, _metadata, capabilities, clock = _idp_checks(
            report, settings, open_http, make_provider or _provider_for, now
        )
    _table_checks(report, kind)
    exit_code = _exit_code(report)
    return Result(
        command=("doctor",),
        data={
            "profile": {
                "name": settings.name.value,
                "kind": kind,
                "issuer": settings.issuer.value,
                "source": settings.name.describe(),
            },
            "reachable": reachable,
            "checks": [c.to_dict() for c in report.checks],
            "capabilities": capabilities,
            "modes": {
                c.id.removeprefix("mode."): c.status == "ok"
                for c in report.checks
                if c.id.startswith("mode.")
            },
            "clock": clock,
            "keyring": keyring,
            "summary": {
                status: sum(1 for c in report.checks if c.status == status)
                for status in ("ok", "no", "warn", "fail", "info")
            },
        },
        exit_code=exit_code,
    )


def _idp_checks(
    report: _Report,
    settings: Settings,
    open_http: Callable[[], httpx.Client],
    make_provider: ProviderFor,
    now: Callable[[], float],
) -> tuple[bool, dict[str, Any], dict[str, bool], dict[str, Any]]:
    """Read the IdP's metadata (noting each response's Date) and judge what it offers."""
    dates: list[str] = []

    def capture(response: httpx.Response) -> None:
        if response.headers.get("date"):
            dates.append(response.headers["date"])

    kind = settings.kind.value
    clock: dict[str, Any] = {"server_date": None, "skew_seconds": None}
    http: httpx.Client | None = None
    try:
        http = open_http()
        hooks = http.event_hooks
        hooks.setdefault("response", []).append(capture)
        http.event_hooks = hooks
        provider = make_provider(settings, http)
        metadata = dict(provider.metadata())
    except AgentctlError as exc:
        code = ExitCode.NETWORK if isinstance(exc, NetworkError) else exc.exit_code
        report.add("reachable", "idp", "fail", exc.message, exc.hint, exit_code=code)
        if http is not None:
            http.close()
        return False, {}, {}, clock
    try:
        where = metadata.get("issuer") or settings.issuer.value or "the IdP"
        report.add("reachable", "idp", "ok", f"metadata read from {where}")
        capabilities = _capability_checks(report, metadata, provider, kind)
        clock = _clock_check(report, dates, now())
        _mode_checks(report, capabilities, kind, provider_caps=_caps(provider))
        if kind == "local":
            _resource_issuer_check(report, http, provider)
    finally:
        http.close()
    return True, metadata, capabilities, clock


_BLOCKING = frozenset({"profile.issuer", "profile.ca_bundle", "profile.tenant"})


def _provider_for(settings: Settings, http: httpx.Client) -> IdentityProvider:
    from agentctl.providers import get_provider, provider_settings

    return get_provider(settings.kind.value, provider_settings(settings), http)


def _caps(provider: IdentityProvider) -> frozenset[str]:
    return frozenset(str(c) for c in provider.capabilities)


def _exit_code(report: _Report) -> int:
    fails = [c for c in report.checks if c.status == "fail"]
    if not fails:
        return ExitCode.OK
    codes = {c.exit_code for c in fails}
    for code in (ExitCode.CONFIG, ExitCode.NETWORK, ExitCode.IDP):
        if code in codes:
            return code
    return min(codes)


# -- the profile ------------------------------------------------------------------------------


def _profile_checks(report: _Report, settings: Settings) -> None:
    name = settings.name.value
    kind = settings.kind.value
    issuer = settings.issuer.value
    report.add(
        "profile",
        "profile",
        "info",
        f"profile {name} ({kind}; {settings.name.source}: {settings.name.detail})",
    )
    if kind == "entra":
        _entra_profile_checks(report, settings)
    elif kind == "local" and not issuer:
        report.add("profile.issuer", "profile", "ok", "the embedded IdP, in-process")
    elif not issuer:
        report.add(
            "profile.issuer",
            "profile",
            "fail",
            f"profile {name} has no issuer URL",
            f"`agentctl profile add {name} --replace --issuer URL ...` or set AGENTCTL_ISSUER",
        )
    elif not is_secure_url(issuer):
        report.add(
            "profile.issuer",
            "profile",
            "fail",
            f"issuer {issuer} is plain http on a non-loopback host ({settings.issuer.describe()})",
            "use https:// (plain http only for 127.0.0.1/localhost)",
        )
    else:
        report.add("profile.issuer", "profile", "ok", f"issuer {issuer}")
    bundle = settings.ca_bundle.value
    if bundle:
        path = Path(bundle).expanduser()
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.add(
                "profile.ca_bundle",
                "profile",
                "fail",
                f"CA bundle {bundle} cannot be read ({getattr(exc, 'strerror', None) or exc})",
                "fix the path (--ca-bundle / AGENTCTL_CA_BUNDLE / the profile's ca_bundle)",
            )
        else:
            if "BEGIN CERTIFICATE" not in text:
                report.add(
                    "profile.ca_bundle",
                    "profile",
                    "fail",
                    f"CA bundle {bundle} holds no PEM certificate",
                    "point it at a PEM file of CA certificates",
                )
            else:
                report.add("profile.ca_bundle", "profile", "ok", f"CA bundle {bundle}")
    if kind != "entra":
        _secret_check(report, settings)


def _secret_check(report: _Report, settings: Settings, *, what_label: str = "client") -> None:
    from agentctl.config import secrets
    from agentctl.errors import SecretError

    name = settings.name.value
    client_id = settings.client_id.value
    method = settings.auth_method.value
    if settings.secret_store.value == "embedded":
        report.add(
            "profile.secret",
            "profile",
            "ok",
            "agents' credentials live with the embedded IdP's data (0600); no keyring needed",
        )
        return
    if not client_id:
        report.add(
            "profile.secret",
            "profile",
            "info",
            "no profile client configured (register agents with `agentctl register`)",
        )
        return
    if method == "none":
        report.add("profile.secret", "profile", "ok", f"{what_label} {client_id} is public")
        return
    what = "private-key" if method == "private_key_jwt" else None
    try:
        found = secrets.lookup(
            name, store=settings.secret_store.value, ref=settings.secret_ref.value, what=what
        )
    except SecretError as exc:
        report.add("profile.secret", "profile", "fail", exc.message, exc.hint)
        return
    if found is None:
        var = secrets.env_var_for(name, what)
        report.add(
            "profile.secret",
            "profile",
            "fail",
            f"no {'private key' if what else 'secret'} for {what_label} {client_id} "
            f"(store: {settings.secret_store.value})",
            f"`agentctl profile add {name} --replace ... --secret-stdin` or set {var}",
        )
    else:
        report.add("profile.secret", "profile", "ok", f"{what_label} secret found in {found.where}")


def _entra_profile_checks(report: _Report, settings: Settings) -> None:
    profile = settings.profile
    name = settings.name.value
    if not profile.tenant:
        report.add(
            "profile.tenant",
            "profile",
            "fail",
            f"Entra profile {name} has no tenant",
            f"`agentctl profile add {name} --replace --kind entra --tenant TENANT ...`",
        )
        return
    report.add(
        "profile.tenant", "profile", "ok", f"tenant {profile.tenant} ({profile.cloud or 'public'})"
    )
    if not settings.client_id.value:
        report.add(
            "profile.admin",
            "profile",
            "fail",
            "no admin app (client id) to call Microsoft Graph with",
            f"`agentctl profile add {name} --replace --kind entra --tenant {profile.tenant} "
            "--client-id ADMIN_APP_ID --secret-stdin`",
        )
    else:
        _secret_check(report, settings, what_label="admin app")
    if not profile.public_client_id:
        report.add(
            "profile.public_client",
            "profile",
            "info",
            "no public client: `exchange --mode user` (device code) needs --public-client-id",
        )


def _keyring_check(report: _Report, settings: Settings) -> dict[str, Any]:
    from agentctl.config.secrets import keyring_status

    try:
        status = keyring_status()
    except Exception as exc:  # a broken backend must not stop the other checks
        status = {"usable": False, "backend": f"error: {type(exc).__name__}"}
    needs = settings.secret_store.value == "keyring" and not (
        settings.kind.value == "local" and settings.secret_store.source == "default"
    )
    if status["usable"]:
        report.add("keyring", "secrets", "ok", f"OS keyring usable ({status['backend']})")
    elif needs:
        from agentctl.config import secrets

        report.add(
            "keyring",
            "secrets",
            "fail",
            f"no usable OS keyring on this host (backend {status['backend']}), and profile "
            f"{settings.name.value} keeps its secrets there",
            f"set {secrets.env_var_for(settings.name.value)} (CI), or re-add the profile with "
            "--secret-store file",
        )
    else:
        report.add(
            "keyring",
            "secrets",
            "info",
            f"no usable OS keyring (backend {status['backend']}); this profile does not need one",
        )
    return {**status, "needed": needs}


# -- the IdP ------------------------------------------------------------------------------------


def _capability_checks(
    report: _Report, md: Mapping[str, Any], provider: IdentityProvider, kind: str
) -> dict[str, bool]:
    caps: dict[str, bool] = {}
    grants = md.get("grant_types_supported")
    published = isinstance(grants, list)
    if not published and kind != "entra":
        report.add(
            "grants",
            "capabilities",
            "warn",
            "the IdP does not publish grant_types_supported: agentctl tries grants and reports "
            "what the IdP answers",
        )
    provider_caps = _caps(provider)
    for key, grant, text in GRANTS:
        if kind == "entra":
            has = {
                "client_credentials": "client_credentials" in provider_caps,
                "token_exchange": False,
                "jwt_bearer": "jwt_bearer" in provider_caps,
                "device_code": "device_authorization" in provider_caps,
            }[key]
        else:
            has = grant in grants if published and isinstance(grants, list) else True
        caps[key] = has
        why = None if has else f"grant_types_supported lacks {grant}"
        if key == "token_exchange" and kind == "entra":
            why = "Entra answers the RFC 8693 grant with AADSTS82001; it runs OBO as jwt-bearer"
        report.add(
            f"grant.{key}",
            "capabilities",
            "ok" if has else "no",
            f"{text}: {'offered' if has else 'not offered'}",
            why,
        )
    for key, member, text in ENDPOINTS:
        has = isinstance(md.get(member), str)
        if kind == "entra" and key == "registration":
            has = True
            text = "registration through Microsoft Graph (register --kind app|agent-identity)"
        caps[key] = has
        url = md.get(member)
        where = url if isinstance(url, str) else "offered"
        report.add(
            f"endpoint.{key}",
            "capabilities",
            "ok" if has else "no",
            f"{text}: {where if has else 'not offered'}",
            None if has else f"its metadata has no {member}",
        )
    methods = md.get("token_endpoint_auth_methods_supported")
    if isinstance(methods, list) and methods:
        caps["private_key_jwt"] = "private_key_jwt" in methods
        report.add(
            "auth_methods",
            "capabilities",
            "info",
            f"client authentication: {', '.join(map(str, methods))}",
        )
    chaining = md.get("identity_chaining_requested_token_types_supported")
    issues = isinstance(chaining, list) and ID_JAG_TYPE in chaining
    profiles = md.get("authorization_grant_profiles_supported")
    redeems = isinstance(profiles, list) and ID_JAG_PROFILE in profiles
    caps["id_jag_issuer"] = issues
    caps["id_jag_receiver"] = redeems
    report.add(
        "id_jag.issuer",
        "capabilities",
        "ok" if issues else "no",
        "issues ID-JAGs (identity_chaining_requested_token_types_supported has id-jag)"
        if issues
        else "does not issue ID-JAGs",
        None if issues else "identity_chaining_requested_token_types_supported lacks id-jag",
    )
    report.add(
        "id_jag.receiver",
        "capabilities",
        "ok" if redeems else "no",
        "redeems ID-JAGs (authorization_grant_profiles_supported has grant-profile:id-jag)"
        if redeems
        else "does not advertise redeeming ID-JAGs",
        None if redeems else "authorization_grant_profiles_supported lacks grant-profile:id-jag",
    )
    return caps


def _mode_checks(
    report: _Report, caps: Mapping[str, bool], kind: str, *, provider_caps: frozenset[str]
) -> None:
    """Which `agentctl exchange` modes this IdP can run, from what it advertises."""
    te = caps.get("token_exchange", False)
    rows: list[tuple[str, bool, str, str]] = [
        (
            "register",
            caps.get("registration", False),
            "agentctl register creates agents here",
            "no dynamic registration: create the client in the IdP's console and add its id "
            "to the profile",
        ),
        (
            "agent",
            caps.get("client_credentials", False),
            "exchange --mode agent (client credentials)",
            "this IdP does not offer the client credentials grant",
        ),
    ]
    if kind == "entra":
        rows += [
            (
                "user",
                caps.get("device_code", False),
                "exchange --mode user (device-code sign-in)",
                "device code sign-in is not available",
            ),
            (
                "obo",
                caps.get("jwt_bearer", False),
                "exchange --mode obo (Entra on-behalf-of / Agent ID legs)",
                "jwt-bearer OBO is not available",
            ),
        ]
    else:
        user_ok = te or caps.get("device_code", False) or kind == "local"
        rows += [
            (
                "user",
                user_ok,
                "exchange --mode user"
                + (" (sign-in by the loopback shortcut or device code)" if kind == "local" else ""),
                "no device code and no token exchange: bring a user token with --subject-token",
            ),
            (
                "obo",
                te and "token_exchange_actor" in provider_caps,
                "exchange --mode obo (RFC 8693 with an actor token)",
                "this IdP does not offer token exchange (grant_types_supported lacks "
                "urn:ietf:params:oauth:grant-type:token-exchange), so obo cannot run here",
            ),
            (
                "id-jag",
                caps.get("id_jag_issuer", False) and te,
                "exchange --via id-jag (this IdP issues ID-JAGs)",
                "this IdP does not issue ID-JAGs",
            ),
        ]
    for mode, ok, yes, no in rows:
        report.add(
            f"mode.{mode}",
            "modes",
            "ok" if ok else "no",
            yes if ok else no,
            None if ok else "`agentctl choose` suggests a mode this IdP can run",
        )


def _resource_issuer_check(report: _Report, http: httpx.Client, provider: IdentityProvider) -> None:
    """The embedded IdP's second issuer, where ID-JAGs are redeemed (jwt-bearer)."""
    from agentctl.oauth.discovery import fetch_metadata

    resource_issuer = getattr(provider, "resource_issuer", None)
    if not callable(resource_issuer):
        return
    url = str(resource_issuer())
    try:
        md = fetch_metadata(http, url)
    except AgentctlError as exc:
        report.add(
            "id_jag.resource_issuer",
            "modes",
            "warn",
            f"resource issuer {url} unreadable: {exc.message}",
            "the ID-JAG path (`exchange --via id-jag`) needs it",
        )
        return
    profiles = md.get("authorization_grant_profiles_supported")
    ok = isinstance(profiles, list) and ID_JAG_PROFILE in profiles
    report.add(
        "id_jag.resource_issuer",
        "modes",
        "ok" if ok else "no",
        f"resource issuer {url} redeems ID-JAGs"
        if ok
        else f"resource issuer {url} does not advertise ID-JAG redemption",
    )


def _clock_check(report: _Report, dates: list[str], now: float) -> dict[str, Any]:
    if not dates:
        report.add(
            "clock",
            "clock",
            "info",
            "the IdP sent no Date header (in-process, or a proxy removed it): skew unknown",
        )
        return {"server_date": None, "skew_seconds": None}
    raw = dates[-1]
    try:
        server = parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError):
        report.add("clock", "clock", "warn", f"the IdP's Date header is unreadable: {raw!r}")
        return {"server_date": raw, "skew_seconds": None}
    skew = round(now - server)
    info = {"server_date": raw, "skew_seconds": skew}
    ahead = "ahead of" if skew > 0 else "behind"
    text = f"this machine's clock is {abs(skew)} s {ahead} the IdP's"
    if abs(skew) >= SKEW_FAIL:
        report.add(
            "clock",
            "clock",
            "fail",
            text,
            "sync the clock (NTP): tokens will look expired or not yet valid",
        )
    elif abs(skew) >= SKEW_WARN:
        report.add("clock", "clock", "warn", text, "sync the clock (NTP)")
    else:
        report.add("clock", "clock", "ok", f"clock within {abs(skew)} s of the IdP's (Date)")
    return info


def _table_checks(report: _Report, kind: str) -> None:
    """What agentctl's capability table (from vendor documentation) says for this IdP kind."""
    from agentctl.core.capabilities import EXCHANGE_MODE, IDP_KINDS, capabilities_for

    if kind not in IDP_KINDS:
        return
    table = capabilities_for(kind)
    for mode, entry in table.modes:
        text = f"{EXCHANGE_MODE.get(mode, mode)}: {entry.support} ({entry.flow})"
        if entry.maturity != "ga":
            text += f" [{entry.maturity}]"
        report.add(
            f"documented.{mode}",
            "documented",
            "info",
            text,
            entry.alternative if not entry.supported else None,
        )
    report.add(
        "documented.id_jag",
        "documented",
        "info",
        f"ID-JAG issuer: {table.id_jag.issuer}, receiver: {table.id_jag.receiver}",
    )


__all__ = ["SKEW_FAIL", "SKEW_WARN", "Check", "run_doctor"]
