"""Examples for every command's `--help` (its epilog), kept in one table so they are easy to
check against the real options (tests/test_help_examples.py runs each through the parser).

A command that already has an epilog, or an "Example" line in its own help, keeps its own."""

from __future__ import annotations

from typing import Final

EXAMPLES: Final[dict[tuple[str, ...], tuple[str, ...]]] = {
    ("inspect",): (
        "agentctl inspect --example obo",
        "agentctl inspect - < token.jwt",
        "agentctl inspect @token.jwt --verify --json",
    ),
    ("exchange",): (
        "agentctl exchange --mode obo",
        "agentctl exchange --mode all --agent demo-agent --user alice",
        "agentctl exchange --via id-jag --resource http://127.0.0.1:8400/i/mcp-as/resource",
        "agentctl exchange --mode agent --emit header",
    ),
    ("mcp",): (
        "agentctl mcp http://127.0.0.1:9300/mcp --probe",
        "agentctl mcp http://127.0.0.1:9300/mcp --mode id-jag --call whoami",
        "agentctl mcp http://127.0.0.1:9300/mcp --mode agent --json",
    ),
    ("register",): (
        "agentctl register billing-bot --sponsor owner@example.com",
        "agentctl register billing-bot --credential private-key-jwt --dry-run",
        "agentctl register billing-bot --profile entra --kind agent-identity",
        "agentctl register billing-bot --profile corp --auth-method client_secret_post "
        "--redirect-uri https://agent.example.com/cb --strict",
    ),
    ("agent", "list"): (
        "agentctl agent list",
        "agentctl agent list --profile entra --json",
        "agentctl agent list --limit 100 --after billing-bot",
    ),
    ("agent", "show"): ("agentctl agent show demo-agent",),
    ("agent", "rotate"): ("agentctl agent rotate demo-agent",),
    ("agent", "delete"): (
        "agentctl agent delete demo-agent",
        "agentctl agent delete old-bot --local-only",
    ),
    ("agent", "grant"): ("agentctl agent grant triage-bot --profile entra",),
    ("agent", "disable"): ("agentctl agent disable triage-bot --profile entra",),
    ("agent", "enable"): ("agentctl agent enable triage-bot --profile entra",),
    ("agent", "restore"): (
        "agentctl agent restore 9b8c7d6e-1111-2222-3333-444455556666 --profile entra",
    ),
    ("demo",): ("agentctl demo", "agentctl demo --json"),
    ("doctor",): ("agentctl doctor", "agentctl doctor --profile entra --json"),
    ("profile", "add"): (
        "agentctl profile add corp --kind oidc --issuer https://idp.example.com "
        "--client-id agentctl --secret-stdin --use",
        "agentctl profile add entra --kind entra --tenant contoso.onmicrosoft.com "
        "--client-id ADMIN_APP_ID --secret-stdin",
    ),
    ("profile", "list"): ("agentctl profile list",),
    ("profile", "show"): ("agentctl profile show", "agentctl profile show corp --json"),
    ("profile", "set"): (
        "agentctl profile set corp --grant client_credentials",
        "agentctl profile set corp --auth-method client_secret_post",
    ),
    ("profile", "use"): ("agentctl profile use corp", "agentctl profile use local"),
    ("profile", "remove"): ("agentctl profile remove corp",),
    ("idp", "serve"): ("agentctl idp serve", "agentctl idp serve --port 8400 --workers 1"),
    ("idp", "issuers"): ("agentctl idp issuers",),
    ("idp", "audit"): ("agentctl idp audit", "agentctl idp audit --limit 10 --json"),
    ("idp", "reset"): ("agentctl idp reset --yes",),
    ("idp", "users", "add"): ("agentctl idp users add bob --password-stdin < password.txt",),
    ("idp", "users", "list"): ("agentctl idp users list",),
    ("idp", "agents", "list"): (
        "agentctl idp agents list",
        "agentctl idp agents list --limit 100 --json",
    ),
    ("idp", "keys", "list"): ("agentctl idp keys list",),
    ("idp", "keys", "rotate"): ("agentctl idp keys rotate", "agentctl idp keys rotate --alg RS256"),
    ("token", "introspect"): (
        "agentctl token introspect @token.jwt",
        "agentctl token introspect - < token.txt",
        "agentctl token introspect - --agent demo-agent --json < token.jwt",
    ),
    ("token", "revoke"): (
        "agentctl token revoke @token.jwt",
        "agentctl token revoke - --agent demo-agent < token.jwt",
    ),
}


def epilog(path: tuple[str, ...]) -> str | None:
    """The `--help` epilog for the command at `path` (without `agentctl`), or None."""
    lines = EXAMPLES.get(path)
    if not lines:
        return None
    # click rewraps paragraphs; one example per paragraph keeps each on its own line.
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)


__all__ = ["EXAMPLES", "epilog"]
