"""A profile's default agent and user: what `exchange` runs with when --agent/--user are absent.

Set by `agentctl agent use NAME [--user USER]`, by `agentctl demo` (demo-agent and alice on the
embedded profile) and by the first `register` on a profile, so the headline usage
`agentctl exchange --mode obo` runs as printed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentctl.config import profiles as profiles_mod
from agentctl.errors import UsageError

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.output.result import Result


@dataclass(frozen=True)
class Defaults:
    profile: str
    agent: str | None
    user: str | None


def read(profile: str) -> Defaults:
    """The defaults stored for `profile` (none for a profile never written)."""
    config = profiles_mod.load()
    stored = config.profiles.get(profile)
    if stored is None:
        return Defaults(profile, None, None)
    return Defaults(profile, stored.agent, stored.user)


def remember(
    profile: str,
    *,
    agent: str | None = None,
    user: str | None = None,
    only_if_unset: bool = False,
) -> Defaults:
    """Store the default agent and/or user of `profile` (None leaves a value as it is).

    With `only_if_unset`, a value already stored wins: the first `register` sets the default
    agent, later ones do not move it. The built-in `local` profile is written out the first
    time it gets a default (the file then holds `[profiles.local] kind = "local"`)."""

    def change(current: profiles_mod.Profile) -> profiles_mod.Profile:
        new_agent, new_user = current.agent, current.user
        if agent is not None and not (only_if_unset and current.agent):
            new_agent = agent
        if user is not None and not (only_if_unset and current.user):
            new_user = user
        return dataclasses.replace(current, agent=new_agent, user=new_user)

    result: list[profiles_mod.Profile] = []

    def update(config: profiles_mod.Config) -> profiles_mod.Config:
        # Under config.toml's lock (profiles.update): parallel commands lose no change.
        current = profiles_mod.get(config, profile)
        changed = change(current)
        result.append(changed)
        if changed != current or profile not in config.profiles:
            config = profiles_mod.upsert(config, changed, replace_existing=True)
        return config

    profiles_mod.update(update)
    return Defaults(profile, result[0].agent, result[0].user)


def forget_agent(profile: str, agent: str) -> None:
    """Drop `agent` as the default of `profile` (it was deleted)."""
    current = profiles_mod.load().profiles.get(profile)
    if current is None or current.agent != agent:
        return

    def update(config: profiles_mod.Config) -> profiles_mod.Config:
        # Checked again under config.toml's lock (profiles.update).
        current = config.profiles.get(profile)
        if current is None or current.agent != agent:
            return config
        return profiles_mod.upsert(
            config, dataclasses.replace(current, agent=None), replace_existing=True
        )

    profiles_mod.update(update)


def use(settings: Settings, agent: str | None, user: str | None) -> Result:
    """`agentctl agent use [NAME] [--user USER]`: set (or, with neither, show) the profile's
    default agent and user. The agent must be registered on the profile (name or client id;
    its name is stored)."""
    from agentctl.output.result import Result
    from agentctl.services.agents import find_record, unknown_agent

    profile = settings.name.value
    changed: list[str] = []
    if agent is not None:
        record = find_record(settings, agent)
        if record is None:
            raise unknown_agent(agent, profile)
        agent = record.name
        changed.append("agent")
    if user is not None:
        if not user.strip():
            raise UsageError("--user needs a user name", hint="e.g. --user alice")
        changed.append("user")
    now = remember(profile, agent=agent, user=user) if changed else read(profile)
    data = {"profile": profile, "agent": now.agent, "user": now.user, "changed": changed}
    return Result(command=("agent", "use"), data=data)


__all__ = ["Defaults", "forget_agent", "read", "remember", "use"]
