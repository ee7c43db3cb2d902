"""`agentctl doctor` on an Entra profile: which Microsoft Graph application permissions the
admin app holds, per agentctl operation, read from the admin app's own app-only token.

Graph writes the app roles an app was granted (and admin-consented) into the `roles` claim of
its client-credentials token (access-token-claims-reference), so one token request answers
"what may it do" without any directory read permission. The operations and the permissions that
satisfy each come from `agentctl.providers.entra.permissions.NEEDS`; holding
Directory.ReadWrite.All (or Directory.AccessAsUser.All) makes every Agent ID write fail with 403
(Agent ID known issues), so that is a failure of its own.
"""

from __future__ import annotations

from typing import Any

from agentctl.errors import AgentctlError
from agentctl.services.doctor_report import Report

SECTION = "graph"


def graph_permission_checks(report: Report, provider: Any) -> dict[str, Any] | None:
    """Add one check per operation (id `graph.<least privileged permission>`), a summary and
    the trap; return what was found, or None when the admin app's token could not be had."""
    from agentctl.providers.entra.permissions import (
        NEEDS,
        TRAP_PERMISSIONS,
        admin_consent_url,
        roles_of,
    )

    tokens = getattr(provider, "tokens", None)
    settings = getattr(provider, "settings", None)
    if tokens is None or settings is None or not getattr(settings, "admin_client_id", None):
        return None
    try:
        token = tokens.admin_token()
    except AgentctlError as exc:
        report.add(
            "graph.token",
            SECTION,
            "fail",
            f"the admin app could not get its own Graph token: {exc.message}",
            exc.hint or "check the admin app's client id and secret in the profile",
            exit_code=exc.exit_code,
        )
        return None
    roles = roles_of(token.access_token)
    if roles is None:
        report.add(
            "graph.token",
            SECTION,
            "warn",
            "the admin app's Graph token is not a readable JWT, so its permissions are unknown",
        )
        return None
    held = sorted(roles)
    report.add(
        "graph.held",
        SECTION,
        "info",
        "the admin app's Graph token grants: "
        + (", ".join(held) if held else "nothing (no roles)"),
    )
    consent = admin_consent_url(
        settings.login_base, settings.tenant, settings.admin_client_id, scopes=(".default",)
    )
    operations: list[dict[str, Any]] = []
    for need in NEEDS:
        by = need.held_by(roles)
        operations.append(
            {
                "operation": need.operation,
                "any_of": list(need.any_of),
                "held_by": by,
                "optional": need.optional,
                "source": need.source,
            }
        )
        if by is not None:
            report.add(f"graph.{need.any_of[0]}", SECTION, "ok", f"{need.operation}: {by}")
            continue
        either = " or ".join(need.any_of)
        report.add(
            f"graph.{need.any_of[0]}",
            SECTION,
            "no" if need.optional else "warn",
            f"{need.operation}: lacks {either}"
            + (" (optional: the step is skipped and reported as pending)" if need.optional else ""),
            f"add the application permission {need.any_of[0]} to the admin app, then grant admin "
            f"consent ({consent})",
        )
    trap = [p for p in TRAP_PERMISSIONS if p in roles]
    if trap:
        report.add(
            "graph.trap",
            SECTION,
            "fail",
            f"the admin app holds {', '.join(trap)}: with it every Agent ID write (blueprints, "
            "agent identities, agent users) fails with 403 (Microsoft's Agent ID known issues)",
            "remove it from the admin app's API permissions (or use another app for agentctl)",
        )
    else:
        report.add(
            "graph.trap",
            SECTION,
            "ok",
            "no Directory.ReadWrite.All / Directory.AccessAsUser.All (they block Agent ID writes)",
        )
    missing = [n.any_of[0] for n in NEEDS if n.held_by(roles) is None and not n.optional]
    return {"held": held, "operations": operations, "missing": missing, "trap": trap}


__all__ = ["SECTION", "graph_permission_checks"]
