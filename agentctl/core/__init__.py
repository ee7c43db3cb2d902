"""Pure domain logic: no I/O, no clock (it is passed in), no httpx/rich/typer/keyring."""

from __future__ import annotations
