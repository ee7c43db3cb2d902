"""A ready tenant for tests: an admin app with Graph permissions, a user, a public client for
device code, and an httpx client routed to the emulator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from agentctl.http import build_http_client
from agentctl.providers.entra import EntraProvider
from agentctl.providers.entra.credentials import ClientCredential
from agentctl.providers.entra.models import EntraSettings
from tests.emulators.entra.model import Application, EntraEmulator, Tenant, User
from tests.emulators.entra.transport import EntraTransport


@dataclass
class EntraWorld:
    emu: EntraEmulator
    tenant: Tenant
    admin: Application
    admin_secret: str
    alice: User
    public_client: Application
    http: httpx.Client
    transport: EntraTransport
    sleeps: list[float] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)

    def settings(self, **overrides: Any) -> EntraSettings:
        values: dict[str, Any] = {
            "tenant": self.tenant.id,
            "admin_client_id": self.admin.app_id,
            "admin_credential": ClientCredential(secret=self.admin_secret),
            "public_client_id": self.public_client.app_id,
        }
        values.update(overrides)
        return EntraSettings(**values)

    def provider(self, **overrides: Any) -> EntraProvider:
        return EntraProvider(
            self.settings(**overrides),
            self.http,
            clock=self.emu.clock,
            sleep=self.sleeps.append,
            progress=self.progress.append,
            retry_backoff=0.5,
        )


def make_world(**emulator_options: Any) -> EntraWorld:
    emu = EntraEmulator(**emulator_options)
    tenant = emu.add_tenant("contoso.onmicrosoft.com")
    admin, secret = emu.add_admin(tenant)
    alice = emu.add_user(tenant, "alice", "Alice Example")
    public, _sp, _ = emu.add_app(tenant, "agentctl-cli", secret=False, public=True)
    transport = EntraTransport(emu)
    http = build_http_client(transport=transport)
    return EntraWorld(emu, tenant, admin, secret, alice, public, http, transport)


__all__ = ["EntraWorld", "make_world"]
