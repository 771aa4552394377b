"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) through Selenium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def chromium_paths() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def chromium() -> Iterator[Any]:
    paths = chromium_paths()
    if paths is None:
        pytest.skip("chromium and chromium-driver are not installed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(paths[1]))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def fill_form(driver: Any, url: str, values: dict[str, str], ticks: list[str]) -> str:
    """Open the form, fill it, tick consent boxes, submit; the status line shown after."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    wait = WebDriverWait(driver, 60)
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
    for name, value in values.items():
        driver.find_element(By.ID, f"f-{name}").send_keys(value)
    for choice in ticks:
        driver.find_element(By.ID, f"c-{choice}").click()
    driver.find_element(By.ID, "send").click()
    wait.until(lambda d: d.find_element(By.ID, "status").text.strip() != "")
    return str(driver.find_element(By.ID, "status").text)
