"""The README's Entra walkthrough, word for word, against the emulator whose admin app holds
exactly the Graph permissions the README's table lists (nothing seeded behind the CLI's back):
it must reach an agent token, an agent OBO token and an agent-user token."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentctl.http import build_http_client
from tests.emulators.entra.model import DOCUMENTED_ADMIN_ROLES, EntraEmulator
from tests.emulators.entra.transport import EntraTransport
from tests.emulators.entra.world import EntraWorld
from tests.helpers import run

README = Path(__file__).resolve().parents[2] / "README.md"
DOMAIN = "contoso.onmicrosoft.com"


def entra_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Microsoft Entra (Agent ID)")
    return text[start : text.index("\n## ", start)]


def readme_permissions() -> list[str]:
    rows = re.findall(r"^\| [^|]+ \| `([A-Za-z.]+)` \|$", entra_section(), re.MULTILINE)
    assert rows, "the README's Entra permission table is missing"
    return rows


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", entra_section(), re.DOTALL)
    assert block is not None
    joined = block.group(1).replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in joined.splitlines() if line.strip()]


@pytest.fixture
def world() -> Iterator[EntraWorld]:
    emu = EntraEmulator(device_interval=0, device_auto_approve=f"alice@{DOMAIN}")
    tenant = emu.add_tenant(DOMAIN)
    admin, secret = emu.add_admin(tenant, roles=tuple(readme_permissions()))
    alice = emu.add_user(tenant, "alice", "Alice Example")
    public, _sp, _ = emu.add_app(tenant, "agentctl-cli", secret=False, public=True)
    transport = EntraTransport(emu)
    w = EntraWorld(
        emu, tenant, admin, secret, alice, public, build_http_client(transport=transport), transport
    )
    yield w
    w.http.close()


def test_the_readme_lists_exactly_the_permissions_the_emulated_admin_holds() -> None:
    assert sorted(readme_permissions()) == sorted(DOCUMENTED_ADMIN_ROLES)
    assert "Directory.ReadWrite.All" in entra_section()  # the trap is named


def test_readme_walkthrough_reaches_agent_obo_and_agent_user_tokens(world: EntraWorld) -> None:
    values = {
        "TENANT_ID": world.tenant.id,
        "ADMIN_APP_ID": world.admin.app_id,
        "PUBLIC_APP_ID": world.public_client.app_id,
        "@contoso.com": f"@{DOMAIN}",
    }
    modes: list[str] = []
    for line in readme_commands():
        for placeholder, value in values.items():
            line = line.replace(placeholder, value)
        stdin = None
        if "< admin-secret.txt" in line:
            line, stdin = line.replace("< admin-secret.txt", ""), world.admin_secret
        argv = shlex.split(line)
        assert argv[0] == "agentctl"
        result = run(*argv[1:], stdin=stdin, obj={"transport": world.transport})
        assert result.exit_code == 0, f"{line}\n{result.stdout}{result.stderr}"
        if "--mode" in argv:
            modes.append(argv[argv.index("--mode") + 1])
            data = run(*argv[1:], "--json", obj={"transport": world.transport}).json()["data"]
            (run_,) = data["runs"]
            assert run_["ok"] is True, run_["checks"]
    assert modes == ["agent", "obo", "agent-user"]
    # Consent was made through Graph by `register`, as the README says (none seeded here).
    assert {g.consent_type for g in world.tenant.grants} >= {"AllPrincipals", "Principal"}
