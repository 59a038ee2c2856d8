"""A real browser on the pages of generated services served by gunicorn.

Debian's headless Chromium, driven through its DevTools protocol by Selenium
and Debian's chromedriver, loads /docs, /pages/ and /admin with every host
but 127.0.0.1 unreachable: no page may need another site, and none may log a
console error (a refused script or style, a missing file). It posts a form
with its CSRF token and signs in and out. A screenshot of each page is kept
in build/artefacts/browser/ for a person to look at (`make test-clients`).
"""

import shutil
from pathlib import Path

import pytest
from serving import EMAIL, PASSWORD, combos_with, features_of

pytestmark = [pytest.mark.slow, pytest.mark.clients]

ARTEFACTS = Path(__file__).resolve().parent.parent / "build" / "artefacts" / "browser"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1024",
    # No network but the service's own address.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
# Operations in /openapi.json: items' and the added resource's five each, and
# the four of /auth with auth (login, me, logout, password).
OPERATIONS = 10
AUTH_OPERATIONS = 4


def program(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: make chromium installs it"
    return path


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = program("chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(
        service=Service(executable_path=program("chromedriver")), options=options
    )
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


class Page:
    """The browser on one served service."""

    def __init__(self, driver, served, combo: str) -> None:
        self.driver = driver
        self.served = served
        self.combo = combo
        driver.delete_all_cookies()
        driver.get_log("browser")  # forget what earlier pages logged

    def open(self, path: str) -> None:
        self.driver.get(self.served.url + path)

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_for(self, css: str, count: int = 1):
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, 60, poll_frequency=0.1).until(
            lambda _: len(self.find(css)) >= count
        )
        return self.find(css)

    def text(self) -> str:
        return self.find("body")[0].text

    def fill(self, **fields: str) -> None:
        for name, value in fields.items():
            element = self.find(f'[name="{name}"]')[0]
            element.clear()
            element.send_keys(value)

    def submit(self, css: str = 'main form button[type="submit"]') -> None:
        self.find(css)[0].click()

    def assert_clean(self, name: str) -> None:
        """No console errors so far; keep a screenshot of the page."""
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(ARTEFACTS / f"{self.combo}-{name}.png"))
        logged = self.driver.get_log("browser")
        errors = [entry for entry in logged if entry["level"] == "SEVERE"]
        assert errors == [], errors


def start(services, browser, combo: str) -> Page:
    served = services.start(combo, 3 if "db" in features_of(combo) else 1)
    return Page(browser, served, combo)


@pytest.mark.parametrize("combo", combos_with("api"))
def test_the_docs_list_every_operation_offline(services, browser, combo):
    page = start(services, browser, combo)
    page.open("/docs")
    auth = AUTH_OPERATIONS if "auth" in features_of(combo) else 0
    operations = page.wait_for(".opblock-summary", OPERATIONS + auth)
    assert len(operations) == OPERATIONS + auth
    assert "/api/orders/{id}" in page.text()
    page.assert_clean("docs")


@pytest.mark.parametrize("combo", combos_with("web"))
def test_pages_post_a_form_and_sign_in_and_out(services, browser, combo):
    page = start(services, browser, combo)
    page.open("/pages/")
    page.wait_for("h1")
    page.assert_clean("pages")

    page.open("/pages/feedback")
    page.fill(name="Ada", message="The pages work without any other site.")
    assert page.find('input[name="csrf_token"]')[0].get_attribute("value")
    page.submit()
    page.wait_for(".flash")
    assert "Thank you for your feedback, Ada." in page.text()
    page.assert_clean("feedback")

    page.open("/pages/login")
    page.wait_for('input[name="email"]')
    page.assert_clean("sign-in")
    page.fill(email=EMAIL, password=PASSWORD)
    page.submit()
    page.wait_for(".flash")
    assert f"Signed in as {EMAIL}." in page.text()
    page.submit('header form button[type="submit"]')
    page.wait_for(".flash")
    assert "Signed out." in page.text()
    page.assert_clean("signed-out")


@pytest.mark.parametrize("combo", combos_with("admin"))
def test_the_admin_site_signs_in_shows_the_models_and_signs_out(
    services, browser, combo
):
    page = start(services, browser, combo)
    page.open("/admin/")
    page.wait_for('input[name="email"]')
    assert page.driver.current_url.startswith(f"{page.served.url}/admin/login/")
    page.assert_clean("admin-sign-in")
    page.fill(email=EMAIL, password=PASSWORD)
    page.submit("form button.btn-primary")
    rows = page.wait_for("table tbody tr")
    names = [row.text.split()[0] for row in rows]
    assert {"Items", "Orders", "Users", "Tokens"} <= set(names), names
    page.assert_clean("admin")
    page.submit('nav form button[type="submit"]')
    page.wait_for('input[name="email"]')
    page.open("/admin/")
    page.wait_for('input[name="email"]')
    assert "/admin/login/" in page.driver.current_url
    page.assert_clean("admin-signed-out")
