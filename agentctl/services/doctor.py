"""`agentctl doctor`: is this profile usable, and what can its IdP do?

Every line is a check with a status and, when something is off, what to do:

- `ok` / `no`: a capability the IdP has / lacks (lacking one is a fact, not a fault);
- `warn`: works, but worth fixing; `fail`: this will not work as configured;
- `info`: context (keyring backend, what the capability table documents for this IdP kind).

Exit codes: 0 nothing wrong; 3 a configuration problem (profile, secret, CA bundle, keyring,
clock); 7 the IdP is unreachable; 6 it answered with something unusable (e.g. another issuer).

The checks live in doctor_setup (the profile, secret, keyring, clock) and doctor_idp (what the
IdP offers); this module runs them in order and assembles the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agentctl.errors import AgentctlError, NetworkError
from agentctl.exit_codes import ExitCode
from agentctl.output.result import Result
from agentctl.services.doctor_idp import (
    capability_checks,
    caps_of,
    mode_checks,
    resource_issuer_check,
    table_checks,
)
from agentctl.services.doctor_report import Check, Report, overall_exit_code
from agentctl.services.doctor_setup import (
    SKEW_FAIL,
    SKEW_WARN,
    clock_check,
    keyring_check,
    profile_checks,
)

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.http_types import HttpClient, HttpResponse
    from agentctl.providers.base import IdentityProvider

ProviderFor = Callable[["Settings", "HttpClient"], "IdentityProvider"]


def run_doctor(
    settings: Settings,
    open_http: Callable[[], HttpClient],
    *,
    make_provider: ProviderFor | None = None,
    now: Callable[[], float] = time.time,
) -> Result:
    report = Report()
    kind = settings.kind.value
    profile_checks(report, settings)
    keyring = keyring_check(report, settings)
    capabilities: dict[str, bool] = {}
    clock: dict[str, Any] = {"server_date": None, "skew_seconds": None}
    reachable: bool | None = None
    extras: dict[str, Any] = {}
    if not any(c.status == "fail" and c.id in _BLOCKING for c in report.checks):
        reachable, _metadata, capabilities, clock = _idp_checks(
            report, settings, open_http, make_provider or _provider_for, now, extras
        )
    table_checks(report, kind)
    exit_code = overall_exit_code(report)
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
            **extras,
            "summary": {
                status: sum(1 for c in report.checks if c.status == status)
                for status in ("ok", "no", "warn", "fail", "info")
            },
        },
        exit_code=exit_code,
        checks_failed=exit_code != ExitCode.OK,  # a report of checks: a fail is `partial`
    )


def _idp_checks(
    report: Report,
    settings: Settings,
    open_http: Callable[[], HttpClient],
    make_provider: ProviderFor,
    now: Callable[[], float],
    extras: dict[str, Any] | None = None,
) -> tuple[bool, dict[str, Any], dict[str, bool], dict[str, Any]]:
    """Read the IdP's metadata (noting each response's Date) and judge what it offers.
    `extras` receives further report fields (Entra: `graph_permissions`)."""
    dates: list[str] = []

    def capture(response: HttpResponse) -> None:
        if response.headers.get("date"):
            dates.append(response.headers["date"])

    kind = settings.kind.value
    clock: dict[str, Any] = {"server_date": None, "skew_seconds": None}
    http: HttpClient | None = None
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
        capabilities = capability_checks(report, metadata, provider, kind)
        if kind not in ("entra", "local"):
            from agentctl.services.doctor_probe import probe_checks

            probe_checks(report, http, provider, settings, capabilities)
        clock = clock_check(report, dates, now())
        mode_checks(report, capabilities, kind, provider_caps=caps_of(provider))
        if kind == "local":
            resource_issuer_check(report, http, provider)
        if kind == "entra":
            # The admin app's own token says which Graph permissions it holds (issue 15).
            from agentctl.services.doctor_entra import graph_permission_checks

            graph = graph_permission_checks(report, provider)
            if extras is not None and graph is not None:
                extras["graph_permissions"] = graph
    finally:
        http.close()
    return True, metadata, capabilities, clock


_BLOCKING = frozenset({"profile.issuer", "profile.ca_bundle", "profile.tenant"})


def _provider_for(settings: Settings, http: HttpClient) -> IdentityProvider:
    from agentctl.providers import get_provider, provider_settings

    return get_provider(settings.kind.value, provider_settings(settings), http)


__all__ = ["SKEW_FAIL", "SKEW_WARN", "Check", "run_doctor"]
