"""The console on the bundled examples (a copy of the repository's fnhost.toml): the functions
list shows every example with its triggers; a saved S3-put test event on s3-logger shows the
tutorial's Korean line and the REPORT figures; an upload from the Buckets page shows up in the
Logs tab's live tail within 2 s."""

import json
import os
import subprocess
import tempfile
import time
import tomllib
import urllib.parse

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from console_common import (
    MANIFEST, api_ok, browser, digits, find, go, lambda_api, loaded, no_severe, run, select,
    set_value, shot, text_of, visible, wait,
)

with open(MANIFEST, "rb") as f:
    EXAMPLES = tomllib.load(f)["function"]

LINE = "새로운 파일이 감지되었습니다! 버킷: {bucket}, 파일명: {key}"

d = browser()


def shown(css):
    """Whether some element matching `css` is displayed (re-rendered rows count as they are now)."""
    for _ in range(5):
        try:
            return any(e.is_displayed() for e in d.find_elements(By.CSS_SELECTOR, css))
        except StaleElementReferenceException:
            continue
    return False


def cell(row, name):
    return row.find_element(By.CSS_SELECTOR, "td." + name).get_attribute("textContent")


def functions_list_shows_every_example_with_its_triggers():
    go(d, "#/functions")
    loaded(d, "#functions-table")
    rows = d.find_elements(By.CSS_SELECTOR, "#functions-table tr[data-function]")
    listed = sorted(r.get_attribute("data-function") for r in rows)
    assert listed == sorted(EXAMPLES), f"listed {listed}, the manifest has {sorted(EXAMPLES)}"
    for name, config in EXAMPLES.items():
        row = find(d, f'#functions-table tr[data-function="{name}"]')
        assert name in cell(row, "name"), cell(row, "name")
        triggers = cell(row, "triggers")
        for http in config.get("http", []):
            assert http["route"] in triggers, f"{name}: route {http['route']} not in {triggers!r}"
        for s3 in config.get("s3", []):
            assert s3["bucket"] in triggers, f"{name}: bucket {s3['bucket']} not in {triggers!r}"
        for rule in config.get("schedule", []):
            listed = rule["expression"] in triggers or rule.get("name", "\0") in triggers
            assert listed, f"{name}: schedule {rule} not in {triggers!r}"
        assert digits(cell(row, "memory")) == config.get("memory_mb", 128), (name, cell(row, "memory"))
        row.find_element(By.CSS_SELECTOR, "td.sparkline svg")
        print(f"ok  {name}: {' '.join(triggers.split())}")
    # Search narrows the list; clearing it brings every row back.
    set_value(d, find(d, "#functions-search"), "greet")
    wait(d).until(lambda _: not shown('tr[data-function="hello"]'))
    visible(d, 'tr[data-function="greet-query"]')
    visible(d, 'tr[data-function="python-greet"]')
    shot(d, "functions-search")
    set_value(d, find(d, "#functions-search"), "")
    visible(d, 'tr[data-function="hello"]')
    # Sorting by name one way, then the other.
    def order():
        try:
            return [r.get_attribute("data-function")
                    for r in d.find_elements(By.CSS_SELECTOR, "#functions-table tr[data-function]")
                    if r.is_displayed()]
        except StaleElementReferenceException:
            return []
    find(d, 'th[data-sort="name"]').click()
    wait(d).until(lambda _: order() in (sorted(EXAMPLES), sorted(EXAMPLES, reverse=True)))
    first = order()
    find(d, 'th[data-sort="name"]').click()
    wait(d).until(lambda _: order() == first[::-1])
    print(f"ok  sorted by name both ways ({first[0]} .. {first[-1]})")
    shot(d, "functions-list")
    no_severe(d)
    print(f"ok  the functions list shows all {len(EXAMPLES)} examples with their triggers")


def a_saved_s3_put_test_event_runs_on_s3_logger():
    key = "사진/red flower.jpg"
    go(d, "#/functions/s3-logger/test")
    text_of(d, "#function-title", "s3-logger")
    select(d, "#test-template", "s3-put")
    body = find(d, "#test-event-body")
    wait(d).until(lambda _: "Records" in body.get_attribute("value"))
    event = json.loads(body.get_attribute("value"))
    s3 = event["Records"][0]["s3"]
    s3["bucket"]["name"] = "uploads"
    s3["bucket"]["arn"] = "arn:aws:s3:::uploads"
    s3["object"]["key"] = urllib.parse.quote_plus(key, safe="/")
    set_value(d, body, json.dumps(event, indent=2))
    set_value(d, find(d, "#test-event-name"), "upload-photo")
    find(d, "#test-save").click()
    # Saved on the host, and offered by the select after a reload.
    WebDriverWait(d, 10).until(
        lambda _: any(e["name"] == "upload-photo"
                      for e in api_ok(d, "GET", "functions/s3-logger/test-events")["events"]))
    d.refresh()
    select(d, "#test-event-select", "upload-photo")
    wait(d).until(lambda _: "사진" in find(d, "#test-event-body").get_attribute("value")
                  or "%EC%82%AC%EC%A7%84" in find(d, "#test-event-body").get_attribute("value"))
    find(d, "#test-run").click()
    loaded(d, "#test-result", timeout=60)
    line = LINE.format(bucket="uploads", key=key)
    log = text_of(d, "#test-log", line)
    assert "REPORT RequestId: " in log, log
    assert "processed" in find(d, "#test-response").get_attribute("textContent")
    report = {f: find(d, f'#test-report [data-field="{f}"]').get_attribute("textContent")
              for f in ("duration", "billed", "memory", "maxMemory")}
    for field, text in report.items():
        digits(text)
    assert digits(report["memory"]) == 128, report
    assert digits(report["billed"]) >= 1, report
    print(f"ok  test event `upload-photo` on s3-logger: {line} | {report}")
    shot(d, "test-event-s3-logger", focus="#test-report")
    no_severe(d)


def live_entry(driver, needle):
    return driver.execute_script(
        "return [...document.querySelectorAll('#live-log .log-entry')]"
        ".some(e => e.textContent.includes(arguments[0]))",
        needle,
    )


def an_upload_from_the_buckets_page_shows_in_the_live_tail_within_2s():
    go(d, "#/functions/s3-logger/logs")
    find(d, "#live-log")
    logs_tab = d.current_window_handle
    # The tail is connected once an invocation made now shows up in it.
    warm = LINE.format(bucket="uploads", key="warm-up.txt")
    event = subprocess.run([os.environ["FNHOST_BIN"], "generate-event", "s3-put", "--bucket", "uploads",
                            "--key", "warm-up.txt"], capture_output=True, check=True, timeout=60).stdout
    deadline = time.monotonic() + 20
    while True:
        status, answer = lambda_api("POST", "/2015-03-31/functions/s3-logger/invocations", event)
        assert status == 200 and "warm-up.txt" in answer, (status, answer)
        try:
            WebDriverWait(d, 1, poll_frequency=0.05).until(lambda dr: live_entry(dr, warm))
            break
        except TimeoutException:
            assert time.monotonic() < deadline, "the live tail shows no invocation made after it opened"
    print("ok  the live tail shows an API invocation")

    name = "봄 사진.txt"
    path = os.path.join(tempfile.mkdtemp(), name)
    with open(path, "w") as f:
        f.write("안녕하세요\n")
    d.switch_to.new_window("tab")
    go(d, "#/buckets")
    find(d, 'a[data-bucket="uploads"]').click()
    find(d, "#object-upload").send_keys(path)
    find(d, "#object-upload-submit").click()
    find(d, f'#objects-table tr[data-key="{name}"]', timeout=30)
    uploaded = time.monotonic()
    shot(d, "bucket-upload")
    no_severe(d)
    d.switch_to.window(logs_tab)
    line = LINE.format(bucket="uploads", key=name)
    left = 2.0 - (time.monotonic() - uploaded)
    assert left > 0, "switching tabs took 2 s"
    try:
        WebDriverWait(d, left, poll_frequency=0.02).until(lambda dr: live_entry(dr, line))
    except Exception:
        shot(d, "live-tail")
        entries = [e.get_attribute("textContent")
                   for e in d.find_elements(By.CSS_SELECTOR, "#live-log .log-entry")]
        raise AssertionError(f"`{line}` not in the live tail 2 s after the upload; it has {entries}")
    took = time.monotonic() - uploaded
    print(f"ok  the upload's line was in the live tail {took * 1000:.0f} ms after the upload")
    shot(d, "live-tail")
    no_severe(d)


def the_list_shows_the_runtime_of_source_functions():
    go(d, "#/functions")
    loaded(d, "#functions-table")
    for name, config in EXAMPLES.items():
        if "runtime" in config:
            row = find(d, f'#functions-table tr[data-function="{name}"]')
            assert config["runtime"] in cell(row, "runtime"), f"{name}: runtime {cell(row, 'runtime')!r}"
            print(f"ok  {name}: {cell(row, 'runtime')}")
    no_severe(d)


try:
    run([
        functions_list_shows_every_example_with_its_triggers,
        a_saved_s3_put_test_event_runs_on_s3_logger,
        an_upload_from_the_buckets_page_shows_in_the_live_tail_within_2s,
        the_list_shows_the_runtime_of_source_functions,
    ])
finally:
    d.quit()
