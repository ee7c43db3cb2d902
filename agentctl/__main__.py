"""`python -m agentctl`."""

from __future__ import annotations

from agentctl.cli.app import main

if __name__ == "__main__":
    main()
