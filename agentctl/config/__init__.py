"""Profiles, paths and secrets. Everything is read at call time, never at import."""

from __future__ import annotations
