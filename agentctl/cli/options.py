"""Shared option aliases. Keep this module cheap to import: every command imports it."""

from __future__ import annotations

from typing import Annotated

import typer

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Write one JSON document (the agentctl.result/1 envelope).")
]
ShowTokenOpt = Annotated[
    bool, typer.Option("--show-token", help="Print raw tokens instead of fingerprints.")
]
ShowSecretOpt = Annotated[
    bool, typer.Option("--show-secret", help="Print the secret once (it is never logged).")
]
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        envvar="AGENTCTL_PROFILE",
        help="Profile (IdP connection) to use. Default: the active profile, else the embedded IdP.",
    ),
]
TraceOpt = Annotated[
    bool,
    typer.Option("--trace", help="Show every HTTP request and response (secrets redacted)."),
]

__all__ = ["JsonOpt", "ProfileOpt", "ShowSecretOpt", "ShowTokenOpt", "TraceOpt"]
