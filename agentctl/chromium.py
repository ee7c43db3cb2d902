"""The one place that starts a browser: the system's Chromium, headless, driven over the Chrome
DevTools Protocol on a pipe (`--remote-debugging-pipe`: fd 3 in, fd 4 out, NUL-separated JSON),
so no browser download, no driver binary and no WebSocket library are needed.

    with Chromium(find_chromium()) as browser:
        report = browser.visit(url, injection, wait_for="#status", screenshot=path)

An `Injection` gives the page the token in one form, confined to one origin:
- `authorization`: added by a request interceptor (CDP `Fetch`) to requests for `origin`, and
  taken off any other request that would carry it (Chromium keeps a header set by an
  interceptor across a redirect, also to another origin);
- `cookies`: set in a fresh browser context (`Network.setCookie` with the origin's URL, so
  host-only);
- `init_script`: run before the app's scripts in every document (the storage forms check the
  document's origin themselves).
Every request the page made is logged with whether it carried the token, so a report can say
where the token went.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentctl.errors import ConfigError, NetworkError, UsageError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ENV = "AGENTCTL_CHROMIUM"
FLAGS = (
    "--headless=new",
    "--no-sandbox",  # root in a container has no user namespace for the sandbox
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--window-size=1280,900",
)


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium to run: `explicit`, else $AGENTCTL_CHROMIUM, else the first of CANDIDATES
    on PATH. ConfigError (one line, how to fix) when there is none."""
    wanted = explicit or os.environ.get(CHROMIUM_ENV)
    if wanted:
        found = shutil.which(wanted)
        if found is None:
            raise ConfigError(
                f"no browser at {wanted}",
                hint=f"pass --browser PATH to a Chromium executable (or unset {CHROMIUM_ENV})",
            )
        return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise ConfigError(
        "no Chromium installed (looked for chromium, chromium-browser, google-chrome on PATH)",
        hint="install the system's Chromium (Debian: apt-get install chromium) or pass "
        "--browser PATH",
    )


@dataclass(frozen=True)
class Injection:
    origin: str
    authorization: str | None = None
    cookies: tuple[dict[str, Any], ...] = ()
    init_script: str | None = None


@dataclass
class Request:
    url: str
    same_origin: bool
    carried_token: bool  # the Authorization header this injection adds, as sent


@dataclass
class Visit:
    url: str
    status: int | None
    title: str
    text: str | None
    screenshot: str | None
    requests: list[Request] = field(default_factory=list)
    state: str | None = None  # the page's <body data-state>, when it has one (the demo app)


def origin_of_url(url: str) -> str:
    """`URL.origin` as the page computes it (so interception and the app agree)."""
    from agentctl.core.emit import origin_of

    try:
        return origin_of(url)
    except ValueError:
        return "null"


class CdpError(Exception):
    pass


class _Process:
    """The browser process started by posix_spawn: poll, wait, kill."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while (code := self.poll()) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"process {self.pid} still runs")
            time.sleep(0.05)
        return code

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


class Chromium:
    def __init__(self, executable: str, *, timeout: float = 20.0) -> None:
        self.executable = executable
        self.timeout = timeout
        self._proc: _Process | None = None
        self._profile: str | None = None
        self._write_fd = -1
        self._read_fd = -1
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending: dict[int, threading.Event] = {}
        self._answers: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._events_changed = threading.Condition()
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {}
        self._reader: threading.Thread | None = None

    # -- process and pipe ----------------------------------------------------------------------

    def __enter__(self) -> Chromium:
        self._profile = tempfile.mkdtemp(prefix="agentctl-chromium-")
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # Chromium reads commands on fd 3 and writes answers on fd 4. posix_spawn places the
        # pipe ends there without running Python in the child (safe beside other threads, such
        # as the IdP served for the visit); moved above 9 first so neither lands on the other.
        child_in = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_browser_r)
        os.close(from_browser_w)
        args = [
            self.executable,
            *FLAGS,
            "--remote-debugging-pipe",
            f"--user-data-dir={self._profile}",
            "about:blank",
        ]
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, child_in, 3),
            (os.POSIX_SPAWN_DUP2, child_out, 4),
        ]
        try:
            pid = os.posix_spawn(self.executable, args, dict(os.environ), file_actions=actions)
        except OSError as exc:
            for fd in (to_browser_w, from_browser_r):
                os.close(fd)
            shutil.rmtree(self._profile, ignore_errors=True)
            raise ConfigError(
                f"cannot start {self.executable}: {exc.strerror}",
                hint="pass --browser PATH to a working Chromium",
            ) from None
        finally:
            os.close(child_in)
            os.close(child_out)
        self._proc = _Process(pid)
        self._write_fd, self._read_fd = to_browser_w, from_browser_r
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        try:
            self.call("Browser.getVersion")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                self.send("Browser.close")
                self._proc.wait(5)
            except (OSError, TimeoutError):
                self._proc.kill()
                self._proc.wait(5)
        for fd in (self._write_fd, self._read_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._write_fd = self._read_fd = -1
        if self._reader is not None:
            self._reader.join(5)
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)

    def _read_loop(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._read_fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                self._dispatch(json.loads(raw))
        for event in list(self._pending.values()):  # the browser went away: wake every waiter
            event.set()
        with self._events_changed:
            self._events_changed.notify_all()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            waiter = self._pending.get(message["id"])
            self._answers[message["id"]] = message
            if waiter is not None:
                waiter.set()
            return
        handler = self._handlers.get(str(message.get("method")))
        if handler is not None:
            handler(message)  # in this thread: may only send, never wait for an answer
            return
        with self._events_changed:
            self._events.append(message)
            self._events_changed.notify_all()

    def send(self, method: str, session: str | None = None, **params: Any) -> int:
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            self._pending[ident] = threading.Event()
            message: dict[str, Any] = {"id": ident, "method": method, "params": params}
            if session is not None:
                message["sessionId"] = session
            data = json.dumps(message).encode("utf-8") + b"\0"
            while data:
                written = os.write(self._write_fd, data)
                data = data[written:]
        return ident

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        ident = self.send(method, session, **params)
        if not self._pending[ident].wait(self.timeout) or ident not in self._answers:
            raise NetworkError(
                f"the browser did not answer {method} within {self.timeout:g} s",
                hint="raise --timeout, or check that Chromium runs here (chromium --version)",
            )
        answer = self._answers.pop(ident)
        self._pending.pop(ident, None)
        if "error" in answer:
            raise CdpError(f"{method}: {answer['error'].get('message')}")
        return answer.get("result", {})  # type: ignore[no-any-return]

    def wait_event(self, method: str, session: str, deadline: float) -> dict[str, Any] | None:
        with self._events_changed:
            while True:
                for i, event in enumerate(self._events):
                    if event.get("method") == method and event.get("sessionId") == session:
                        return self._events.pop(i)
                left = deadline - time.monotonic()
                if left <= 0 or (self._proc is not None and self._proc.poll() is not None):
                    return None
                self._events_changed.wait(min(left, 0.2))

    # -- one page visit ------------------------------------------------------------------------

    def visit(
        self,
        url: str,
        injection: Injection,
        *,
        wait_for: str | None = None,
        select: str | None = None,
        screenshot: Path | None = None,
    ) -> Visit:
        context = self.call("Target.createBrowserContext", disposeOnDetach=True)
        context_id = context["browserContextId"]
        target = self.call("Target.createTarget", url="about:blank", browserContextId=context_id)
        attached = self.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        session = str(attached["sessionId"])
        requests: list[Request] = []
        statuses: dict[str, int] = {}
        self._handlers["Fetch.requestPaused"] = lambda m: self._paused(m, injection, requests)
        self._handlers["Network.responseReceived"] = lambda m: _document_status(m, statuses)
        self.call("Page.enable", session)
        self.call("Network.enable", session)
        # Every request is paused, not only the origin's: a header an interceptor added stays
        # on a redirect, so requests to other origins are checked (and cleaned) as well.
        self.call(
            "Fetch.enable", session, patterns=[{"urlPattern": "*", "requestStage": "Request"}]
        )
        for cookie in injection.cookies:
            self.call("Network.setCookie", session, **cookie)
        if injection.init_script:
            self.call(
                "Page.addScriptToEvaluateOnNewDocument", session, source=injection.init_script
            )
        deadline = time.monotonic() + self.timeout
        navigated = self.call("Page.navigate", session, url=url)
        if navigated.get("errorText"):
            raise NetworkError(
                f"the browser could not load {url}: {navigated['errorText']}",
                hint="check the URL and that the app is running",
            )
        if self.wait_event("Page.loadEventFired", session, deadline) is None:
            raise NetworkError(f"{url} did not finish loading within {self.timeout:g} s")
        if wait_for and not self._wait_for(session, wait_for, deadline):
            raise NetworkError(
                f"no element matches {wait_for!r} on {url} within {self.timeout:g} s",
                hint="check the selector (CSS) or raise --timeout",
            )
        title = str(self._eval(session, "document.title") or "")
        text = None
        if select:
            found = self._eval(
                session,
                f"(() => {{ const e = document.querySelector({json.dumps(select)});"
                " return e ? e.innerText : null; })()",
            )
            text = None if found is None else str(found)
        shot = None
        if screenshot is not None:
            data = self.call("Page.captureScreenshot", session, format="png")["data"]
            screenshot.write_bytes(base64.b64decode(data))
            shot = str(screenshot.resolve())
        page_url = str(self._eval(session, "window.location.href") or url)
        state = self._eval(session, "document.body ? document.body.dataset.state || null : null")
        self.call("Target.closeTarget", targetId=target["targetId"])
        return Visit(
            url=page_url,
            status=statuses.get("document"),
            title=title,
            text=text,
            screenshot=shot,
            requests=requests,
            state=None if state is None else str(state),
        )

    def _paused(self, message: dict[str, Any], injection: Injection, log: list[Request]) -> None:
        params = message["params"]
        request = params["request"]
        url = str(request["url"])
        headers = {k: str(v) for k, v in request.get("headers", {}).items()}
        session = message.get("sessionId")
        same = origin_of_url(url) == injection.origin
        others = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        carried = any(
            k.lower() == "authorization" and v == injection.authorization
            for k, v in headers.items()
        )
        if injection.authorization and same:
            others["Authorization"] = injection.authorization
            self._continue(session, params["requestId"], others)
            log.append(Request(url, True, True))
        elif injection.authorization and carried:
            # Another origin, reached by a redirect from the app: the token stays behind.
            self._continue(session, params["requestId"], others)
            log.append(Request(url, False, False))
        else:
            self.send("Fetch.continueRequest", session, requestId=params["requestId"])
            log.append(Request(url, same, False))

    def _continue(self, session: str | None, request_id: str, headers: dict[str, str]) -> None:
        listed = [{"name": k, "value": v} for k, v in headers.items()]
        self.send("Fetch.continueRequest", session, requestId=request_id, headers=listed)

    def _eval(self, session: str, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def _wait_for(self, session: str, selector: str, deadline: float) -> bool:
        probe = f"document.querySelector({json.dumps(selector)}) !== null"
        while time.monotonic() < deadline:
            try:
                if self._eval(session, probe):
                    return True
            except CdpError as exc:
                raise UsageError(f"--wait-for {selector!r} is not a CSS selector: {exc}") from None
            time.sleep(0.1)
        return False


def _document_status(message: dict[str, Any], statuses: dict[str, int]) -> None:
    params = message.get("params", {})
    if params.get("type") == "Document" and "document" not in statuses:
        statuses["document"] = int(params.get("response", {}).get("status") or 0)


__all__ = [
    "CHROMIUM_ENV",
    "CdpError",
    "Chromium",
    "Injection",
    "Request",
    "Visit",
    "find_chromium",
    "origin_of_url",
]
