"""An agentctl profile for the emulated tenant, added through the CLI as a user would."""

from __future__ import annotations

from tests.emulators.entra.world import EntraWorld
from tests.helpers import run


def add_entra_profile(world: EntraWorld, name: str = "contoso") -> None:
    res = run(
        "profile",
        "add",
        name,
        "--kind",
        "entra",
        "--tenant",
        world.tenant.id,
        "--client-id",
        world.admin.app_id,
        "--public-client-id",
        world.public_client.app_id,
        "--secret-stdin",
        stdin=world.admin_secret,
    )
    assert res.exit_code == 0, res.stderr
