"""The `--emit` forms' names and help text, apart from `agentctl.core.emit` so that building
the command line (`agentctl exchange --help`, every `exchange` run) does not load the forms'
renderers."""

from __future__ import annotations

from typing import Final

FORMATS: Final = (
    "header",
    "env",
    "curl",
    "playwright-python",
    "playwright-node",
    "storage-state",
    "storage-script",
    "cookie",
)
# One example per form, for `--emit` help, the README and docs/browser.md.
EXAMPLES: Final = {
    "header": "--emit header",
    "env": "--emit env",
    "curl": "--emit curl",
    "playwright-python": "--emit playwright-python --out agent_auth.py",
    "playwright-node": "--emit playwright-node --out agent-auth.cjs",
    "storage-state": "--emit storage-state:key=token --out state.json",
    "storage-script": "--emit storage-script:shape=msal --out msal.js",
    "cookie": "--emit cookie:name=session --out cookie.json",
}
EMIT_HELP: Final = (
    "Write the token for an HTTP client or browser: FORM[:option=value,...]. The RAW token, "
    "only when every check holds; browser forms confine it to the app's origin (the target "
    "URL's, or origin=URL). header, env, curl; playwright-python, playwright-node (context "
    "options + authorize(context)); storage-state (localStorage: key=, shape=raw|json|msal, "
    "field=, client_id=); storage-script (init script, also area=session); cookie (name=). "
    "One example each: " + "; ".join(EXAMPLES.values()) + ". More: docs/browser.md."
)


__all__ = ["EMIT_HELP", "EXAMPLES", "FORMATS"]
