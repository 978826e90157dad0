"""Signing in through the real login page in headless Chromium."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_signs_in_and_sees_the_home_page(page, live_server, login, manager, screenshot):
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    screenshot("login")
    login("manager", "manager-pass-2026")
    assert page.locator("h1").first.is_visible()
    assert page.get_by_role("navigation").get_by_text("Home").is_visible()
    screenshot("home-manager")


def test_wrong_password_shows_an_error(page, live_server, manager):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "correct username and password" in page.locator("[role=alert]").inner_text()
