"""One use-case per command. Collaborators come in as arguments; each returns a Result."""

from __future__ import annotations
