"""The one place that reads files a user names (tokens, keys, key sets, answers, config).

Every read has a size cap checked before a byte is read: the file is opened without blocking,
`fstat`ed, and refused when it is not a regular file (a directory, a FIFO that would block
forever, `/dev/zero` that would never end) or when it is larger than its cap. A file that grows
while it is read is still cut at cap + 1 bytes. Standard input (`-`) is read up to cap + 1
bytes and refused past the cap.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any, Literal, overload

from agentctl.errors import AgentctlError, InputError

KIB = 1024
MIB = 1024 * KIB

# Caps by kind of file. Each is far above any honest file of its kind and small enough that
# refusing costs nothing: a PEM key or certificate is a few KB, a key set a few dozen keys.
# (A token file's cap is the token parser's own, agentctl.core.tokens.MAX_TOKEN_BYTES.)
MAX_KEY_FILE = 256 * KIB  # a PEM key, certificate or certificate chain
MAX_JWKS_FILE = 1 * MIB  # the same cap as a fetched key set (agentctl.oauth.jwks)
MAX_ANSWERS_FILE = 1 * MIB  # `choose --answers`: a few lines
MAX_CONFIG_FILE = 4 * MIB  # config.toml, agents.json, secrets.json: thousands of entries
MAX_CA_BUNDLE_FILE = 4 * MIB  # a PEM CA bundle; the full public root set is ~300 KB
MAX_SECRET_INPUT = 64 * KIB  # a client secret, password or access token piped in on stdin


def describe_size(count: int) -> str:
    """1048576 → '1 MiB': sizes in messages read the way limits are documented."""
    for unit, size in (("MiB", MIB), ("KiB", KIB)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count:,} bytes"


@overload
def read_bytes(
    path: str | Path,
    *,
    what: str,
    limit: int,
    error: type[AgentctlError] = ...,
    missing_ok: Literal[False] = ...,
) -> bytes: ...
@overload
def read_bytes(
    path: str | Path,
    *,
    what: str,
    limit: int,
    error: type[AgentctlError] = ...,
    missing_ok: bool,
) -> bytes | None: ...
def read_bytes(
    path: str | Path,
    *,
    what: str,
    limit: int,
    error: type[AgentctlError] = InputError,
    missing_ok: bool = False,
) -> bytes | None:
    """The bytes of the regular file `path`, refused (as `error`, one line naming `what` and
    the path) when it cannot be opened, is not a regular file, or is larger than `limit`.
    With `missing_ok`, an absent file is None."""
    where = f"{what} {path}"
    # O_NONBLOCK: opening a FIFO with no writer must not hang before fstat can refuse it.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(os.fspath(path), flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        if missing_ok:
            return None
        raise error(f"cannot read {where}: no such file") from None
    except IsADirectoryError:
        raise error(f"cannot read {where}: it is a directory, not a file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise error(f"cannot read {where}: {_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"cannot read {where}: it is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise error(
                f"cannot read {where}: not a regular file (a FIFO, device or socket)",
                hint="save the content to a file first, or pipe it to `-` where stdin is read",
            )
        if info.st_size > limit:
            raise _too_large(error, where, limit)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(limit + 1)
    except OSError as exc:
        raise error(f"cannot read {where}: {_reason(exc)}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:  # it grew after fstat
        raise _too_large(error, where, limit)
    return data


@overload
def read_text(
    path: str | Path,
    *,
    what: str,
    limit: int,
    error: type[AgentctlError] = ...,
    missing_ok: Literal[False] = ...,
) -> str: ...
@overload
def read_text(
    path: str | Path,
    *,
    what: str,
    limit: int,
    error: type[AgentctlError] = ...,
    missing_ok: bool,
) -> str | None: ...
def read_text(
    path: str | Path,
    *,
    what: str,
    limit: int,
    error: type[AgentctlError] = InputError,
    missing_ok: bool = False,
) -> str | None:
    """`read_bytes`, decoded as UTF-8 (a binary file is refused with one line)."""
    data = read_bytes(path, what=what, limit=limit, error=error, missing_ok=missing_ok)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{what} {path} is not UTF-8 text") from None


def read_stream(stream: IO[Any], *, what: str, limit: int) -> bytes:
    """At most `limit` bytes of a stream (stdin); more is refused, never buffered whole."""
    source = getattr(stream, "buffer", stream)
    try:
        data = source.read(limit + 1)
    except (OSError, ValueError) as exc:  # ValueError: a closed stream
        raise InputError(f"cannot read {what}: {_reason(exc)}") from None
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if len(data) > limit:
        raise _too_large(InputError, what, limit)
    return bytes(data)


def read_line(stream: IO[str] | None, *, what: str, limit: int = MAX_SECRET_INPUT) -> str:
    """One line of a text stream (a password on stdin), without its line end; at most
    `limit` characters are read, so a stream with no newline (`/dev/zero`) ends at once."""
    if stream is None:
        raise InputError(f"standard input is closed; nothing to read {what} from")
    try:
        line = stream.readline(limit + 1)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what}: {_reason(exc)}") from None
    value = line.rstrip("\r\n")
    if len(value) > limit:
        raise _too_large(InputError, what, limit)
    return value


def _too_large(error: type[AgentctlError], where: str, limit: int) -> AgentctlError:
    return error(
        f"{where} holds more than {describe_size(limit)}",
        hint="check it is the right file; agentctl reads no more than that",
    )


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "strerror", None) or exc)


__all__ = [
    "MAX_ANSWERS_FILE",
    "MAX_CA_BUNDLE_FILE",
    "MAX_CONFIG_FILE",
    "MAX_JWKS_FILE",
    "MAX_KEY_FILE",
    "MAX_SECRET_INPUT",
    "describe_size",
    "read_bytes",
    "read_line",
    "read_stream",
    "read_text",
]
