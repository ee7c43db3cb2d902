"""The device verification page in a real headless Chromium (Debian's chromium + chromedriver,
driven by selenium): a device starts RFC 8628 over HTTP, a person signs in on the page, the
device's poll gets the user's tokens. Skipped without chromium/chromedriver, except under
CI=true, where their absence fails the run."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from agentctl.idp import constants as c
from agentctl.idp.service import AgentCredentials
from tests.idp.conftest import PASSWORD, Idp, basic, decode, serving

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def _require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if not missing:
        return
    reason = f"headless browser tests need {' and '.join(missing)} (Debian: chromium-driver)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="agentctl-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    # Explicit binaries: selenium-manager is never consulted, so nothing is downloaded.
    service = Service(executable_path=CHROMEDRIVER)
    browser = webdriver.Chrome(service=service, options=options)
    browser.set_page_load_timeout(20)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def idp() -> Iterator[Idp]:
    with serving() as running:
        yield running


@pytest.fixture
def agent(idp: Idp) -> AgentCredentials:
    idp.user("alice")
    return idp.agent("tv-app")


def start(idp: Idp, agent: AgentCredentials) -> dict[str, Any]:
    r = idp.http.post(
        idp.url("enterprise", "device_authorization"),
        data={"scope": "openid read"},
        auth=basic(agent),
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def poll(idp: Idp, agent: AgentCredentials, device_code: str) -> Any:
    return idp.token({"grant_type": c.GRANT_DEVICE_CODE, "device_code": device_code}, agent)


def fill_and_submit(driver: Any, *, user_code: str | None, username: str, password: str) -> str:
    """Type into the form like a person, press the approve button, return the message."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    if user_code is not None:
        field = driver.find_element(By.ID, "user_code")
        field.clear()
        field.send_keys(user_code)
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    # Mark this document, then wait for a loaded one without the mark: the answer page. Asking
    # about an element of the page being unloaded can fail inside chromedriver ("unhandled
    # inspector error"), so such errors only mean "not yet".
    driver.execute_script("document.documentElement.dataset.submitted = '1'")
    driver.find_element(By.ID, "approve").click()
    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete'"
            " && !document.documentElement.dataset.submitted"
            " && document.getElementById('message') !== null"
        )
    )
    return str(driver.find_element(By.ID, "message").text)


def test_sign_in_on_the_page_gives_the_device_the_users_tokens(
    driver: Any, idp: Idp, agent: AgentCredentials
) -> None:
    from selenium.webdriver.common.by import By

    flow = start(idp, agent)
    assert poll(idp, agent, flow["device_code"]).json()["error"] == "authorization_pending"

    driver.get(flow["verification_uri_complete"])
    assert "Sign in to a device" in driver.title
    assert driver.find_element(By.ID, "user_code").get_attribute("value") == flow["user_code"]
    assert driver.find_element(By.ID, "client").text == "tv-app"

    text = fill_and_submit(driver, user_code=None, username="alice", password=PASSWORD)
    assert text.startswith("Signed in as alice. tv-app may now get your tokens")
    assert "success" in driver.find_element(By.ID, "message").get_attribute("class")
    assert not driver.find_elements(By.ID, "password")

    r = poll(idp, agent, flow["device_code"])
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert decode(tokens["access_token"])["sub"] == "alice"
    assert decode(tokens["id_token"])["aud"] == agent.client_id
    assert tokens["scope"] == "openid read"


def test_wrong_password_shows_an_error_and_the_device_keeps_waiting(
    driver: Any, idp: Idp, agent: AgentCredentials
) -> None:
    from selenium.webdriver.common.by import By

    flow = start(idp, agent)
    driver.get(flow["verification_uri"])  # no code in the URL: the person types it
    assert driver.find_element(By.ID, "user_code").get_attribute("value") == ""
    typed = flow["user_code"].lower()
    text = fill_and_submit(driver, user_code=typed, username="alice", password="wrong password")
    assert text == "Wrong user name or password."
    assert "error" in driver.find_element(By.ID, "message").get_attribute("class")
    # The form is back, with the code and user name kept and the password empty.
    assert driver.find_element(By.ID, "username").get_attribute("value") == "alice"
    assert driver.find_element(By.ID, "password").get_attribute("value") == ""
    r = poll(idp, agent, flow["device_code"])
    assert r.status_code == 400
    assert r.json()["error"] == "authorization_pending"

    # The same form, now with the right password, goes through.
    text = fill_and_submit(driver, user_code=None, username="", password=PASSWORD)
    assert text.startswith("Signed in as alice.")
    assert poll(idp, agent, flow["device_code"]).status_code == 200
