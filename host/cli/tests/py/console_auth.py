"""The console with credentials configured (FNHOST_ACCESS_KEY_ID / FNHOST_SECRET_ACCESS_KEY):
it asks for them, refuses a wrong secret, signs in with the right one; a form on another
origin (a page served from 127.0.0.2) that POSTs to the console's API is refused and changes
nothing; logging out ends the session on the server."""

import http.server
import json
import os
import threading
import urllib.error
import urllib.request

from console_common import (
    ADMIN, CONSOLE, api, api_ok, browser, find, go, loaded, no_severe, run, shot, visible, wait,
)

KEY, SECRET = os.environ["FNHOST_ACCESS_KEY_ID"], os.environ["FNHOST_SECRET_ACCESS_KEY"]
COOKIE = "fnhost_console"

d = browser(network_log=True)


def sign_in(secret):
    key = visible(d, "#login-key")
    key.clear()
    key.send_keys(KEY)
    field = find(d, "#login-secret")
    field.clear()
    field.send_keys(secret)
    find(d, "#login-submit").click()


def the_console_asks_for_credentials_and_refuses_a_wrong_secret():
    go(d, "#/functions")
    visible(d, "#login")
    session = api_ok(d, "GET", "session")
    assert session["authRequired"] is True and session["signedIn"] is False, session
    assert api(d, "GET", "overview")[0] == 401
    shot(d, "login")
    sign_in("wrong-secret")
    error = visible(d, "#login-error")
    wait(d).until(lambda _: error.text.strip())
    session = api_ok(d, "GET", "session")
    assert session["signedIn"] is False, session
    assert api(d, "GET", "overview")[0] == 401, "a wrong secret made a session"
    print(f"ok  a wrong secret is refused: {error.text.strip()}")
    shot(d, "login-refused")
    sign_in(SECRET)
    loaded(d, "#functions-table")
    find(d, 'tr[data-function="hello"]')
    session = api_ok(d, "GET", "session")
    assert session["signedIn"] is True and session["accessKeyId"] == KEY, session
    assert session["csrf"], session
    cookie = d.get_cookie(COOKIE)
    assert cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict", cookie
    print("ok  signed in with the right secret (HttpOnly, SameSite=Strict session)")
    shot(d, "signed-in")
    no_severe(d, allow=[r"status of 401"])


def raw_fetch(method, path, headers, body):
    """A fetch from the console's own page with exactly these headers (no CSRF token added)."""
    return d.execute_async_script(
        "const [m, p, h, b, done] = arguments;"
        "fetch(p, {method: m, headers: h, body: b}).then(r => done(r.status), e => done(String(e)));",
        method, path, headers, body,
    )


class Attacker(http.server.BaseHTTPRequestHandler):
    """Serves the page of another origin: two forms that submit themselves to the console."""

    pages = {}

    def do_GET(self):
        page = self.pages.get(self.path)
        self.send_response(200 if page else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write((page or "").encode())

    def log_message(self, *args):
        pass


def form_page(action, enctype, fields):
    inputs = "".join(f"<input name='{n}' value='{v}'>" for n, v in fields)
    return (f"<!doctype html><form id=f method=POST action='{action}' enctype='{enctype}'>{inputs}</form>"
            "<script>document.getElementById('f').submit()</script>")


def response_status(url):
    """The status of the browser's last response for `url`, from its network log."""
    found = None
    for entry in d.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.responseReceived" and message["params"]["response"]["url"] == url:
            found = message["params"]["response"]["status"]
    assert found is not None, f"the browser made no request to {url}"
    return found


def a_cross_site_form_post_is_refused():
    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Attacker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    evil = f"http://127.0.0.2:{server.server_address[1]}"
    # JSON in a text/plain form: the body is `{"event":"{}","pad":"="}`.
    create_event = f"{CONSOLE}api/functions/hello/test-events/x"
    Attacker.pages["/event.html"] = form_page(create_event, "text/plain", [('{"event":"{}","pad":"', '"}')])
    create_function = f"{CONSOLE}api/lambda/2015-03-31/functions"
    Attacker.pages["/function.html"] = form_page(
        create_function, "application/x-www-form-urlencoded", [("FunctionName", "csrf-made"), ("Runtime", "wasm")])
    try:
        for page, target in (("/event.html", create_event), ("/function.html", create_function)):
            d.get_log("performance")
            d.get(evil + page)
            wait(d, 15).until(lambda dr: dr.current_url == target)
            status = response_status(target)
            assert status in (403, 415), f"{page}: the cross-site POST got {status}: {d.page_source[:500]}"
            print(f"ok  a form on {evil} POSTing to {target[len(ADMIN):]} got {status}")
        shot(d, "cross-site-refused")
    finally:
        server.shutdown()
    # Nothing changed: checked with the real session from the console itself.
    go(d, "#/functions")
    loaded(d, "#functions-table")
    events = api_ok(d, "GET", "functions/hello/test-events")["events"]
    assert all(e["name"] != "x" for e in events), events
    assert api(d, "GET", "lambda/2015-03-31/functions/csrf-made")[0] == 404
    names = [f["name"] for f in api_ok(d, "GET", "overview")["functions"]]
    assert names == ["hello"], names
    # The same request from the console's page without its CSRF token is refused too; with it,
    # it works (so the refusals above are the checks, not a broken endpoint).
    body = json.dumps({"event": "{}"})
    status = raw_fetch("PUT", "api/functions/hello/test-events/y", {"Content-Type": "application/json"}, body)
    assert status == 403, f"a PUT without the CSRF token got {status}"
    assert api_ok(d, "PUT", "functions/hello/test-events/y", {"event": "{}"})["name"] == "y"
    assert api(d, "DELETE", "functions/hello/test-events/y")[0] == 204
    print("ok  nothing was created; without the CSRF token the console's own PUT gets 403, with it 200")
    no_severe(d, allow=[r"status of 40[13]", r"status of 415", r"csrf-made - .*status of 404"])


def logging_out_ends_the_session():
    old = d.get_cookie(COOKIE)["value"]
    visible(d, "#logout").click()
    visible(d, "#login")
    assert api(d, "GET", "overview")[0] == 401
    # The old cookie, replayed by hand, no longer works: the session ended on the server.
    request = urllib.request.Request(f"{CONSOLE}api/overview", headers={"Cookie": f"{COOKIE}={old}"})
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("the logged-out session still answers")
    except urllib.error.HTTPError as e:
        assert e.code == 401, e.code
    print("ok  logged out: the console asks again and the old session cookie gets 401")
    shot(d, "logged-out")
    no_severe(d, allow=[r"status of 401"])


try:
    run([
        the_console_asks_for_credentials_and_refuses_a_wrong_secret,
        a_cross_site_form_post_is_refused,
        logging_out_ends_the_session,
    ])
finally:
    d.quit()
