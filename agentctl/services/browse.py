"""`agentctl browse URL`: open a web app in the system's headless Chromium with the agent's token
injected in one form, and report what the app showed (title, a selector's text, a screenshot)
and where the token went.

    result = run_browse(options, token_source=..., browser=...)

The token is either given (`--token`) or the result of a checked exchange in a mode (the same
service as `agentctl exchange`). Injection forms (`--inject`, the `--emit` spec grammar of
agentctl.core.emit): `header` (what the Playwright forms do), `cookie[:name=…]`,
`storage-state[:key=…,shape=…]` (localStorage) and `storage-script[:…,area=session]`; each
confined to the URL's origin (or `origin=`).

When the URL is the embedded IdP's own origin and nothing listens there, the IdP is served on
loopback for the visit, so `agentctl browse http://127.0.0.1:8400/i/enterprise/app` works on a
fresh machine as `agentctl exchange` does.

Exit codes: 0 the page loaded (whatever the app decided: a refusal is a result to show, and
`--expect signed-in|refused` turns it into a check, exit 5 when it does not hold); 2 usage;
3 no Chromium; 7 the page did not load.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.core import emit
from agentctl.errors import UsageError
from agentctl.exit_codes import ExitCode
from agentctl.output.result import Result

if TYPE_CHECKING:
    from agentctl.chromium import Injection, Visit
    from agentctl.idp.context import IdpContext
    from agentctl.services.exchange_model import Run

COMMAND = ("browse",)
INJECT_FORMS = ("header", "cookie", "storage-state", "storage-script")
DEMO_APP_READY = 'body:not([data-state="pending"])'
EXPECT = ("signed-in", "refused", "anonymous")


@dataclass(frozen=True)
class BrowseOptions:
    url: str
    inject: str = "header"
    wait_for: str | None = None
    select: str | None = None
    screenshot: str | None = None
    expect: str | None = None
    timeout: float = 20.0


@dataclass(frozen=True)
class Token:
    raw: str
    token_type: str = "Bearer"  # noqa: S105 - a token type, not a secret
    fingerprint: str = ""
    mode: str | None = None


def validate(opts: BrowseOptions) -> tuple[emit.Spec, str]:
    """(the injection spec, the origin it is confined to); UsageError before anything runs."""
    try:
        url_origin = emit.origin_of(opts.url)
    except ValueError as exc:
        raise UsageError(f"URL: {exc}", hint="pass the web app's http(s) URL") from None
    form = opts.inject.partition(":")[0].strip().lower()
    if form in ("playwright-python", "playwright-node"):
        form_spec = "header" + opts.inject[len(form) :]  # what those forms do in the browser
    else:
        form_spec = opts.inject
    if form_spec.partition(":")[0].strip().lower() == "header":
        spec = _header_spec(form_spec)
    else:
        try:
            spec = emit.parse_spec(form_spec)
        except ValueError as exc:
            raise UsageError(f"--inject: {exc}", hint=_inject_hint()) from None
        if spec.form not in INJECT_FORMS:
            raise UsageError(f"--inject {spec.form} is not a browser form", hint=_inject_hint())
    if opts.expect is not None and opts.expect not in EXPECT:
        raise UsageError(f"--expect must be one of {', '.join(EXPECT)}")
    if opts.timeout <= 0 or opts.timeout > 300:
        raise UsageError("--timeout must be between 0 and 300 seconds")
    if opts.screenshot is not None:
        parent = Path(opts.screenshot).expanduser().resolve().parent
        if not parent.is_dir():
            raise UsageError(f"--screenshot: no directory {parent}")
    return spec, spec.origin or url_origin


def _header_spec(text: str) -> emit.Spec:
    _, _, rest = text.partition(":")
    origin = None
    for item in filter(None, (i.strip() for i in rest.split(","))):
        name, _, value = item.partition("=")
        if name.strip() != "origin" or not value.strip():
            raise UsageError(f"--inject header takes only origin=URL (got {item!r})")
        try:
            origin = emit.origin_of(value)
        except ValueError as exc:
            raise UsageError(f"--inject: {exc}") from None
    return emit.Spec("header", origin=origin)


def _inject_hint() -> str:
    return "use header, cookie[:name=…], storage-state[:key=…,shape=…] or storage-script[:area=…]"


def injection_for(spec: emit.Spec, origin: str, token: Token) -> Injection:
    """The form's content, as the browser driver applies it."""
    from agentctl.chromium import Injection

    if spec.form == "header":
        return Injection(origin, authorization=emit.bearer(token.raw, token.token_type))
    if spec.form == "cookie":
        cookie = emit.cookie_state(spec, token.raw, origin)["cookies"][0]
        cdp = {
            "name": cookie["name"],
            "value": cookie["value"],
            "url": origin + "/",  # host-only, as the storage-state file says (no Domain)
            "path": "/",
            "httpOnly": cookie["httpOnly"],
            "secure": cookie["secure"],
            "sameSite": cookie["sameSite"],
        }
        if cookie["expires"] > 0:
            cdp["expires"] = cookie["expires"]
        return Injection(origin, cookies=(cdp,))
    # storage-state is localStorage; the init script writes exactly its entries.
    return Injection(origin, init_script=emit.storage_script(spec, token.raw, origin))


def run_browse(
    opts: BrowseOptions,
    *,
    token: Callable[[], Token],
    browser: Callable[[float], Any],
    serve_embedded: Callable[[str], Any] | None = None,
) -> Result:
    """`token()` gets the token (after the usage checks), `browser(timeout)` is a context
    manager yielding an `agentctl.chromium.Chromium`, `serve_embedded(origin)` a context
    manager serving the embedded IdP when the URL is its origin and nothing listens there."""
    spec, origin = validate(opts)
    got = token()
    injection = injection_for(spec, origin, got)
    wait_for = opts.wait_for
    served = False
    with _maybe(serve_embedded, origin) as serving:
        served = bool(serving)
        select = opts.select
        if _is_demo_app(opts.url):
            wait_for = wait_for or DEMO_APP_READY
            select = select or "#status"  # what the demo app says, refusals with their reason
        shot = Path(opts.screenshot).expanduser() if opts.screenshot else None
        with browser(opts.timeout) as chromium:
            visit = chromium.visit(
                opts.url, injection, wait_for=wait_for, select=select, screenshot=shot
            )
    return _result(opts, spec, origin, got, visit, served)


@contextmanager
def _maybe(serve: Callable[[str], Any] | None, origin: str) -> Iterator[Any]:
    if serve is None:
        yield None
        return
    with serve(origin) as serving:
        yield serving


def _is_demo_app(url: str) -> bool:
    path = url.split("://", 1)[-1].partition("/")[2].split("?", 1)[0].split("#", 1)[0]
    parts = path.strip("/").split("/")
    return len(parts) == 3 and parts[0] == "i" and parts[2] == "app"


def _result(
    opts: BrowseOptions,
    spec: emit.Spec,
    origin: str,
    token: Token,
    visit: Visit,
    served: bool,
) -> Result:
    to_origin = [r for r in visit.requests if r.same_origin]
    elsewhere = [r for r in visit.requests if not r.same_origin]
    leaked = [r.url for r in elsewhere if r.carried_token]
    data: dict[str, Any] = {
        "url": opts.url,
        "final_url": visit.url,
        "status": visit.status,
        "title": visit.title,
        "selector": opts.select or ("#status" if _is_demo_app(opts.url) else None),
        "state": visit.state,
        "text": visit.text,
        "screenshot": visit.screenshot,
        "injection": {"form": spec.text(), "origin": origin},
        "token": {"mode": token.mode, "fingerprint": token.fingerprint},
        "requests": {
            "to_origin": len(to_origin),
            "with_token": sum(1 for r in to_origin if r.carried_token),
            "elsewhere": len(elsewhere),
            "elsewhere_with_token": len(leaked),
        },
        "served_embedded_idp": served,
        "expect": opts.expect,
    }
    result = Result(command=COMMAND, data=data)
    if leaked:  # cannot happen by construction; said loudly if it ever does
        result.exit_code = ExitCode.CHECK
        result.errors.append(
            {"code": "token_leak", "message": f"the token went to {', '.join(leaked[:3])}"}
        )
    if opts.expect is not None:
        shown = visit.state
        if shown != opts.expect:
            result.exit_code = ExitCode.CHECK
            result.errors.append(
                {
                    "code": "check_failed",
                    "message": f"the app shows {shown or 'no state'}, not {opts.expect}",
                    "hint": "the page's title and text say why",
                }
            )
    return result


def token_source(raw: str, *, mode: str | None = None) -> Token:
    from agentctl.core.redact import fingerprint

    return Token(raw=raw, fingerprint=fingerprint(raw), mode=mode)


def exchange_token(result: Result) -> Token:
    """The checked token of a one-mode exchange Result, or the exchange's own error (with its
    exit code)."""
    from agentctl import errors

    runs = result.data.get("runs") or []
    if result.exit_code or not runs or not result.data.get("ok"):
        item = (result.errors or [{"message": "the exchange produced no checked token"}])[0]
        kinds: dict[int, type[errors.AgentctlError]] = {
            ExitCode.USAGE: errors.UsageError,
            ExitCode.CONFIG: errors.ConfigError,
            ExitCode.IDP: errors.ProviderError,
            ExitCode.NETWORK: errors.NetworkError,
            ExitCode.UNSUPPORTED: errors.UnsupportedError,
        }
        kind = kinds.get(int(result.exit_code or 0), errors.CheckFailedError)
        raise kind(f"no token to browse with: {item.get('message')}", hint=item.get("hint"))
    token = runs[0].get("token") or {}
    return Token(
        raw=str(token.get("value")),
        token_type=str(token.get("token_type") or "Bearer"),
        fingerprint=str(token.get("fingerprint") or ""),
        mode=str(result.data.get("mode")),
    )


@contextmanager
def serve_embedded_idp(origin: str) -> Iterator[bool]:
    """Serve the embedded IdP on its loopback origin for the visit, when the URL is that
    origin and nothing listens there yet (an `agentctl idp serve` that runs is used as is)."""
    from agentctl.idp.constants import DEFAULT_BASE_URL, DEFAULT_HOST, DEFAULT_PORT

    if origin != DEFAULT_BASE_URL or _listening(DEFAULT_HOST, DEFAULT_PORT):
        yield False
        return
    from agentctl.idp.service import IdpService

    svc = IdpService.open(base_url=DEFAULT_BASE_URL, bind_host=DEFAULT_HOST, admin_signin=False)
    try:
        with serve_idp(svc.ctx, DEFAULT_PORT):
            yield True
    finally:
        svc.store.close()


@contextmanager
def serve_idp(ctx: IdpContext, port: int = 0) -> Iterator[str]:
    """The IdP app of `ctx` on 127.0.0.1:`port` (0: a free one) in a thread; yields the origin
    the browser uses. Tokens are checked against `ctx.base_url`, whatever the port."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from agentctl.idp.wsgi import create_wsgi_app

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: object, **kwargs: object) -> None:
            return None  # the report says what the page did; no access log on the terminal

    server = make_server(
        "127.0.0.1", port, create_wsgi_app(ctx), threaded=True, request_handler=Quiet
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def demo_browser_checks(ctx: IdpContext, runs: list[Run]) -> dict[str, Any]:
    """`agentctl demo`'s browser path, when a Chromium is installed: each run's token in the
    demo web app of its issuer (header form, in headless Chromium), checked to show the same
    audit sentence as the demo resource. Without Chromium nothing runs and nothing fails."""
    from agentctl.chromium import CdpError, Chromium, Injection, find_chromium
    from agentctl.core.checks import Check
    from agentctl.errors import AgentctlError

    try:
        executable = find_chromium()
    except AgentctlError as exc:
        return {"ran": False, "reason": exc.message}
    try:
        with serve_idp(ctx) as origin, Chromium(executable) as chromium:
            for run in runs:
                token, view = run.token, run.resource_view or {}
                if run.error is not None or token is None or not view.get("audit"):
                    continue
                issuer = str(view.get("issuer") or "").rsplit("/i/", 1)[-1]
                visit = chromium.visit(
                    f"{origin}/i/{issuer}/app",
                    Injection(origin, authorization=emit.bearer(token.raw)),
                    wait_for=DEMO_APP_READY,
                    select="#status",
                )
                expected = f"Signed in: {view['audit']}"
                run.add_checks(
                    "demo web app in Chromium",
                    [
                        Check(
                            "the web app shows who acted for whom",
                            visit.state == "signed-in" and visit.text == expected,
                            expected,
                            str(visit.text or visit.state),
                            "docs/browser.md",
                        )
                    ],
                )
    except (AgentctlError, CdpError, OSError) as exc:
        return {"ran": False, "reason": f"the browser step did not run: {exc}"}
    return {"ran": True, "browser": executable}


def _listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


__all__ = [
    "COMMAND",
    "DEMO_APP_READY",
    "INJECT_FORMS",
    "BrowseOptions",
    "Token",
    "demo_browser_checks",
    "exchange_token",
    "injection_for",
    "run_browse",
    "serve_embedded_idp",
    "serve_idp",
    "token_source",
    "validate",
]
