"""The embedded IdP: a real OAuth 2.0 / OIDC authorization server built on Authlib.

Module layout (import lazily: Authlib loads only when the IdP is used, Flask only when an HTML
page is served, the JWT-based grants and the registration endpoints on their first request):

    constants   URNs, JOSE `typ` values, defaults (base URL http://127.0.0.1:8400, issuers)
    store       SQLite (WAL, BEGIN IMMEDIATE writes, busy_timeout), multi-process safe
    records     reads/writes of issuers, clients, agents, users, delegations, tokens, audit
    models      IssuerConfig, Client (Authlib ClientMixin), Agent, User, TokenRecord
    keys        per-issuer signing keys (ES256/RS256), rotation, JWKS
    secrets     scrypt password hashes, client-secret hashes, ids
    context     IdpContext(store, base_url, bind_host, clock)
    tokens      mint() (sign + record + audit), verify() (inbound token checks)
    policy      scope narrowing, resource/audience targets, invalid_target
    grants      client credentials
    jwt_grants  private_key_jwt auth, ID-JAG redemption (jwt-bearer), loaded on first use
    exchange    RFC 8693 token exchange (impersonation, delegation, ID-JAG issuance)
    endpoints   introspection, revocation, registration (7591), client configuration (7592)
    metadata    RFC 8414 / OIDC discovery documents
    server      IssuerServer (one Authlib AuthorizationServer per issuer), IdpPlugin seam
    userauth    user sign-in and user token issuance (admin route, device flow)
    device      plugin: RFC 8628 device authorization grant + the verification page
    resource    plugin: the demo protected resource per issuer + RFC 9728 metadata
    web         Request/Response on plain WSGI; the request being served; per-request cache
    api         the JSON endpoints (token, introspection, registration, metadata, keys)
    wsgi        create_wsgi_app(ctx): the IdP as one WSGI app (JSON endpoints without Flask)
    app         create_app(ctx): the Flask app for the HTML pages (and the same JSON routes)
    service     IdpService: the in-process Python API used by the CLI and other services
    inprocess   in_process_client(): an httpx client bound to the WSGI app (WSGITransport)
    serve       granian runner for `agentctl idp serve`

Public entry points: `service.IdpService`, `inprocess.in_process_client`, `wsgi.create_wsgi_app`,
`serve.serve`. See docs/idp.md.
"""

from __future__ import annotations
