"""Secret storage. The only module that imports keyring.

A profile records *where* its secret lives (`secret_store`: keyring | file | env) and under which
key (`secret_ref`), never the value. Stores:

- `KeyringStore`: the OS keyring. On a host without a usable backend (a headless Linux box, where
  keyring falls back to its `fail` or an empty `chainer` backend) it raises SecretError that says
  so and names the two explicit alternatives.
- `FileStore`: a 0600 JSON file in the config dir, written atomically (`--secret-store file`),
  each change a read-modify-write under an exclusive lock (`secrets.json.lock`).
- `EnvStore`: read-only, `AGENTCTL_SECRET_<PROFILE>` (for CI).

Whatever the store, `AGENTCTL_SECRET_<PROFILE>` wins when set, so CI never needs a keyring.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from agentctl.config import paths
from agentctl.errors import SecretError

SERVICE = "agentctl"
ENV_PREFIX = "AGENTCTL_SECRET_"
FILE_NAME = "secrets.json"


def env_var_for(profile: str, what: str | None = None) -> str:
    """`AGENTCTL_SECRET_<PROFILE>` (non-alphanumerics become `_`); `what` adds a suffix."""
    name = re.sub(r"[^A-Z0-9]", "_", profile.upper())
    suffix = "_" + re.sub(r"[^A-Z0-9]", "_", what.upper()) if what else ""
    return f"{ENV_PREFIX}{name}{suffix}"


def secret_ref_for(profile: str, what: str = "client-secret") -> str:
    return f"{profile}/{what}"


class SecretStore(Protocol):
    name: str

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> bool: ...

    def describe(self, key: str) -> str: ...


def _choices_hint(profile: str | None) -> str:
    var = env_var_for(profile) if profile else f"{ENV_PREFIX}<PROFILE>"
    return (
        f"either set {var} in the environment (CI), or re-run with --secret-store file "
        f"to keep it in a 0600 file ({paths.config_dir() / FILE_NAME})"
    )


class KeyringStore:
    name = "keyring"

    def __init__(self, service: str = SERVICE, *, profile: str | None = None) -> None:
        self.service = service
        self.profile = profile

    def backend_name(self) -> str:
        import keyring

        backend = keyring.get_keyring()
        return f"{type(backend).__module__}.{type(backend).__name__}"

    def usable(self) -> tuple[bool, str]:
        """(usable, backend name). keyring's fail/null backends, or a chainer with nothing to
        chain, mean there is no real keyring on this host."""
        import keyring
        import keyring.backends.chainer
        import keyring.backends.fail

        backend = keyring.get_keyring()
        name = self.backend_name()
        if isinstance(backend, keyring.backends.fail.Keyring):
            return False, name
        if type(backend).__module__ == "keyring.backends.null":
            return False, name
        if isinstance(backend, keyring.backends.chainer.ChainerBackend) and not backend.backends:
            return False, name
        return True, name

    def _require(self) -> None:
        ok, name = self.usable()
        if not ok:
            raise SecretError(
                f"no usable OS keyring on this host (keyring backend: {name})",
                hint=_choices_hint(self.profile),
                details={"backend": name},
            )

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        self._require()
        import keyring.errors

        try:
            return fn()
        except keyring.errors.PasswordDeleteError:
            raise
        except keyring.errors.KeyringError as exc:
            raise SecretError(
                f"the OS keyring failed to {what} ({type(exc).__name__}: {exc})",
                hint=_choices_hint(self.profile),
            ) from None

    def get(self, key: str) -> str | None:
        import keyring

        value = self._call("read a secret", lambda: keyring.get_password(self.service, key))
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str) -> None:
        import keyring

        self._call("store a secret", lambda: keyring.set_password(self.service, key, value))

    def delete(self, key: str) -> bool:
        import keyring
        import keyring.errors

        try:
            self._call("delete a secret", lambda: keyring.delete_password(self.service, key))
        except keyring.errors.PasswordDeleteError:
            return False
        return True

    def describe(self, key: str) -> str:
        return f"OS keyring (service {self.service!r}, key {key!r})"


class FileStore:
    """Secrets in one 0600 JSON file, rewritten atomically. For hosts without a keyring."""

    name = "file"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / FILE_NAME

    def _read(self) -> dict[str, str]:
        from agentctl import files

        text = files.read_text(
            self.path,
            what="secrets file",
            limit=files.MAX_CONFIG_FILE,
            error=SecretError,
            missing_ok=True,
        )
        if text is None:
            return {}
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
            raise SecretError(
                f"cannot read the secrets file {self.path} (not JSON: {type(exc).__name__})",
                hint="fix its permissions or delete it and store the secrets again",
            ) from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise SecretError(f"the secrets file {self.path} is not a JSON object of strings")
        return data

    def _write(self, data: dict[str, str]) -> None:
        from agentctl.config.profiles import write_private

        write_private(self.path, json.dumps(data, indent=2, sort_keys=True).encode())

    def get(self, key: str) -> str | None:
        return self._read().get(key)

    def set(self, key: str, value: str) -> None:
        from agentctl.config.filelock import locked

        with locked(self.path):  # read-modify-write under the lock: no lost updates
            data = self._read()
            data[key] = value
            self._write(data)

    def delete(self, key: str) -> bool:
        from agentctl.config.filelock import locked

        with locked(self.path):
            data = self._read()
            if key not in data:
                return False
            del data[key]
            self._write(data)
        return True

    def describe(self, key: str) -> str:
        return f"file {self.path} (0600), key {key!r}"


class EnvStore:
    """Read-only: the value of an environment variable, read at call time."""

    name = "env"

    def __init__(self, variable: str) -> None:
        self.variable = variable

    def get(self, key: str) -> str | None:
        return os.environ.get(self.variable) or None

    def set(self, key: str, value: str) -> None:
        raise SecretError(
            f"the environment store is read-only: set {self.variable} yourself",
            hint="or choose --secret-store keyring|file to have agentctl keep it",
        )

    def delete(self, key: str) -> bool:
        return False

    def describe(self, key: str) -> str:
        return f"environment variable {self.variable}"


def store_for(choice: str | None, *, profile: str) -> SecretStore:
    """The store a profile's `secret_store` names (None: the OS keyring)."""
    if choice in (None, "keyring"):
        return KeyringStore(profile=profile)
    if choice == "file":
        return FileStore()
    if choice == "env":
        return EnvStore(env_var_for(profile))
    raise SecretError(f"unknown secret store {choice!r}", hint="use keyring, file or env")


@dataclass(frozen=True)
class FoundSecret:
    value: str
    source: str  # "env" or the store's name
    where: str  # human description, never the value

    def __repr__(self) -> str:
        return f"FoundSecret(source={self.source!r}, where={self.where!r})"


def lookup(
    profile: str, *, store: str | None, ref: str | None, what: str | None = None
) -> FoundSecret | None:
    """The profile's secret: `AGENTCTL_SECRET_<PROFILE>[_WHAT]` first, then its store."""
    var = env_var_for(profile, what)
    if os.environ.get(var):
        return FoundSecret(os.environ[var], "env", f"environment variable {var}")
    if store == "env":
        return None
    backend = store_for(store, profile=profile)
    key = ref or secret_ref_for(profile, what or "client-secret")
    value = backend.get(key)
    if value is None:
        return None
    return FoundSecret(value, backend.name, backend.describe(key))


def require(profile: str, *, store: str | None, ref: str | None, what: str | None = None) -> str:
    found = lookup(profile, store=store, ref=ref, what=what)
    if found is None:
        var = env_var_for(profile, what)
        key = ref or secret_ref_for(profile, what or "client-secret")
        where = (
            "the environment" if store == "env" else store_for(store, profile=profile).describe(key)
        )
        raise SecretError(
            f"no secret for profile {profile!r} in {where}",
            hint=f"store it with `agentctl profile add {profile} --replace --secret-stdin` "
            f"or set {var}",
        )
    return found.value


def read_secret_input(
    *,
    stdin: TextIO | None = None,
    prompt: str | None = None,
    getpass: Callable[[str], str] | None = None,
) -> str:
    """A secret from stdin (`stdin` given) or a hidden prompt; never from the command line."""
    if stdin is not None:
        from agentctl import files

        raw = files.read_stream(stdin, what="the secret on stdin", limit=files.MAX_SECRET_INPUT)
        try:
            value = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise SecretError("the secret on standard input is not UTF-8 text") from None
        if not value:
            raise SecretError("no secret on standard input", hint="pipe it in: `... < file`")
        return value
    if getpass is None:
        if not sys.stdin.isatty():
            raise SecretError(
                "cannot prompt for the secret: standard input is not a terminal",
                hint="use --secret-stdin and pipe it in, or set the environment variable",
            )
        import getpass as _getpass

        getpass = _getpass.getpass
    value = getpass(prompt or "Secret (hidden): ").strip()
    if not value:
        raise SecretError("empty secret")
    return value


def keyring_status() -> dict[str, Any]:
    """For `doctor` and `profile show`: is there a usable keyring here, and which backend."""
    ok, name = KeyringStore().usable()
    return {"usable": ok, "backend": name}


__all__ = [
    "ENV_PREFIX",
    "SERVICE",
    "EnvStore",
    "FileStore",
    "FoundSecret",
    "KeyringStore",
    "SecretStore",
    "env_var_for",
    "keyring_status",
    "lookup",
    "read_secret_input",
    "require",
    "secret_ref_for",
    "store_for",
]
