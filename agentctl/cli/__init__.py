"""Typer commands: parse, call a service, hand the Result to agentctl.output. Thin."""

from __future__ import annotations
