"""One module per identity provider, behind the IdentityProvider protocol in base.py.

`get_provider(kind, settings, http)` picks the implementation from the PROVIDERS table. Modules
are imported only when their kind is asked for, so the table costs nothing at startup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from agentctl.errors import ConfigError, UnsupportedError

if TYPE_CHECKING:
    import httpx

    from agentctl.config.resolve import Settings
    from agentctl.providers.base import Credential, IdentityProvider


@dataclass(frozen=True)
class ProviderSettings:
    """What a provider needs besides the HTTP client."""

    issuer: str | None  # None: the embedded IdP in-process (kind `local`)
    assertion_audience: str = "token_endpoint"  # private_key_jwt `aud`: token_endpoint|issuer
    profile: str | None = None
    options: tuple[tuple[str, Any], ...] = ()  # provider-specific extras


ProviderFactory = Callable[[ProviderSettings, "httpx.Client"], "IdentityProvider"]


def _oidc(settings: ProviderSettings, http: httpx.Client) -> IdentityProvider:
    from agentctl.providers.oidc import OidcProvider

    if not settings.issuer:
        raise ConfigError(
            "an oidc profile needs an issuer URL",
            hint="`agentctl profile add NAME --kind oidc --issuer URL`",
        )
    audience = "issuer" if settings.assertion_audience == "issuer" else "token_endpoint"
    return OidcProvider.discover(http, settings.issuer, assertion_audience=audience)


PROVIDERS: Final[dict[str, ProviderFactory]] = {
    # "local": the embedded IdP (agentctl.providers.local) — registered here by its module,
    #          e.g. `PROVIDERS["local"] = _local` with a factory like `_oidc` above.
    "oidc": _oidc,
}
# Kinds that have a profile value but no dedicated module yet. Each publishes OIDC discovery, so
# `--kind oidc` with the same issuer works for what the metadata advertises.
PLANNED: Final = ("entra", "okta", "keycloak", "auth0")


def get_provider(kind: str, settings: ProviderSettings, http: httpx.Client) -> IdentityProvider:
    factory = PROVIDERS.get(kind)
    if factory is not None:
        return factory(settings, http)
    if kind in PLANNED or kind == "local":
        raise UnsupportedError(
            f"the {kind} provider is not available in this build",
            hint="use a profile of kind oidc with the same issuer URL"
            if kind != "local"
            else "the embedded IdP provider is not installed",
        )
    raise ConfigError(
        f"unknown provider kind {kind!r}",
        hint=f"use one of: {', '.join(sorted({*PROVIDERS, *PLANNED, 'local'}))}",
    )


def provider_settings(settings: Settings) -> ProviderSettings:
    """ProviderSettings from resolved profile settings."""
    return ProviderSettings(
        issuer=settings.issuer.value,
        assertion_audience=settings.assertion_audience.value,
        profile=settings.name.value,
    )


def credential_for(settings: Settings) -> Credential:
    """The profile's own client credential: client id from the settings, secret or private key
    from `AGENTCTL_SECRET_<PROFILE>[_PRIVATE_KEY]` or the profile's secret store."""
    from agentctl.config import secrets
    from agentctl.providers.base import Credential

    client_id = settings.client_id.value
    name = settings.name.value
    if not client_id:
        raise ConfigError(
            f"profile {name!r} has no client id",
            hint=f"`agentctl profile add {name} --replace --client-id ID ...` or --client-id",
        )
    method = settings.auth_method.value
    store = settings.secret_store.value
    ref = settings.secret_ref.value
    if method == "private_key_jwt":
        pem = secrets.require(name, store=store, ref=ref, what="private-key")
        return Credential(client_id, method, private_key_pem=pem, key_id=settings.key_id.value)
    if method == "none":
        return Credential(client_id, method)
    return Credential(client_id, method, secret=secrets.require(name, store=store, ref=ref))


__all__ = [
    "PLANNED",
    "PROVIDERS",
    "ProviderFactory",
    "ProviderSettings",
    "credential_for",
    "get_provider",
    "provider_settings",
]
