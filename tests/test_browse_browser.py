"""Every injection form, in real headless Chromium (Debian's, never a download), against the
embedded IdP's demo web app served on 127.0.0.1: for each mode the app shows the right subject
and actor; a second origin the same page loads (http://localhost:<other port>: another host and
another port) never receives the token; expired and wrong-audience tokens are shown as
refused. Three drivers, each in its own runtime: Playwright for Python (the `playwright-python`
module and the storage/cookie files), Playwright for Node (playwright-core from
tests/browser/node, `npm ci` in .ci/run; the `playwright-node` module and the files), and
`agentctl browse` (CDP over a pipe). Skipped without Chromium (or Playwright, or Node's
playwright-core) except under CI=true, where their absence fails the run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agentctl.core import emit
from tests.helpers import run
from tests.idp.conftest import Idp, forge, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
# A document the Playwright forms hand over with route.fulfill has no IP address, so Chromium's
# Local Network Access checks treat it as public and block its requests to loopback: the probe
# of the second origin would never leave the browser, and "the token did not arrive" would prove
# nothing. Turned off here so those requests are really made.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-features=LocalNetworkAccessChecks"]
NODE_DIR = Path(__file__).resolve().parent / "browser" / "node"
READY = 'body:not([data-state="pending"])'
AGENT = "browser-agent"
MODES = ("agent", "user", "obo")
# What the demo app must show for each mode's token: (mode, subject, actor name).
EXPECTED = {
    "agent": ("agent_identity", None, ""),
    "user": ("user_scoped", "alice", ""),
    "obo": ("hybrid_obo", "alice", AGENT),
}
# Each browser form, as `agentctl exchange --emit` spells it, and what the app says carried it.
PY_FORMS = {
    "playwright-python": "header",
    "storage-state": "localStorage",
    "storage-state:key=session_token,shape=json": "localStorage",
    "storage-script:area=session": "sessionStorage",
    "storage-script:shape=msal": "sessionStorage (MSAL cache)",
    "storage-state:shape=msal,client_id=my-spa": "localStorage (MSAL cache)",
    "cookie": "cookie",
}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _require_chromium() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"browser tests need {CHROMIUM} (Debian: apt-get install chromium)")


# -- the second origin -------------------------------------------------------------------------


@dataclass
class Seen:
    path: str
    authorization: str | None
    cookie: str | None


class Second:
    """A loopback server that records what reaches it, reached as http://localhost:PORT."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                outer.seen.append(
                    Seen(self.path, self.headers.get("Authorization"), self.headers.get("Cookie"))
                )
                if self.path.startswith("/redirect-to/"):
                    self.send_response(302)
                    target = self.path.removeprefix("/redirect-to/")
                    self.send_header(
                        "Location", target if target.startswith("http") else "/" + target
                    )
                    self.end_headers()
                    return
                body = b"<!doctype html><title>second origin</title><p>elsewhere</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://localhost:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def assert_never_got(self, token: str) -> None:
        assert {s.path for s in self.seen} >= {"/fetch", "/img", "/frame", "/page"}, self.seen
        for s in self.seen:
            assert token not in (s.authorization or ""), s
            assert token not in (s.cookie or ""), s
        self.seen.clear()


@pytest.fixture(scope="module")
def second() -> Iterator[Second]:
    server = Second()
    yield server
    server.close()


# -- the IdP, its demo app and a token per mode ------------------------------------------------


@dataclass
class World:
    idp: Idp
    tokens: dict[str, str]
    agent_id: str

    @property
    def app(self) -> str:
        return self.idp.url("enterprise", "app")

    def expected(self, mode: str) -> tuple[str, str, str]:
        kind, subject, actor = EXPECTED[mode]
        return kind, subject or self.agent_id, actor


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from agentctl.idp import secrets

    _require_chromium()
    with pytest.MonkeyPatch.context() as patch:
        # Module-wide, so set up before the per-test home of tests/conftest.py: its own home.
        patch.setenv("AGENTCTL_HOME", str(tmp_path_factory.mktemp("browse-home")))
        # scrypt's production cost is dead time here (as in tests/idp/conftest.py).
        patch.setattr(secrets, "_N", 2**10)
        with serving() as idp:
            idp.user("alice")
            agent = idp.agent(AGENT)
            idp.svc.grant("alice", agent.client_id)
            user = idp.user_tokens(agent)["access_token"]
            obo = idp.exchange(agent, user, actor=idp.cc(agent))
            assert obo.status_code == 200, obo.text
            tokens = {"agent": idp.cc(agent), "user": user, "obo": obo.json()["access_token"]}
            now = idp.svc.ctx.now()
            tokens["expired"] = forge(
                idp, {"sub": "alice", "aud": idp.url("enterprise", "resource"), "exp": now - 60}
            )
            tokens["wrong-audience"] = forge(
                idp, {"sub": "alice", "aud": "https://api.example", "client_id": agent.client_id}
            )
            yield World(idp, tokens, agent.client_id)


def _write(tmp: Path, spec: str, token: str, url: str, suffix: str) -> Path:
    path = tmp / f"{spec.replace(':', '_').replace(',', '_').replace('=', '-')}{suffix}"
    path.write_text(emit.render(spec, token, url=url), encoding="utf-8")
    return path


def _app_url(world: World, spec: str) -> str:
    # The demo app reads `?key=` / `?field=` when the storage entry is not the default.
    if "key=session_token" in spec:
        return world.app + "?key=session_token"
    return world.app


def _check_signed_in(world: World, mode: str, shown: dict[str, str], via: str) -> None:
    kind, subject, actor = world.expected(mode)
    assert shown["state"] == "signed-in", shown
    assert shown["via"] == via
    assert shown["mode"] == kind
    assert shown["subject"] == subject
    assert shown["actor"] == actor
    assert (
        shown["audit"]
        == {
            "agent": f"agent {AGENT} did this as itself",
            "user": f"user alice did this through agent {AGENT} (no actor recorded)",
            "obo": f"agent {AGENT} did this as user alice",
        }[mode]
    )


def _second_storage_is_clean(raw: str, token: str) -> None:
    local, session, cookies = json.loads(raw)
    assert token not in json.dumps([local, session, cookies])


# -- Playwright for Python ---------------------------------------------------------------------

PROBE = """async (second) => {
  await fetch(second + "/fetch", { credentials: "include", mode: "no-cors" }).catch(() => null);
  await new Promise((done) => { const i = new Image(); i.onload = i.onerror = done;
    i.src = second + "/img"; document.body.appendChild(i); });
  await new Promise((done) => { const f = document.createElement("iframe"); f.onload = done;
    f.src = second + "/frame"; document.body.appendChild(f); });
}"""
STORAGE = "() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie])"


@pytest.fixture(scope="module")
def pw_browser(world: World) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        # The system Chromium, by path: nothing is downloaded (`playwright install` never runs).
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _py_context(browser: Any, spec: str, token: str, world: World, tmp: Path) -> Any:
    # bypass_csp: the demo app's CSP would stop the probe's requests to the second origin; the
    # injection under test does not depend on it.
    form = emit.parse_spec(spec).form
    if form == "playwright-python":
        namespace: dict[str, Any] = {}
        source = _write(tmp, spec, token, world.idp.url("enterprise", "resource"), ".py")
        exec(compile(source.read_text(), str(source), "exec"), namespace)  # noqa: S102
        context = browser.new_context(**namespace["CONTEXT_OPTIONS"], bypass_csp=True)
        namespace["authorize"](context)
        return context
    if form == "storage-script":
        context = browser.new_context(bypass_csp=True)
        context.add_init_script(path=_write(tmp, spec, token, world.app, ".js"))
        return context
    state = _write(tmp, spec, token, world.app, ".json")
    return browser.new_context(storage_state=state, bypass_csp=True)


def _py_visit(context: Any, url: str, second: Second | None) -> dict[str, str]:
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(READY)
    shown = {i: page.text_content(f"#{i}") or "" for i in ("via", "mode", "subject", "actor")}
    shown |= {i: page.text_content(f"#{i}") or "" for i in ("audit", "error")}
    shown["state"] = page.evaluate("() => document.body.dataset.state")
    shown["title"] = page.title()
    if second is not None:
        page.evaluate(PROBE, second.url)
        page.goto(second.url + "/page")
        shown["second_storage"] = page.evaluate(STORAGE)
    context.close()
    return shown


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("spec", list(PY_FORMS))
def test_playwright_python_each_form_shows_who_acted_and_stays_on_its_origin(
    pw_browser: Any, world: World, second: Second, tmp_path: Path, mode: str, spec: str
) -> None:
    token = world.tokens[mode]
    context = _py_context(pw_browser, spec, token, world, tmp_path)
    shown = _py_visit(context, _app_url(world, spec), second)
    _check_signed_in(world, mode, shown, PY_FORMS[spec])
    assert shown["title"] == f"agentctl demo app: {shown['audit']}"
    second.assert_never_got(token)
    _second_storage_is_clean(shown["second_storage"], token)


@pytest.mark.parametrize(
    ("which", "says"),
    [("expired", "expired"), ("wrong-audience", "not meant for this resource")],
)
@pytest.mark.parametrize("spec", ["playwright-python", "storage-script", "cookie"])
def test_playwright_python_expired_and_wrong_audience_tokens_are_refused(
    pw_browser: Any, world: World, tmp_path: Path, which: str, says: str, spec: str
) -> None:
    context = _py_context(pw_browser, spec, world.tokens[which], world, tmp_path)
    shown = _py_visit(context, world.app, None)
    if spec == "cookie" and which == "expired":
        # The cookie expires with the token: the browser drops it and the app sees no one.
        assert shown["state"] == "anonymous", shown
        return
    assert shown["state"] == "refused", shown
    assert says in shown["error"]
    assert shown["subject"] == ""
    assert shown["title"] == "agentctl demo app: refused"


def test_playwright_python_header_does_not_follow_a_redirect_to_another_origin(
    pw_browser: Any, world: World, second: Second, tmp_path: Path
) -> None:
    # Playwright's route.continue_(headers=...) keeps the header on a redirect to another
    # origin; the emitted module must not. The app's origin here is the second server on
    # 127.0.0.1, which redirects to itself under `localhost` (another origin).
    token = world.tokens["agent"]
    app = f"http://127.0.0.1:{second.port}"
    namespace: dict[str, Any] = {}
    exec(emit.render("playwright-python", token, url=app + "/"), namespace)  # noqa: S102
    context = pw_browser.new_context()
    namespace["authorize"](context)
    page = context.new_page()
    page.goto(f"{app}/redirect-to/{second.url}/landed")
    assert page.url == f"{second.url}/landed"
    context.close()
    got = {s.path: s.authorization for s in second.seen}
    second.seen.clear()
    assert got[f"/redirect-to/{second.url}/landed"] == f"Bearer {token}"  # the app's origin
    assert got["/landed"] is None  # the other origin


# -- Playwright for Node -----------------------------------------------------------------------


def _node_run(jobs: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "playwright-core").is_dir():
        _unavailable("Node's playwright-core is not installed (cd tests/browser/node && npm ci)")
    out = subprocess.run(
        [str(node), str(NODE_DIR / "run.cjs")],
        input=json.dumps({"chromium": CHROMIUM, "args": CHROMIUM_ARGS, "jobs": jobs}),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


NODE_FORMS = {
    "playwright-node": ("module", ".cjs", "header"),
    "storage-state:shape=json": ("state", ".json", "localStorage"),
    "storage-script:shape=msal": ("script", ".js", "sessionStorage (MSAL cache)"),
    "cookie": ("state", ".json", "cookie"),
}


def test_playwright_node_each_form_shows_who_acted_and_stays_on_its_origin(
    world: World, second: Second, tmp_path: Path
) -> None:
    resource = world.idp.url("enterprise", "resource")
    jobs = []
    for mode in MODES:
        for spec, (kind, suffix, _) in NODE_FORMS.items():
            url = resource if kind == "module" else world.app
            path = tmp_path / mode
            path.mkdir(exist_ok=True)
            path = _write(path, spec, world.tokens[mode], url, suffix)
            jobs.append(
                {
                    "name": f"{mode} {spec}",
                    "kind": kind,
                    "file": str(path),
                    "app": world.app,
                    "second": second.url,
                }
            )
    results = _node_run(jobs)
    for mode in MODES:
        for spec, (_, _, via) in NODE_FORMS.items():
            shown = results[f"{mode} {spec}"]
            _check_signed_in(world, mode, shown, via)
            _second_storage_is_clean(shown["second_storage"], world.tokens[mode])
    tokens = [world.tokens[m] for m in MODES]
    for seen in second.seen:
        assert not any(t in (seen.authorization or "") + (seen.cookie or "") for t in tokens)
    assert sum(1 for s in second.seen if s.path == "/frame") == len(jobs)
    second.seen.clear()


def test_playwright_node_refuses_expired_and_wrong_audience_and_no_redirect_leak(
    world: World, second: Second, tmp_path: Path
) -> None:
    resource = world.idp.url("enterprise", "resource")
    jobs: list[dict[str, Any]] = []
    for which in ("expired", "wrong-audience"):
        path = tmp_path / f"{which}.cjs"
        path.write_text(emit.render("playwright-node", world.tokens[which], url=resource))
        jobs.append({"name": which, "kind": "module", "file": str(path), "app": world.app})
    app = f"http://127.0.0.1:{second.port}"
    redirect = tmp_path / "redirect.cjs"
    redirect.write_text(emit.render("playwright-node", world.tokens["agent"], url=app + "/"))
    jobs.append(
        {
            "name": "redirect",
            "kind": "module",
            "file": str(redirect),
            "app": f"{app}/redirect-to/{second.url}/landed",
            "redirect": True,
        }
    )
    results = _node_run(jobs)
    assert results["expired"]["state"] == "refused"
    assert "expired" in results["expired"]["error"]
    assert results["wrong-audience"]["state"] == "refused"
    assert "not meant for this resource" in results["wrong-audience"]["error"]
    assert results["redirect"]["url"] == f"{second.url}/landed"
    got = {s.path: s.authorization for s in second.seen}
    second.seen.clear()
    assert got[f"/redirect-to/{second.url}/landed"] == f"Bearer {world.tokens['agent']}"
    assert got["/landed"] is None


# -- agentctl browse (CDP over a pipe) ---------------------------------------------------------

BROWSE_FORMS = {
    "header": "header",
    "storage-state": "localStorage",
    "storage-script:area=session": "sessionStorage",
    "cookie": "cookie",
}


@pytest.mark.parametrize("mode", MODES)
def test_browse_each_form_shows_who_acted(world: World, mode: str, tmp_path: Path) -> None:
    for inject, via in BROWSE_FORMS.items():
        shot = tmp_path / "app.png"
        r = run(
            "browse",
            world.app,
            "--token",
            world.tokens[mode],
            "--inject",
            inject,
            "--screenshot",
            str(shot),
            "--expect",
            "signed-in",
            "--json",
        )
        assert r.exit_code == 0, r.stdout + r.stderr
        data = r.json()["data"]
        kind = world.expected(mode)[0]
        assert data["state"] == "signed-in"
        audit = {
            "agent": f"agent {AGENT} did this as itself",
            "user": f"user alice did this through agent {AGENT} (no actor recorded)",
            "obo": f"agent {AGENT} did this as user alice",
        }[mode]
        assert data["title"] == f"agentctl demo app: {audit}"
        assert data["text"] == f"Signed in: {audit}"
        assert data["injection"]["origin"] == world.idp.base_url
        assert data["requests"]["elsewhere_with_token"] == 0
        assert (data["requests"]["with_token"] > 0) == (via == "header")
        assert shot.read_bytes().startswith(b"\x89PNG")
        assert world.tokens[mode] not in r.stdout + r.stderr  # a fingerprint, never the token
        views = [
            e
            for e in world.idp.svc.audit(limit=5)
            if e["event"] == "webapp:view" and e["detail"].get("sentence") == audit
        ]
        assert views, f"{inject}: the app did not audit the view"
        assert views[-1]["detail"]["mode"] == kind  # the newest (the list is oldest first)
        assert views[-1]["detail"]["via"] == ("storage" if "storage" in inject else inject)


@pytest.mark.parametrize("which", ["expired", "wrong-audience"])
def test_browse_shows_refused_tokens_as_refused(world: World, which: str) -> None:
    r = run("browse", world.app, "--token", world.tokens[which], "--expect", "refused", "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    data = r.json()["data"]
    assert data["status"] == 401
    assert data["state"] == "refused"
    assert data["text"].startswith("Refused: the access token")
    wrong = run("browse", world.app, "--token", world.tokens[which], "--expect", "signed-in")
    assert wrong.exit_code == 5
    assert "the app shows refused, not signed-in" in wrong.stderr


def test_browse_keeps_the_header_off_another_origin(world: World, second: Second) -> None:
    token = world.tokens["agent"]
    app = f"http://127.0.0.1:{second.port}"
    r = run("browse", f"{app}/redirect-to/{second.url}/landed", "--token", token, "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    data = r.json()["data"]
    assert data["final_url"] == f"{second.url}/landed"
    assert data["title"] == "second origin"
    got = {s.path: s.authorization for s in second.seen}
    second.seen.clear()
    assert got[f"/redirect-to/{second.url}/landed"] == f"Bearer {token}"
    assert got["/landed"] is None
    assert data["requests"]["elsewhere_with_token"] == 0
    # A redirect within the app's origin keeps the header (CDP pauses every hop).
    r = run("browse", f"{app}/redirect-to/landed?x", "--token", token, "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert r.json()["data"]["final_url"] == f"{app}/landed?x"
    assert {s.path: s.authorization for s in second.seen}["/landed?x"] == f"Bearer {token}"
    second.seen.clear()
