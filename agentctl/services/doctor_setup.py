"""`agentctl doctor`, this side: the profile, its secret, the OS keyring and the clock."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.core.transport_rules import has_credentials, is_secure_url, without_credentials
from agentctl.services.doctor_report import Report

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings

SKEW_WARN = 30  # seconds; JWT validators commonly allow 30-60 s of leeway
SKEW_FAIL = 300


def profile_checks(report: Report, settings: Settings) -> None:
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
    elif has_credentials(issuer):
        report.add(
            "profile.issuer",
            "profile",
            "fail",
            f"issuer {without_credentials(issuer)} embeds credentials "
            f"({settings.issuer.describe()})",
            "remove user:password@ from the URL; secrets go in the secret store",
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
        from agentctl import files
        from agentctl.errors import ConfigError

        try:
            text = files.read_text(
                path, what="CA bundle", limit=files.MAX_CA_BUNDLE_FILE, error=ConfigError
            )
        except ConfigError as exc:
            report.add(
                "profile.ca_bundle",
                "profile",
                "fail",
                exc.message,
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


def _secret_check(report: Report, settings: Settings, *, what_label: str = "client") -> None:
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


def _entra_profile_checks(report: Report, settings: Settings) -> None:
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


def keyring_check(report: Report, settings: Settings) -> dict[str, Any]:
    from agentctl.config.secrets import keyring_status

    try:
        status = keyring_status()
    except Exception as exc:  # a broken backend must not stop the other checks
        status = {"usable": False, "backend": f"error: {type(exc).__name__}"}
    # A public client (auth method none) keeps no secret: its profile needs the keyring only
    # for the agents registered with it, if any.
    stores_nothing = (
        settings.kind.value != "entra"
        and bool(settings.client_id.value)
        and settings.auth_method.value == "none"
        and not _has_agents(settings)
    )
    needs = (
        settings.secret_store.value == "keyring"
        and not (settings.kind.value == "local" and settings.secret_store.source == "default")
        and not stores_nothing
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
    elif stores_nothing and settings.secret_store.value == "keyring":
        report.add(
            "keyring",
            "secrets",
            "info",
            f"no usable OS keyring (backend {status['backend']}); client "
            f"{settings.client_id.value} is public and stores no secret, but agents registered "
            "with this profile would keep theirs there",
            "re-add the profile with --secret-store file before registering agents",
        )
    else:
        report.add(
            "keyring",
            "secrets",
            "info",
            f"no usable OS keyring (backend {status['backend']}); this profile does not need one",
        )
    return {**status, "needed": needs}


def _has_agents(settings: Settings) -> bool:
    from agentctl.errors import AgentctlError
    from agentctl.services.agents import list_agents

    try:
        return bool(list_agents(settings))
    except AgentctlError:
        return True  # unreadable: assume there are (the keyring check stays strict)


def clock_check(report: Report, dates: list[str], now: float) -> dict[str, Any]:
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


__all__ = ["SKEW_FAIL", "SKEW_WARN", "clock_check", "keyring_check", "profile_checks"]
