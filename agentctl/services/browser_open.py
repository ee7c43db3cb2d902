"""`--open`: launch the browser at the device sign-in page (RFC 8628 verification URL).

Never required and never fatal: with no display (SSH, CI, a container) or no browser, it does
nothing and says so; the code and URL are printed either way. Console browsers (lynx, w3m)
are not launched on a display-less host: they would take over the terminal the command is
polling in. `$BROWSER` is honoured (as Python's webbrowser reads it: commands separated by
the path separator, `%s` for the URL), display or not.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping


def _has_display(env: Mapping[str, str], platform: str) -> bool:
    if platform == "darwin" or platform.startswith("win"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def open_verification(
    url: str,
    *,
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    opener: Callable[[str], bool] | None = None,
) -> str:
    """Try to open `url`; the note to show the user (what happened, what to do instead)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not env.get("BROWSER") and not _has_display(env, platform):
        return "--open: no display here, so no browser was started; open the URL above yourself"
    if opener is None:
        browser = env.get("BROWSER")
        opener = (lambda target: _run_browser(browser, target)) if browser else _webbrowser

    try:
        opened = opener(url)
    except Exception as exc:  # a browser that fails to start is only a note
        return f"--open: the browser did not start ({type(exc).__name__}); open the URL above"
    if not opened:
        return "--open: no browser found; open the URL above yourself"
    return "--open: opened the sign-in page in your browser"


def _webbrowser(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url, new=2)


def _run_browser(browser: str, url: str) -> bool:
    """$BROWSER: commands separated by the path separator, `%s` standing for the URL (else
    the URL is the last argument); the first that starts wins. Detached: the sign-in goes on
    while it runs."""
    import shlex
    import subprocess

    for command in filter(None, browser.split(os.pathsep)):
        words = shlex.split(command)
        args = [w.replace("%s", url) for w in words] if "%s" in command else [*words, url]
        try:
            subprocess.Popen(  # noqa: S603 - the user's own $BROWSER, the URL one argument
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            continue
        return True
    return False


__all__ = ["open_verification"]
