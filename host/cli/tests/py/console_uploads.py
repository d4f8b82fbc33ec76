"""The console on a host with `hello` and `fails` in its manifest: a function created by
uploading a .wasm on #/create, its memory changed on the Configuration tab and seen in the next
REPORT; its grants, outbound hosts and function URL set and removed on that tab; a manifest
function's configuration is read-only; a dead letter of `fails` is
inspected and re-driven from the Dead letters page."""

import base64
import http.client
import json
import time
import urllib.parse

from selenium.webdriver.common.by import By

from console_common import (
    GUESTS, api_ok, browser, digits, find, go, lambda_api, loaded, no_severe, poll, run, select,
    set_value, shot, text_of, visible, wait,
)

NAME = "console-hello"
ARN = f"arn:aws:lambda:us-east-1:000000000000:function:{NAME}"
TAGS = "lambda/2017-03-31/tags/" + urllib.parse.quote(ARN, safe="")
URL_CONFIG = f"/2021-10-31/functions/{NAME}/url"

d = browser()


def configuration(name):
    return api_ok(d, "GET", f"lambda/2015-03-31/functions/{name}")["Configuration"]


def creating_a_function_from_a_wasm_and_changing_its_memory():
    go(d, "#/functions")
    loaded(d, "#functions-table")
    find(d, "#create-function").click()
    wait(d).until(lambda dr: dr.current_url.endswith("#/create"))
    find(d, "#create-form")
    find(d, "#create-name").send_keys(NAME)
    select(d, "#create-runtime", "wasm")
    find(d, "#create-file").send_keys(GUESTS["hello"])
    memory = find(d, "#create-memory")
    memory.clear()
    memory.send_keys("128")
    find(d, "#upload-progress")
    find(d, "#create-submit").click()
    # On Active the console opens the function.
    wait(d, 60).until(lambda dr: f"#/functions/{NAME}" in dr.current_url)
    text_of(d, "#function-title", NAME)
    text_of(d, "#function-state", "Active", timeout=60)
    assert configuration(NAME)["State"] == "Active"
    print(f"ok  created {NAME} from {GUESTS['hello']}: Active")
    shot(d, "create-function")

    find(d, 'button[data-tab="configuration"]').click()
    memory = visible(d, "#config-memory")
    assert memory.is_enabled(), "an uploaded function's memory is editable"
    memory.clear()
    memory.send_keys("256")
    find(d, "#config-save").click()
    wait(d, 30).until(lambda dr: dr.find_element(By.CSS_SELECTOR, "#config-message").text.strip())
    poll("the new memory size", lambda: (lambda c: c["MemorySize"] == 256
                                         and c.get("LastUpdateStatus", "Successful") == "Successful")(configuration(NAME)))
    print("ok  configuration saved: MemorySize 256")
    shot(d, "configuration-memory")

    # Saving scrolled the (long) form; the tabs are at the top, under the sticky header.
    d.execute_script("window.scrollTo(0, 0)")
    find(d, 'button[data-tab="test"]').click()
    select(d, "#test-template", "blank")
    set_value(d, find(d, "#test-event-body"), json.dumps({"name": "Console"}))
    set_value(d, find(d, "#test-event-name"), "hi")
    find(d, "#test-save").click()
    poll("the saved event", lambda: any(e["name"] == "hi" for e in
                                        api_ok(d, "GET", f"functions/{NAME}/test-events")["events"]))
    find(d, "#test-run").click()
    loaded(d, "#test-result", timeout=60)
    log = text_of(d, "#test-log", "Memory Size: 256 MB")
    assert "REPORT RequestId: " in log, log
    response = find(d, "#test-response").get_attribute("textContent")
    assert "Hello, Console!" in response, response
    memory = find(d, '#test-report [data-field="memory"]').get_attribute("textContent")
    assert digits(memory) == 256, memory
    print("ok  the test run's REPORT says Memory Size: 256 MB")
    shot(d, "test-after-memory-change", focus="#test-report")
    no_severe(d)


def fnhost_tags():
    return {k: v for k, v in api_ok(d, "GET", TAGS)["Tags"].items() if k.startswith("fnhost:")}


def saved(needle):
    """Click Save and wait for the success message containing `needle`; returns it."""
    find(d, "#config-save").click()
    message = text_of(d, "#config-message", needle, timeout=30)
    assert "error" not in (find(d, "#config-message").get_attribute("class") or ""), message
    return message


def get_url(url, path):
    """GET `path` of function URL `url` by its Host header: (status, body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=60)
    conn.request("GET", path, headers={"Host": parts.netloc})
    r = conn.getresponse()
    got = (r.status, r.read().decode(errors="replace"))
    conn.close()
    return got


def granting_an_upload_buckets_outbound_hosts_and_a_function_url():
    assert configuration(NAME)["FunctionArn"] == ARN
    go(d, f"#/functions/{NAME}/configuration")
    write = visible(d, "#config-grants-write")
    assert write.is_enabled(), "an uploaded function's grants are editable"
    assert write.get_attribute("value") == "" and fnhost_tags() == {}, fnhost_tags()
    text_of(d, "#config-url-current", "No function URL")
    set_value(d, write, "uploads")
    set_value(d, find(d, "#config-outbound"), "https://api.example.com")
    select(d, "#config-url", "NONE")
    message = saved("function URL NONE")
    print(f"ok  saved: {message.strip()}")
    tags = fnhost_tags()
    assert tags == {"fnhost:objects-write": "uploads",
                    "fnhost:allowed-outbound-hosts": "https://api.example.com"}, tags
    status, answer = lambda_api("GET", URL_CONFIG)
    assert status == 200, (status, answer)
    url_config = json.loads(answer)
    assert url_config["AuthType"] == "NONE" and url_config["FunctionArn"] == ARN, url_config
    url = url_config["FunctionUrl"]
    detail = api_ok(d, "GET", f"functions/{NAME}")
    assert {"type": "url", "detail": url} in detail["triggers"], detail["triggers"]
    assert detail["grants"]["write"] == ["uploads"], detail["grants"]
    assert any("api.example.com" in h for h in detail["allowedOutboundHosts"]), detail["allowedOutboundHosts"]
    text_of(d, "#config-url-current", url)
    text_of(d, "#config-other", url)
    text_of(d, "#config-other", "uploads")
    status, body = get_url(url, "/?name=Url")
    assert status == 200 and "Hello, Url!" in body, (status, body)
    print(f"ok  tags {sorted(tags)} set; {url} answers: {body.strip()[:60]}")
    shot(d, "configuration-grants-url")

    # Lambda's error for an outbound entry with a path shows on the tab; nothing changes.
    set_value(d, find(d, "#config-outbound"), "https://example.com/api")
    find(d, "#config-save").click()
    error = text_of(d, "#config-message", "fnhost:allowed-outbound-hosts", timeout=30)
    assert "error" in find(d, "#config-message").get_attribute("class"), error
    assert "InvalidParameterValueException" in error, error
    assert fnhost_tags() == tags, fnhost_tags()
    print(f"ok  an invalid outbound host is refused: {error.strip()[:120]}")
    shot(d, "configuration-outbound-error")

    # So is UpdateFunctionConfiguration's for a layer version that does not exist.
    missing = "arn:aws:lambda:us-east-1:000000000000:layer:missing:1"
    set_value(d, find(d, "#config-outbound"), "https://api.example.com")
    set_value(d, find(d, "#config-layers"), missing)
    find(d, "#config-save").click()
    error = text_of(d, "#config-message", f"Layer version {missing} does not exist", timeout=30)
    assert configuration(NAME).get("Layers", []) == [], configuration(NAME)
    print(f"ok  a missing layer is refused: {error.strip()}")

    set_value(d, find(d, "#config-layers"), "")
    set_value(d, find(d, "#config-grants-write"), "")
    set_value(d, find(d, "#config-outbound"), "")
    select(d, "#config-url", "")
    saved("no function URL")
    assert fnhost_tags() == {}, fnhost_tags()
    status, answer = lambda_api("GET", URL_CONFIG)
    assert status == 404 and "does not exist" in answer, (status, answer)
    detail = api_ok(d, "GET", f"functions/{NAME}")
    assert not [t for t in detail["triggers"] if t["type"] == "url"], detail["triggers"]
    assert detail["grants"]["write"] == [] and detail["allowedOutboundHosts"] == [], detail
    assert get_url(url, "/?name=Url")[0] == 403
    text_of(d, "#config-url-current", "No function URL")
    assert url not in find(d, "#config-other").text
    print("ok  removing them untags the function and deletes its URL")
    # The refused TagResource and UpdateFunctionConfiguration are the only failed requests.
    no_severe(d, allow=[r"/tags/arn.*status of 400", r"/configuration .*status of 400"])


def reserving_concurrency_and_deleting_the_function():
    go(d, f"#/functions/{NAME}/configuration")
    reserved = visible(d, "#config-reserved")
    assert reserved.is_enabled(), "an uploaded function's reserved concurrency is editable"
    set_value(d, reserved, "0")
    find(d, "#config-save").click()
    poll("the reservation", lambda: api_ok(
        d, "GET", f"lambda/2019-09-30/functions/{NAME}/concurrency").get("ReservedConcurrentExecutions") == 0)
    status, answer = lambda_api("POST", f"/2015-03-31/functions/{NAME}/invocations", {})
    assert status == 429 and "ReservedFunctionConcurrentInvocationLimitExceeded" in answer, (status, answer)
    print("ok  reserved concurrency 0 from the Configuration tab throttles every invocation")
    set_value(d, visible(d, "#config-reserved"), "")
    find(d, "#config-save").click()
    poll("no reservation", lambda: api_ok(
        d, "GET", f"lambda/2019-09-30/functions/{NAME}/concurrency") == {})
    status, answer = lambda_api("POST", f"/2015-03-31/functions/{NAME}/invocations", {})
    assert status == 200, (status, answer)
    print("ok  clearing it lets invocations run again")
    # A saved test event goes with the function, as on Lambda.
    api_ok(d, "PUT", f"functions/{NAME}/test-events/keep", {"event": "{}"})
    status, _ = lambda_api("DELETE", f"/2015-03-31/functions/{NAME}")
    assert status == 204, status
    status, _ = lambda_api("POST", "/2015-03-31/functions", {
        "FunctionName": NAME, "Role": "arn:aws:iam::000000000000:role/console",
        "Runtime": "provided.al2023", "Handler": "handler",
        "Code": {"ZipFile": base64.b64encode(open(GUESTS["hello"], "rb").read()).decode()},
    })
    assert status == 201, status
    assert api_ok(d, "GET", f"functions/{NAME}/test-events")["events"] == []
    print("ok  deleting the function deleted its saved test events")


def a_manifest_functions_configuration_is_read_only():
    go(d, "#/functions/hello/configuration")
    readonly = text_of(d, "#config-readonly", "fnhost.toml")
    assert "line" in readonly, readonly
    assert not visible(d, "#config-memory").is_enabled(), "a manifest function's memory is not editable"
    print(f"ok  hello is read-only: {readonly.strip()}")
    shot(d, "configuration-manifest")
    no_severe(d)


def letters(marker):
    return [letter for letter in api_ok(d, "GET", "dead-letters?function=fails")["deadLetters"]
            if marker in letter["eventPreview"]]


def records():
    return api_ok(d, "GET", "functions/fails/invocations?limit=50")["invocations"]


def redriving_a_dead_letter():
    marker = f"redrive-{time.time_ns()}"
    status, answer = lambda_api("POST", "/2015-03-31/functions/fails/invocations", {"marker": marker},
                                {"X-Amz-Invocation-Type": "Event"})
    assert status == 202, (status, answer)
    go(d, "#/dead-letters")
    (letter,) = poll("the dead letter", lambda: letters(marker), timeout=60)
    assert letter["attempts"] == 3 and letter["function"] == "fails", letter
    ran = len(records())
    assert ran >= 3, f"{ran} invocation records for 3 attempts"
    d.refresh()
    row = find(d, f'#dead-letters-table tr[data-id="{letter["id"]}"]')
    assert "fails" in row.get_attribute("textContent"), row.get_attribute("textContent")
    row.find_element(By.CSS_SELECTOR, "td").click()
    detail = text_of(d, "#dead-letter-detail", marker)
    assert "ValidationError" in detail or "name is required" in detail, detail
    shot(d, "dead-letter-detail")
    row.find_element(By.CSS_SELECTOR, "button.redrive").click()
    confirm = d.find_elements(By.CSS_SELECTOR, "#confirm")
    if confirm and confirm[0].is_displayed():
        find(d, "#confirm-yes").click()
    wait(d, 15).until(lambda dr: not dr.find_elements(
        By.CSS_SELECTOR, f'#dead-letters-table tr[data-id="{letter["id"]}"]'))
    message = wait(d, 15).until(
        lambda dr: dr.find_element(By.CSS_SELECTOR, "#dead-letters-message").text.strip())
    print(f"ok  re-driven from the page: {message}")
    # It ran again (new invocation records), failed again and came back with fresh attempts.
    poll("the re-driven invocations", lambda: len(records()) > ran, timeout=30)
    (again,) = poll("the new dead letter", lambda: [x for x in letters(marker) if x["id"] != letter["id"]],
                    timeout=60)
    assert again["attempts"] == 3, again
    assert all(x["id"] != letter["id"] for x in letters(marker)), "the re-driven letter is gone"
    d.refresh()
    find(d, f'#dead-letters-table tr[data-id="{again["id"]}"]')
    print(f"ok  #{letter['id']} ran {len(records()) - ran} more time(s) and is now #{again['id']}")
    shot(d, "dead-letters-redriven")
    no_severe(d)


try:
    run([
        creating_a_function_from_a_wasm_and_changing_its_memory,
        granting_an_upload_buckets_outbound_hosts_and_a_function_url,
        reserving_concurrency_and_deleting_the_function,
        a_manifest_functions_configuration_is_read_only,
        redriving_a_dead_letter,
    ])
finally:
    d.quit()
