"""Stable process exit codes. Documented in README.md ("Exit codes"); never renumber."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # unexpected internal error (a bug: please report it)
    USAGE = 2  # bad command line or bad input (malformed token, unknown answer key, ...)
    CONFIG = 3  # configuration, profile or secret-store problem
    VERIFY = 4  # signature or claim verification failed (inspect --verify)
    CHECK = 5  # the IdP answered, but the token does not have the shape the mode promises
    IDP = 6  # the IdP refused: an OAuth error response (error / error_description shown)
    NETWORK = 7  # connection refused, DNS, timeout, TLS, HTTP 5xx, non-JSON answer
    UNSUPPORTED = 8  # the IdP does not offer what was asked (grant, registration, ...)
    INTERRUPTED = 130  # Ctrl-C


__all__ = ["ExitCode"]
