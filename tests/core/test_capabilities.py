from __future__ import annotations

import pytest

from agentctl.core.capabilities import (
    EXCHANGE_MODE,
    IDP_KINDS,
    MODES,
    Support,
    all_capabilities,
    capabilities_for,
    id_jag_issuers,
)
from agentctl.core.questionnaire import question


@pytest.mark.parametrize("idp", IDP_KINDS)
def test_every_idp_answers_for_every_mode(idp: str) -> None:
    caps = capabilities_for(idp)
    assert caps.kind == idp
    assert [name for name, _ in caps.modes] == list(MODES)
    for mode in MODES:
        entry = caps.mode(mode)
        assert entry.flow
        if entry.support is not Support.YES:
            # a "no" or "depends" must say what to do instead, and name a mode that can run
            assert entry.alternative
            assert entry.alternative_mode in MODES
            assert capabilities_for(idp).mode(entry.alternative_mode).support is not Support.NO


def test_the_questionnaire_offers_exactly_the_known_idps() -> None:
    assert question("idp").values == IDP_KINDS
    assert tuple(c.kind for c in all_capabilities()) == IDP_KINDS


def test_keycloak_cannot_delegate() -> None:
    kc = capabilities_for("keycloak")
    assert not kc.supports("hybrid_obo")
    entry = kc.mode("hybrid_obo")
    assert entry.alternative is not None
    assert "azp" in entry.alternative
    assert entry.alternative_mode == "user_scoped"
    assert kc.supports("user_scoped")
    assert kc.supports("agent_identity")
    names = {c.name for c in kc.mode("agent_identity").claims}
    assert {"sub", "azp", "preferred_username"} <= names


def test_entra_hybrid_is_agent_id_obo_with_the_agent_in_azp_not_act() -> None:
    entry = capabilities_for("entra").mode("hybrid_obo")
    assert entry.supported
    assert "Agent ID" in entry.flow
    claims = {c.name: c.meaning for c in entry.claims}
    assert "11" in claims["xms_act_fct"]
    assert "agent" in claims["azp / appid"]
    assert claims["act"].startswith("absent")
    assert entry.maturity == "preview"


def test_hybrid_on_okta_and_auth0_records_act() -> None:
    for idp in ("okta", "auth0", "local"):
        claims = {c.name for c in capabilities_for(idp).mode("hybrid_obo").claims}
        assert "act.sub" in claims, idp


def test_id_jag_roles() -> None:
    assert capabilities_for("okta").id_jag.issuer is Support.YES
    assert capabilities_for("entra").id_jag.issuer is Support.NO
    assert capabilities_for("keycloak").id_jag.issuer is Support.NO
    assert capabilities_for("keycloak").id_jag.receiver is Support.YES
    assert capabilities_for("auth0").id_jag.receiver is Support.YES
    assert capabilities_for("oidc").id_jag.issuer is Support.DEPENDS
    assert id_jag_issuers() == ("okta", "oidc", "local")


def test_unknown_idp_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="valid IdPs: entra, okta, keycloak, auth0, oidc, local"):
        capabilities_for("ping")
    with pytest.raises(ValueError, match="valid modes"):
        capabilities_for("okta").mode("impersonate")


def test_exchange_mode_words() -> None:
    assert EXCHANGE_MODE == {"user_scoped": "user", "hybrid_obo": "obo", "agent_identity": "agent"}
