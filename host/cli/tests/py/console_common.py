"""Shared helpers of the console's browser tests: headless Chromium driven by Selenium against
the `/console/` of a running `fnhost up`.

The Rust driver (host/cli/tests/all/console.rs) starts the host and passes what common.py
reads, plus FNHOST_TEST_SCREENSHOTS (the directory every test saves its screenshot in).
The DOM ids and the JSON endpoints used here are the console's contract.
"""

import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ADMIN = os.environ["FNHOST_TEST_ADMIN"]
CONSOLE = ADMIN + "/console/"
SHOTS = os.environ["FNHOST_TEST_SCREENSHOTS"]
GUESTS = json.loads(os.environ["FNHOST_TEST_GUESTS"])
MANIFEST = os.environ["FNHOST_TEST_MANIFEST"]
os.makedirs(SHOTS, exist_ok=True)

# Browser messages that a test provokes on purpose (a refused sign-in, a signed-out call)
# are allowed per test; anything else at level SEVERE fails it.
_console_log = []


def browser(network_log=False):
    """Headless Chromium from Debian (chromium + chromium-driver on PATH), never downloaded."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(arg)
    prefs = {"browser": "ALL"}
    if network_log:
        prefs["performance"] = "ALL"
    options.set_capability("goog:loggingPrefs", prefs)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(120)
    return driver


def wait(driver, timeout=15):
    return WebDriverWait(driver, timeout, poll_frequency=0.05)


def find(driver, css, timeout=15):
    """The first element matching `css`, waiting for it to exist."""
    try:
        return wait(driver, timeout).until(lambda d: d.find_element(By.CSS_SELECTOR, css))
    except TimeoutException:
        shot(driver, "timeout")
        raise AssertionError(f"no element `{css}` within {timeout} s at {driver.current_url}")


def visible(driver, css, timeout=15):
    """The first displayed element matching `css`."""

    def shown(d):
        for e in d.find_elements(By.CSS_SELECTOR, css):
            try:
                if e.is_displayed():
                    return e
            except StaleElementReferenceException:
                pass
        return False

    try:
        return wait(driver, timeout).until(shown)
    except TimeoutException:
        shot(driver, "timeout")
        raise AssertionError(f"no visible `{css}` within {timeout} s at {driver.current_url}")


def loaded(driver, css, timeout=15):
    """The element `css` once it says data-loaded="true"."""
    return find(driver, css + '[data-loaded="true"]', timeout)


def text_of(driver, css, needle, timeout=15):
    """Wait until the element `css` contains `needle`; returns its whole text."""
    seen = [""]

    def has(d):
        try:
            seen[0] = d.find_element(By.CSS_SELECTOR, css).text
        except Exception:
            return False
        return seen[0] if needle in seen[0] else False

    try:
        return wait(driver, timeout).until(has)
    except TimeoutException:
        shot(driver, "timeout")
        raise AssertionError(f"`{needle}` not in `{css}` within {timeout} s; it shows:\n{seen[0]}")


def go(driver, route):
    """Open the console at the hash route `route` (e.g. "#/functions")."""
    driver.get(CONSOLE + route)


def set_value(driver, element, value):
    """Replace an input's or textarea's value as typing would, firing input and change."""
    driver.execute_script(
        "const [e, v] = arguments; e.value = v;"
        "e.dispatchEvent(new Event('input', {bubbles: true}));"
        "e.dispatchEvent(new Event('change', {bubbles: true}));",
        element,
        value,
    )


def select(driver, css, value, timeout=15):
    """Choose the option `value` of the <select> `css`, once it has that option."""
    element = find(driver, css, timeout)
    wait(driver, timeout).until(
        lambda d: any(o.get_attribute("value") == value for o in Select(element).options)
    )
    Select(element).select_by_value(value)
    return element


def shot(driver, name, focus=None):
    """Save a screenshot as <name>.png in the screenshots directory, with the element `focus`
    (a CSS selector) scrolled to the middle of the window when given."""
    if focus:
        driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center'})", driver.find_element(By.CSS_SELECTOR, focus))
    path = os.path.join(SHOTS, name + ".png")
    driver.save_screenshot(path)
    return path


def _drain(driver):
    _console_log.extend(driver.get_log("browser"))


def no_severe(driver, allow=()):
    """The browser's console has logged no SEVERE message but those matching `allow` (regexes)."""
    _drain(driver)
    bad = [
        e
        for e in _console_log
        if e["level"] == "SEVERE" and not any(re.search(a, e["message"]) for a in allow)
    ]
    _console_log.clear()
    assert not bad, "the browser logged errors:\n" + "\n".join(e["message"] for e in bad)


_API = """
const [method, path, body, done] = arguments;
(async () => {
  const session = await (await fetch('/console/api/session', {cache: 'no-store'})).json();
  const headers = {};
  if (body !== null) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && session.csrf) headers['X-Fnhost-Csrf'] = session.csrf;
  const r = await fetch('/console/api/' + path, {method, headers, cache: 'no-store',
                                                   body: body === null ? undefined : body});
  done({status: r.status, text: await r.text()});
})().catch(e => done({status: -1, text: String(e)}));
"""


def api(driver, method, path, body=None):
    """Call the console's JSON API from the page (its session and CSRF token): (status, body).
    The body is parsed as JSON when it is JSON."""
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    r = driver.execute_async_script(_API, method, path, body)
    assert r["status"] != -1, r["text"]
    try:
        return r["status"], json.loads(r["text"])
    except ValueError:
        return r["status"], r["text"]


def api_ok(driver, method, path, body=None):
    status, answer = api(driver, method, path, body)
    assert 200 <= status < 300, f"{method} {path}: {status} {answer}"
    return answer


def lambda_api(method, path, body=None, headers=None):
    """A plain (unsigned, loopback) call of the admin listener's Lambda API: (status, text)."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(ADMIN + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def poll(what, check, timeout=30, every=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def digits(text):
    """The number a cell shows, ignoring thousands separators and units ("1,234 ms" -> 1234)."""
    found = re.search(r"\d[\d,]*(\.\d+)?", text)
    assert found, f"no number in {text!r}"
    return float(found.group(0).replace(",", ""))


def run(tests):
    """Run each test function in order, then print `passed SCRIPT`."""
    for test in tests:
        test()
    print("passed", os.path.basename(sys.argv[0]), flush=True)
