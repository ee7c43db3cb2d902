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
    from agentctl.config.resolve import Settings
    from agentctl.http_types import HttpClient
    from agentctl.providers.base import Credential, IdentityProvider


@dataclass(frozen=True)
class ProviderSettings:
    """What a provider needs besides the HTTP client."""

    issuer: str | None  # None: the embedded IdP in-process (kind `local`)
    assertion_audience: str = "token_endpoint"  # private_key_jwt `aud`: token_endpoint|issuer
    profile: str | None = None
    options: tuple[tuple[str, Any], ...] = ()  # provider-specific extras


ProviderFactory = Callable[[ProviderSettings, "HttpClient"], "IdentityProvider"]


def _oidc(settings: ProviderSettings, http: HttpClient) -> IdentityProvider:
    from agentctl.providers.oidc import OidcProvider

    if not settings.issuer:
        raise ConfigError(
            "an oidc profile needs an issuer URL",
            hint="`agentctl profile add NAME --kind oidc --issuer URL`",
        )
    audience = "issuer" if settings.assertion_audience == "issuer" else "token_endpoint"
    grants = dict(settings.options).get("grants", ())
    return OidcProvider.discover(
        http,
        settings.issuer,
        assertion_audience=audience,
        pinned_grants=tuple(grants),
        profile=settings.profile,
    )


def _local(settings: ProviderSettings, http: HttpClient) -> IdentityProvider:
    """The embedded IdP: in-process when the profile has no URL (`http` must then route to it,
    e.g. `http_for(ctx, embedded=True)`), else a running `agentctl idp serve` at that URL."""
    from agentctl.providers.local import LocalProvider

    audience = "issuer" if settings.assertion_audience == "issuer" else "token_endpoint"
    if not settings.issuer:
        return LocalProvider.embedded(http, assertion_audience=audience)
    return LocalProvider.at_url(http, settings.issuer, assertion_audience=audience)


def _entra(settings: ProviderSettings, http: HttpClient) -> IdentityProvider:
    from agentctl.providers.entra import from_provider_settings

    return from_provider_settings(settings, http)


PROVIDERS: Final[dict[str, ProviderFactory]] = {
    "local": _local,
    "oidc": _oidc,
    "entra": _entra,
}
# Kinds that have a profile value but no dedicated module yet. Each publishes OIDC discovery, so
# `--kind oidc` with the same issuer works for what the metadata advertises.
PLANNED: Final = ("okta", "keycloak", "auth0")


def get_provider(kind: str, settings: ProviderSettings, http: HttpClient) -> IdentityProvider:
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
    """ProviderSettings from resolved profile settings. For an Entra profile, `options` carries
    the tenant, the admin app and its secret (or certificate bundle), the blueprint and its
    secret, read from the environment or the profile's secret store."""
    options: tuple[tuple[str, Any], ...] = ()
    if settings.kind.value == "entra":
        options = tuple(_entra_options(settings).items())
    elif settings.profile.grants:
        # Pinned by `agentctl profile set NAME --grant …` (the metadata under-advertises).
        options = (("grants", tuple(settings.profile.grants.split())),)
    return ProviderSettings(
        issuer=settings.issuer.value,
        assertion_audience=settings.assertion_audience.value,
        profile=settings.name.value,
        options=options,
    )


ENTRA_BLUEPRINT_SECRET = "blueprint-secret"  # noqa: S105 - the name of a secret-store entry


def _entra_options(settings: Settings) -> dict[str, Any]:
    from agentctl.config import secrets

    profile = settings.profile
    name = settings.name.value
    store = settings.secret_store.value
    options: dict[str, Any] = {
        "tenant": profile.tenant,
        "admin_client_id": settings.client_id.value,
        "cloud": profile.cloud or "public",
        "blueprint_app_id": profile.blueprint_app_id,
        "public_client_id": profile.public_client_id,
    }
    if settings.client_id.value and settings.auth_method.value != "none":
        if settings.auth_method.value == "private_key_jwt":
            found = secrets.lookup(
                name, store=store, ref=settings.secret_ref.value, what="private-key"
            )
            options["admin_private_key"] = found.value if found else None
        else:
            found = secrets.lookup(name, store=store, ref=settings.secret_ref.value)
            options["admin_secret"] = found.value if found else None
    if profile.blueprint_app_id:
        found = secrets.lookup(name, store=store, ref=None, what=ENTRA_BLUEPRINT_SECRET)
        options["blueprint_secret"] = found.value if found else None
    import os

    # How long Graph calls wait for new objects to propagate (read at call time; issue 15).
    options["propagation_window"] = os.environ.get("AGENTCTL_ENTRA_PROPAGATION_WINDOW") or None
    return {k: v for k, v in options.items() if v is not None}


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
