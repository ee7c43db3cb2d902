"""Token injection forms for `agentctl exchange --emit` and `agentctl browse`: pure text, no I/O.

Each form writes the raw token (that is what the user asked for). A form is named by a spec,
`FORM[:option=value,...]` (`storage-state:key=token,shape=json`); `parse_spec` reads it.

- `header`, `env`, `curl`: an RFC 6750 §2.1 `Authorization` line, a POSIX shell export, a curl
  command for the target URL.
- `playwright-python`, `playwright-node`: a module in each language's own naming (snake_case
  `new_context(**CONTEXT_OPTIONS)` / camelCase `newContext(contextOptions)`) with an
  `authorize(context)` that routes requests for the app's origin, and only those, through a
  handler adding the header. Not `extra_http_headers`/`extraHTTPHeaders`: those go to every
  origin the page touches. The handler fetches with redirects off and hands the answer back to
  the browser, because Playwright's `route.continue_(headers=…)` keeps the header across a
  redirect to another origin (seen in Chromium); the browser then follows the redirect as a
  new request, which the origin check sees.
- `storage-state`: a Playwright storage-state file (`storage_state=`/`storageState:`) putting
  the token in the origin's `localStorage` (Playwright saves no `sessionStorage`).
- `storage-script`: an init script (`add_init_script`, CDP `addScriptToEvaluateOnNewDocument`)
  writing the same entries into `localStorage` or `sessionStorage` when, and only when, the
  document's origin is the app's.
- `cookie`: a Playwright storage-state file holding one host-only, HttpOnly, SameSite=Strict
  cookie. Cookies are scoped by host, not port (RFC 6265 §8.5): another port on the same host
  receives it too.

Storage shapes: `raw` (the token as the value), `json` (`{"access_token": …, "token_type":
"Bearer", "expires_at": exp}`, the member name set by `field`), `msal` (MSAL.js's browser
cache: an account and an access-token entry plus its key indexes, so an MSAL SPA sees a
signed-in account; `client_id` names the SPA whose cache it is).
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Final

from agentctl.core.emit_forms import EMIT_HELP, EXAMPLES, FORMATS

BROWSER_FORMS: Final = (
    "playwright-python",
    "playwright-node",
    "storage-state",
    "storage-script",
    "cookie",
)
SHAPES: Final = ("raw", "json", "msal")
AREAS: Final = ("local", "session")
ENV_VAR: Final = "AGENTCTL_TOKEN"
BEARER: Final = "Bearer"
PLACEHOLDER_URL: Final = "https://resource.example/"  # when the token names no URL audience
DEFAULT_KEY: Final = "access_token"
DEFAULT_FIELD: Final = "access_token"
DEFAULT_COOKIE: Final = "access_token"
REMOVED: Final = {
    "playwright": "--emit playwright was replaced: its extraHTTPHeaders sent the token to every "
    "origin the page touched; use playwright-python or playwright-node (the app's origin only)"
}
# Which options each form takes (`origin` overrides the origin taken from the target URL).
_OPTIONS: Final[dict[str, frozenset[str]]] = {
    "header": frozenset(),
    "env": frozenset(),
    "curl": frozenset(),
    "playwright-python": frozenset({"origin"}),
    "playwright-node": frozenset({"origin"}),
    "storage-state": frozenset({"origin", "key", "shape", "field", "client_id"}),
    "storage-script": frozenset({"origin", "key", "shape", "field", "client_id", "area"}),
    "cookie": frozenset({"origin", "name"}),
}

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$")  # RFC 6265 §4.1.1 token
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]{1,253})$")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Spec:
    """A parsed `--emit` value."""

    form: str
    origin: str | None = None
    key: str = DEFAULT_KEY
    shape: str = "raw"
    field: str = DEFAULT_FIELD
    client_id: str | None = None
    area: str | None = None  # None: `session` for the msal shape (MSAL.js's default), else `local`
    name: str = DEFAULT_COOKIE

    @property
    def storage_area(self) -> str:
        if self.form == "storage-state":
            return "local"  # a storage-state file holds localStorage only
        if self.area is not None:
            return self.area
        return "session" if self.shape == "msal" else "local"

    def text(self) -> str:
        """The spec back as text, options in a fixed order, defaults left out."""
        default = Spec(self.form)
        opts = [
            f"{k}={getattr(self, k)}"
            for k in ("origin", "key", "shape", "field", "client_id", "area", "name")
            if k in _OPTIONS[self.form] and getattr(self, k) != getattr(default, k)
        ]
        return self.form + (":" + ",".join(opts) if opts else "")


def parse_spec(text: str) -> Spec:
    """`FORM[:option=value,...]` → Spec; ValueError naming what is wrong."""
    form, _, rest = text.strip().partition(":")
    form = form.strip().lower()
    if form in REMOVED:
        raise ValueError(REMOVED[form])
    if form not in _OPTIONS:
        raise ValueError(f"unknown emit form {form!r}; use one of {', '.join(FORMATS)}")
    spec = Spec(form)
    if not rest.strip():
        return spec
    allowed = _OPTIONS[form]
    if not allowed:
        raise ValueError(f"--emit {form} takes no options")
    seen: set[str] = set()
    for item in rest.split(","):
        name, eq, value = item.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not eq or not value:
            raise ValueError(f"--emit {form}: write options as name=value (got {item.strip()!r})")
        if name not in allowed:
            raise ValueError(
                f"--emit {form} has no option {name!r}; it takes {', '.join(sorted(allowed))}"
            )
        if name in seen:
            raise ValueError(f"--emit {form}: option {name!r} given twice")
        seen.add(name)
        spec = replace(spec, **{name: _option(name, value)})
    return spec


def _option(name: str, value: str) -> str:
    if name == "origin":
        return origin_of(value)
    if name == "shape":
        if value not in SHAPES:
            raise ValueError(f"shape must be one of {', '.join(SHAPES)} (got {value!r})")
        return value
    if name == "area":
        if value not in AREAS:
            raise ValueError(f"area must be local or session (got {value!r})")
        return value
    if name == "key":
        if len(value) > 200 or not value.isprintable():
            raise ValueError("key must be printable text of at most 200 characters")
        return value
    if name == "field":
        if not _NAME.match(value) or len(value) > 100:
            raise ValueError(f"field must be a plain member name like access_token (got {value!r})")
        return value
    if name == "client_id":
        if not _CLIENT_ID.match(value):
            raise ValueError(f"client_id has characters a client id does not (got {value!r})")
        return value
    if name == "name":
        if not _COOKIE_NAME.match(value):
            raise ValueError(f"name must be a cookie name (RFC 6265 token; got {value!r})")
        return value
    raise ValueError(f"unknown option {name!r}")  # pragma: no cover - _OPTIONS lists them


def origin_of(url: str) -> str:
    """The RFC 6454 origin of an http(s) URL, serialised as browsers do (`URL.origin`):
    lower-case scheme and host, default port left out. ValueError for anything else."""
    scheme, sep, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _DEFAULT_PORTS:
        raise ValueError(f"origin must be an http(s) URL (got {url!r})")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        raise ValueError("origin must not carry credentials (user:password@)")
    host, port = authority, ""
    if authority.startswith("["):
        end = authority.find("]")
        host, port = authority[: end + 1], authority[end + 1 :].removeprefix(":")
    elif ":" in authority:
        host, _, port = authority.rpartition(":")
    host = host.lower()
    if not host or not _HOST.match(host):
        raise ValueError(f"origin has no valid host (got {url!r})")
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        raise ValueError(f"origin has an invalid port (got {url!r})")
    shown = "" if not port or int(port) == _DEFAULT_PORTS[scheme] else f":{int(port)}"
    return f"{scheme}://{host}{shown}"


def bearer(token: str, token_type: str = BEARER) -> str:
    # RFC 6750 §2.1 spells the scheme "Bearer"; a DPoP-bound token would need a proof, which a
    # static header cannot carry, so only the scheme word follows the token type.
    scheme = "DPoP" if token_type.lower() == "dpop" else "Bearer"
    return f"{scheme} {token}"


def header_line(token: str, token_type: str = BEARER) -> str:
    return f"Authorization: {bearer(token, token_type)}"


def env_line(token: str, var: str = ENV_VAR) -> str:
    if not var.replace("_", "").isalnum() or var[0].isdigit():
        raise ValueError(f"not a shell variable name: {var!r}")
    return f"export {var}={shlex.quote(token)}"


def target_url(candidates: Iterable[str]) -> str | None:
    """The first http(s) URL among the audiences/resources, else None."""
    for value in candidates:
        if value.startswith(("https://", "http://")):
            return value
    return None


def curl_command(token: str, url: str | None, token_type: str = BEARER) -> str:
    return (
        f"curl -sS -H {shlex.quote(header_line(token, token_type))} "
        f"{shlex.quote(url or PLACEHOLDER_URL)}"
    )


# -- storage entries ---------------------------------------------------------------------------


def storage_entries(
    spec: Spec, token: str, claims: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    """The (key, value) pairs a storage form writes."""
    claims = claims if claims is not None else token_claims(token)
    if spec.shape == "raw":
        return [(spec.key, token)]
    if spec.shape == "json":
        value: dict[str, Any] = {spec.field: token, "token_type": BEARER}
        if isinstance(claims.get("exp"), int):
            value["expires_at"] = claims["exp"]
        return [(spec.key, json.dumps(value, separators=(",", ":")))]
    return msal_entries(token, claims, client_id=spec.client_id)


def msal_entries(
    token: str, claims: dict[str, Any], *, client_id: str | None = None
) -> list[tuple[str, str]]:
    """MSAL.js browser-cache entries (msal-browser 2.x/3.x layout; 4.x encrypts localStorage,
    so use sessionStorage there): one account, one access token, and the key indexes 3.x
    reads. Keys are lower-case, `<homeAccountId>-<environment>-<realm>` for the account and
    `…-accesstoken-<clientId>-<realm>-<scopes>` for the token."""
    uid = _text(claims.get("oid")) or _text(claims.get("sub")) or "unknown"
    utid = _text(claims.get("tid")) or "agentctl"
    home = f"{uid}.{utid}"
    environment = _environment(_text(claims.get("iss")))
    client = (
        client_id
        or _text(claims.get("azp"))
        or _text(claims.get("appid"))
        or _text(claims.get("client_id"))
        or "unknown-client"
    )
    scopes = _text(claims.get("scp")) or _text(claims.get("scope"))
    exp = claims.get("exp") if isinstance(claims.get("exp"), int) else 0
    iat = claims.get("iat") if isinstance(claims.get("iat"), int) else 0
    client_info = (
        base64.urlsafe_b64encode(
            json.dumps({"uid": uid, "utid": utid}, separators=(",", ":")).encode()
        )
        .decode()
        .rstrip("=")
    )
    account_key = f"{home}-{environment}-{utid}".lower()
    token_key = f"{home}-{environment}-accesstoken-{client}-{utid}-{scopes}".lower()
    account = {
        "homeAccountId": home,
        "environment": environment,
        "realm": utid,
        "localAccountId": uid,
        "username": _text(claims.get("preferred_username"))
        or _text(claims.get("upn"))
        or _text(claims.get("email"))
        or _text(claims.get("sub")),
        "name": _text(claims.get("name")),
        "authorityType": "MSSTS",
        "clientInfo": client_info,
    }
    access = {
        "homeAccountId": home,
        "environment": environment,
        "credentialType": "AccessToken",
        "clientId": client,
        "secret": token,
        "realm": utid,
        "target": scopes,
        "cachedAt": str(iat),
        "expiresOn": str(exp),
        "extendedExpiresOn": str(exp),
        "tokenType": BEARER,
    }
    compact = {"separators": (",", ":")}
    return [
        (account_key, json.dumps(account, **compact)),  # type: ignore[arg-type]
        (token_key, json.dumps(access, **compact)),  # type: ignore[arg-type]
        ("msal.account.keys", json.dumps([account_key])),
        (
            f"msal.token.keys.{client}",
            json.dumps({"idToken": [], "accessToken": [token_key], "refreshToken": []}),
        ),
    ]


def token_claims(token: str) -> dict[str, Any]:
    """The JWT payload, unverified (only to shape what is written: expiry, MSAL names);
    {} for an opaque token or anything that does not decode."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _environment(issuer: str) -> str:
    """MSAL's `environment`: the authority host (Entra v1 tokens name sts.windows.net)."""
    host = issuer.partition("://")[2].split("/", 1)[0].lower()
    if host == "sts.windows.net" or not host:
        return "login.microsoftonline.com"
    return host


# -- the forms ---------------------------------------------------------------------------------


def storage_state(spec: Spec, token: str, origin: str) -> dict[str, Any]:
    entries = storage_entries(spec, token)
    return {
        "cookies": [],
        "origins": [
            {"origin": origin, "localStorage": [{"name": k, "value": v} for k, v in entries]}
        ],
    }


def cookie_state(spec: Spec, token: str, origin: str) -> dict[str, Any]:
    scheme, _, authority = origin.partition("://")
    host = authority.rsplit(":", 1)[0] if not authority.endswith("]") else authority
    exp = token_claims(token).get("exp")
    cookie = {
        "name": spec.name,
        "value": token,
        "domain": host.strip("[]"),  # no leading dot: a host-only cookie
        "path": "/",
        "expires": exp if isinstance(exp, int) else -1,
        "httpOnly": True,  # page scripts (and whatever they load) cannot read it
        "secure": scheme == "https",
        "sameSite": "Strict",  # other sites' pages cannot make the browser send it
    }
    return {"cookies": [cookie], "origins": []}


def storage_script(spec: Spec, token: str, origin: str) -> str:
    area = "sessionStorage" if spec.storage_area == "session" else "localStorage"
    entries = json.dumps(storage_entries(spec, token))
    return (
        f"// agentctl: the agent's token in {area}, for {origin} only. Holds a RAW token.\n"
        "// Playwright: context.add_init_script(path=…) / addInitScript({ path }); CDP:\n"
        "// Page.addScriptToEvaluateOnNewDocument. Runs before the app's scripts in every\n"
        "// document; writes nothing in a document of any other origin.\n"
        "(() => {\n"
        f"  const origin = {json.dumps(origin)};\n"
        "  if (window.location.origin !== origin) return;\n"
        f"  for (const [key, value] of {entries}) window.{area}.setItem(key, value);\n"
        "})();\n"
    )


def playwright_python(token: str, origin: str, url: str | None, token_type: str = BEARER) -> str:
    options: dict[str, str] = {"base_url": url} if url else {}
    return f'''"""Playwright for Python: the agent's token for {origin} only (written by agentctl).

Holds a RAW token. Sync and async API alike:
    context = browser.new_context(**CONTEXT_OPTIONS)
    authorize(context)            # async API: await authorize(context)
"""

from urllib.parse import urlsplit

ORIGIN = {origin!r}
AUTHORIZATION = {bearer(token, token_type)!r}
CONTEXT_OPTIONS = {options!r}


def _same_origin(url):
    try:
        parts = urlsplit(url)
        port = parts.port or {{"http": 80, "https": 443}}.get(parts.scheme)
        want = urlsplit(ORIGIN)
        return (parts.scheme, parts.hostname, port) == (
            want.scheme,
            want.hostname,
            want.port or {{"http": 80, "https": 443}}.get(want.scheme),
        )
    except ValueError:
        return False


def _handle(route, request):
    # Fetch with redirects off and hand the answer to the browser: continue_(headers=...)
    # would keep the header across a redirect to another origin.
    headers = {{**request.headers, "authorization": AUTHORIZATION}}
    answer = route.fetch(headers=headers, max_redirects=0)
    if hasattr(answer, "__await__"):  # async API

        async def finish():
            await route.fulfill(response=await answer)

        return finish()
    route.fulfill(response=answer)
    return None


def authorize(context):
    """Add the Authorization header to requests for ORIGIN, and to nothing else."""
    return context.route(_same_origin, _handle)
'''


def playwright_node(token: str, origin: str, url: str | None, token_type: str = BEARER) -> str:
    options: dict[str, str] = {"baseURL": url} if url else {}
    return f"""// Playwright for Node: the agent's token for {origin} only (written by agentctl).
// Holds a RAW token. CommonJS (save as .cjs under "type": "module"):
//   const {{ contextOptions, authorize }} = require('./agent-auth.cjs');
//   const context = await browser.newContext(contextOptions);
//   await authorize(context);
'use strict';

const ORIGIN = {json.dumps(origin)};
const AUTHORIZATION = {json.dumps(bearer(token, token_type))};
const contextOptions = {json.dumps(options)};

// Fetch with redirects off and hand the answer to the browser: continue({{ headers }}) would
// keep the header across a redirect to another origin.
async function handle(route, request) {{
  const headers = {{ ...request.headers(), authorization: AUTHORIZATION }};
  const response = await route.fetch({{ headers, maxRedirects: 0 }});
  await route.fulfill({{ response }});
}}

/** Add the Authorization header to requests for ORIGIN, and to nothing else. */
function authorize(context) {{
  return context.route((url) => url.origin === ORIGIN, handle);
}}

module.exports = {{ ORIGIN, contextOptions, authorize }};
"""


def render(fmt: str | Spec, token: str, *, url: str | None = None, token_type: str = BEARER) -> str:
    """The text of the form `fmt` (a spec) for `token`, ending with a newline. `url` is the
    target URL (the app's origin comes from it unless the spec names one)."""
    spec = fmt if isinstance(fmt, Spec) else parse_spec(fmt)
    if spec.form == "header":
        return header_line(token, token_type) + "\n"
    if spec.form == "env":
        return env_line(token) + "\n"
    if spec.form == "curl":
        return curl_command(token, url, token_type) + "\n"
    origin = spec.origin or origin_of(url or PLACEHOLDER_URL)
    if spec.form == "playwright-python":
        return playwright_python(token, origin, url, token_type)
    if spec.form == "playwright-node":
        return playwright_node(token, origin, url, token_type)
    if spec.form == "storage-script":
        return storage_script(spec, token, origin)
    if spec.form == "storage-state":
        return json.dumps(storage_state(spec, token, origin), indent=2) + "\n"
    return json.dumps(cookie_state(spec, token, origin), indent=2) + "\n"


__all__ = [
    "AREAS",
    "BROWSER_FORMS",
    "DEFAULT_COOKIE",
    "DEFAULT_KEY",
    "EMIT_HELP",
    "ENV_VAR",
    "EXAMPLES",
    "FORMATS",
    "PLACEHOLDER_URL",
    "SHAPES",
    "Spec",
    "bearer",
    "cookie_state",
    "curl_command",
    "env_line",
    "header_line",
    "msal_entries",
    "origin_of",
    "parse_spec",
    "playwright_node",
    "playwright_python",
    "render",
    "storage_entries",
    "storage_script",
    "storage_state",
    "target_url",
    "token_claims",
]
