"""Control characters in what agentctl prints, made visible.

Text agentctl shows comes from places it does not control: an IdP's agent names and
descriptions, RFC 7591 client metadata, audit lines that quote what a client sent, error
descriptions. An escape sequence in any of them would reach the terminal as an instruction
(clear the screen, move the cursor over a failed check, set the window title, write a
hyperlink), so every control character left in text on its way out is written as `\\xNN`
instead, as `agentctl inspect` writes a token's claims. Newlines and tabs are layout, and
rich has already dropped the few controls it removes itself (bell, backspace, VT, FF, CR).

Applied where the text is written (agentctl.output.console for rich, agentctl.output.plain
for pipes), after the layout, so both paths stay the same.
"""

from __future__ import annotations

import re

# C0 except tab and newline, DEL, and C1 (U+0080..U+009F: CSI and OSC on some terminals)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def has_controls(text: str) -> bool:
    return _CONTROL.search(text) is not None


def escape_controls(text: str) -> str:
    """`text` with each control character but tab and newline written as `\\xNN`."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


__all__ = ["escape_controls", "has_controls"]
