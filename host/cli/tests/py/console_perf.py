"""The console with 1,000 functions and 1,000,000 invocation records in the store (seeded by
console.rs): the functions list and one function's Monitor tab, timed by the browser
(window.fnhostTimings, Navigation and Resource Timing). The figures are printed on a
`perf {json}` line for the Rust driver; no timing is asserted. What the pages show is checked
against what was seeded."""

import json
import os

from console_common import (
    api_ok, browser, digits, find, go, loaded, no_severe, run, set_value, shot, visible, wait,
)

EXPECT = json.loads(os.environ["FNHOST_TEST_PERF_EXPECT"])
RECORDS_PER_FUNCTION = 1000
FIGURES = {}

d = browser()


def timing(page):
    return d.execute_script("return (window.fnhostTimings || {})[arguments[0]]", page)


def forget(page):
    d.execute_script("if (window.fnhostTimings) delete window.fnhostTimings[arguments[0]]", page)


def measured(page, css):
    """The page's own figure once `css` is loaded and the page has set it."""
    loaded(d, css, timeout=120)
    return wait(d, 30).until(lambda _: timing(page))


def resource_ms(fragment):
    """The duration of the newest fetch whose URL contains `fragment` (Resource Timing)."""
    return d.execute_script(
        "const e = performance.getEntriesByType('resource').filter(r => r.name.includes(arguments[0]));"
        "return e.length ? e[e.length - 1].duration : null;",
        fragment,
    )


def navigation():
    return d.execute_script(
        "const n = performance.getEntriesByType('navigation')[0];"
        "return {responseEnd: n.responseEnd, domContentLoaded: n.domContentLoadedEventEnd,"
        " load: n.loadEventEnd};"
    )


def the_functions_list():
    runs = []
    go(d, "#/functions")
    for attempt in range(3):
        if attempt:
            d.refresh()
        ms = measured("functions", "#functions-table")
        runs.append(dict(fnhostMs=ms, overviewFetchMs=resource_ms("/console/api/overview"), **navigation()))
        print(f"functions list: {ms:.0f} ms (page load {attempt + 1}; {runs[-1]})")
    FIGURES["functionsList"] = runs
    shot(d, "perf-functions-list")
    # Any function is found, and its row shows what was seeded for the last 24 h.
    for name, want in EXPECT.items():
        set_value(d, find(d, "#functions-search"), name)
        row = visible(d, f'#functions-table tr[data-function="{name}"]')
        got = {k: digits(row.find_element("css selector", "td." + k).get_attribute("textContent"))
               for k in ("invocations", "errors")}
        assert got == {k: float(v) for k, v in want.items()}, f"{name}: the row shows {got}, seeded {want}"
        print(f"ok  {name}: {got['invocations']:.0f} invocations, {got['errors']:.0f} errors in 24 h")
    set_value(d, find(d, "#functions-search"), "")
    no_severe(d)


def the_monitor_tab():
    name = sorted(EXPECT)[len(EXPECT) // 2]
    go(d, "#/functions")
    loaded(d, "#functions-table", timeout=120)
    runs = []
    forget("monitor")
    d.execute_script("location.hash = arguments[0]", f"#/functions/{name}/monitor")
    ms = measured("monitor", "#tab-monitor")
    runs.append({"range": "default", "fnhostMs": ms})
    print(f"monitor: {ms:.0f} ms (from the functions list)")
    for metric in ("invocations", "errors", "throttles", "duration", "concurrency", "queue"):
        find(d, f'#tab-monitor svg.chart[data-metric="{metric}"]')
    for range_ in ("1h", "24h", "7d"):
        forget("monitor")
        find(d, f'button[data-range="{range_}"]').click()
        ms = measured("monitor", "#tab-monitor")
        runs.append({"range": range_, "fnhostMs": ms, "metricsFetchMs": resource_ms(f"range={range_}")})
        print(f"monitor {range_}: {ms:.0f} ms")
        shot(d, f"perf-monitor-{range_}")
    forget("monitor")
    d.refresh()
    ms = measured("monitor", "#tab-monitor")
    runs.append(dict(range="reload", fnhostMs=ms, **navigation()))
    print(f"monitor: {ms:.0f} ms (page load)")
    FIGURES["monitor"] = runs
    # The charts' data is what was seeded: its last-24-h records, and all of them in 7 d.
    for range_, want in (("24h", EXPECT[name]["invocations"]), ("7d", RECORDS_PER_FUNCTION)):
        points = api_ok(d, "GET", f"functions/{name}/metrics?range={range_}")["points"]
        assert len(points) == {"24h": 24, "7d": 168}[range_], len(points)
        total = sum(p["invocations"] for p in points)
        assert total == want, f"{name} {range_}: {total} invocations in the points, seeded {want}"
    errors = sum(sum(p["errors"].values()) for p in
                 api_ok(d, "GET", f"functions/{name}/metrics?range=24h")["points"])
    assert errors == EXPECT[name]["errors"], (errors, EXPECT[name])
    print(f"ok  {name}'s metrics add up to the seeded records")
    no_severe(d)


try:
    run([the_functions_list, the_monitor_tab])
    print("perf " + json.dumps(FIGURES), flush=True)
finally:
    d.quit()
