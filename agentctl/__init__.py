"""agentctl: identity provisioning and debugging for AI agents."""

from __future__ import annotations

import sys

__version__ = "0.1.0"

# httpx imports its own command-line client (httpx._main: rich's console, progress and syntax
# modules, pygments) on `import httpx`, inside a try/except ImportError kept for installs
# without those extras. agentctl never runs that client, and the import costs more than httpx
# itself, so it is marked absent (None in sys.modules makes the import raise ImportError) before
# any agentctl module imports httpx. Only when httpx is not loaded yet: a process that imported
# it first keeps its httpx.main as it was.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
