"""`agentctl demo`: the whole story on the embedded IdP, in one idempotent command.

1. a demo user (`alice`, a random password kept with the IdP's data in a 0600 file);
2. a demo agent (`demo-agent`, registered through the agents service, so later
   `agentctl exchange --agent demo-agent` works);
3. alice's delegation grant to the agent;
4. the three modes side by side, each checked;
5. the ID-JAG path to the second issuer (`mcp-as`) through its RFC 9728 metadata;
6. what the demo resource of each issuer sees for each token;
7. the audit trail the IdP wrote meanwhile.

Needs no keyring and no configuration: the embedded IdP keeps its agents' credentials with
its own data.
"""

from __future__ import annotations

import secrets as pysecrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.errors import AgentctlError, ConfigError
from agentctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.http_types import HttpClient
    from agentctl.idp.service import IdpService
    from agentctl.output.result import Result
    from agentctl.providers.local import LocalProvider
    from agentctl.services.exchange_model import Run
    from agentctl.services.exchange_modes import Agent, Runner

COMMAND = ("demo",)
DEMO_USER = "alice"
DEMO_EMAIL = "alice@example.com"
DEMO_AGENT = "demo-agent"
PASSWORD_FILE = "demo-user.password"  # noqa: S105 - a file name
# What the demo resource should report for each run's token.
EXPECTED_VIEW = {
    "agent": "agent_identity",
    "user": "user_scoped",
    "obo": "hybrid_obo",
    "id-jag": "user_scoped",
}


def demo_settings() -> Settings:
    """The built-in embedded profile, whatever the user configured as active."""
    from agentctl.config.profiles import Config
    from agentctl.config.resolve import resolve_settings

    settings = resolve_settings(profile_flag="local", config=Config())
    if not settings.profile.embedded or settings.issuer.value:
        raise ConfigError(
            "the demo runs on the embedded IdP, but AGENTCTL_ISSUER points elsewhere",
            hint="unset AGENTCTL_ISSUER for the demo",
        )
    return settings


def password_file() -> Path:
    from agentctl.config import paths

    return paths.data_dir() / PASSWORD_FILE


def ensure_user(svc: IdpService) -> tuple[str, bool]:
    """(password, created): alice exists and her password is the one in the 0600 file.
    Get-or-create under the password file's exclusive lock: parallel demos on a new home
    make one alice, and none of them changes the password another one is signing in with."""
    from agentctl.config.filelock import locked

    with locked(password_file()):
        return _ensure_user_locked(svc)


def _ensure_user_locked(svc: IdpService) -> tuple[str, bool]:
    from agentctl.config import paths
    from agentctl.idp.records import Conflict, get_user
    from agentctl.idp.userauth import SignInError, authenticate
    from agentctl.services.exchange import write_private_file

    path = password_file()
    password = path.read_text(encoding="utf-8").strip() if path.exists() else ""
    issuer = "enterprise"
    user = get_user(svc.store, issuer, DEMO_USER)
    if user is not None and password:
        try:
            authenticate(svc.ctx, issuer, DEMO_USER, password)
            return password, False
        except SignInError:
            pass
    password = pysecrets.token_urlsafe(18)
    paths.ensure_private_dir(path.parent)
    write_private_file(path, password + "\n")
    if user is None:
        try:
            svc.add_user(DEMO_USER, DEMO_EMAIL, password)
            return password, True
        except Conflict:
            pass  # made meanwhile by something other than a demo (`idp users add alice`)
    # The password file was lost (or edited) but alice exists: give her a new password
    # rather than asking for a reset of the whole IdP.
    svc.set_password(DEMO_USER, password, issuer=issuer)
    return password, False


def ensure_agent(
    settings: Settings, http: HttpClient, provider: LocalProvider
) -> tuple[Agent, str]:
    """The demo agent and what happened to it: `created`, `exists` or `replaced` (its record
    survived an IdP reset, so it is registered again)."""
    from agentctl.services import agents as store
    from agentctl.services.exchange_modes import Agent
    from agentctl.services.register import RegisterRequest, register_agent

    record = store.find_record(settings, DEMO_AGENT)
    if record is None or not provider.agent_exists(record.client_id):
        # Decided again while the agent is claimed: of parallel demos, one registers (or
        # replaces) and the others find its agent.
        result = register_agent(
            settings,
            http,
            RegisterRequest(
                name=DEMO_AGENT,
                description="agentctl demo agent",
                sponsor=DEMO_EMAIL,
                may_act_for=(DEMO_USER,),
            ),
            make_provider=lambda _s, _h: provider,
            replace_if=lambda existing: not provider.agent_exists(existing.client_id),
        )
        action = str(result.data.get("action") or "created")
    else:
        action = "exists"
    record, credential = store.load_agent(settings, DEMO_AGENT)
    return Agent(record.name, credential), action


def run_demo(
    *,
    http: HttpClient,
    now: Callable[[], datetime],
    show_token: bool = False,
    service: IdpService | None = None,
) -> Result:
    from agentctl.idp.service import IdpService
    from agentctl.output.result import Result
    from agentctl.providers.local import LocalProvider
    from agentctl.services.exchange_modes import Runner, Targets

    settings = demo_settings()
    svc = service or IdpService.open()
    started = svc.ctx.now()
    provider = LocalProvider.embedded(http, service=svc)
    password, user_created = ensure_user(svc)
    agent, agent_action = ensure_agent(settings, http, provider)
    grant = svc.grant(DEMO_USER, agent.client_id)
    runner = Runner(
        provider,
        http,
        now=now,
        agent=agent,
        targets=Targets(),
        user=DEMO_USER,
        password=lambda: password,
        embedded_sign_in=True,
    )
    resource_as = provider.resource_issuer()
    runs = [
        runner.run_agent(),
        runner.run_user(),
        runner.run_obo(),
        runner.run_id_jag(resource_as + "/resource"),
    ]
    for run in runs:
        _show_to_resource(runner, run)
    from agentctl.services.browse import demo_browser_checks

    browser = demo_browser_checks(svc.ctx, runs)  # the web app in Chromium, when installed
    audit = [e for e in svc.audit(limit=200) if int(e.get("time") or 0) >= started]
    ok = all(r.ok for r in runs)
    data: dict[str, Any] = {
        "issuer": provider.issuer,
        "resource_issuer": resource_as,
        "user": {
            "name": DEMO_USER,
            "created": user_created,
            "password_file": str(password_file()),
        },
        "agent": {"name": agent.name, "client_id": agent.client_id, "action": agent_action},
        "grant": grant,
        "ok": ok,
        "runs": [r.to_dict(show_token=show_token) for r in runs],
        "table": [r.row() for r in runs],
        "audit": audit,
        "browser": browser,
        "next": [
            f"agentctl exchange --mode obo --agent {DEMO_AGENT} --user {DEMO_USER}"
            f"   (alice's password is read from {password_file()}, 0600)",
            f"agentctl exchange --via id-jag --resource {resource_as}/resource "
            f"--agent {DEMO_AGENT} --user {DEMO_USER}",
            "agentctl exchange --mode obo --emit header | agentctl inspect -"
            "   (any token: agentctl inspect TOKEN, or - for stdin)",
            "agentctl idp audit",
        ],
    }
    result = Result(command=COMMAND, data=data)
    failed = [r for r in runs if r.error is not None]
    if failed and failed[0].error is not None:
        result.exit_code = failed[0].error.exit_code
        result.errors = [r.error.to_item() for r in failed if r.error is not None]
    elif not ok:
        result.exit_code = ExitCode.CHECK
        result.errors = [
            {
                "code": "check_failed",
                "message": f"{r.mode}: " + ", ".join(c.check.name for c in r.failed_checks),
            }
            for r in runs
            if r.failed_checks
        ]
    return result


def _show_to_resource(runner: Runner, run: Run) -> None:
    """Present the run's token to the resource it is for, and check what the resource saw."""
    from agentctl.core.checks import Check

    token = run.token
    if run.error is not None or token is None or token.explanation is None:
        return
    target = next((a for a in token.explanation.audience if a.startswith("http")), None)
    if target is None:
        return
    try:
        runner.call_resource(run, target, token.raw)
    except AgentctlError as exc:
        run.error = exc
        return
    view = run.resource_view or {}
    expected = EXPECTED_VIEW.get(run.mode, "")
    run.add_checks(
        "resource view",
        [
            Check(
                "the resource sees the mode",
                view.get("status") == 200 and view.get("mode") == expected,
                expected,
                str(view.get("mode") or view.get("error_description") or view.get("status")),
                "RFC 6750 §2.1, RFC 9728",
            )
        ],
    )


__all__ = ["DEMO_AGENT", "DEMO_USER", "demo_settings", "ensure_agent", "ensure_user", "run_demo"]
