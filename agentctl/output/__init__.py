"""Everything agentctl writes to a terminal. The only package that imports rich."""

from __future__ import annotations
