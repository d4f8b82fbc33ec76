"""/metrics parses with prometheus_client's text parser and its counters match what ran."""

import json
import os
import threading
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from common import ADMIN, client, done, expect_error

c = client()
for i in range(5):
    assert c.invoke(FunctionName="hello", Payload=json.dumps({"name": f"n{i}"}))["StatusCode"] == 200
for _ in range(3):
    assert c.invoke(FunctionName="fails", Payload=b"{}")["FunctionError"] == "Unhandled"
holder = threading.Thread(target=lambda: client().invoke(FunctionName="sleepy", Payload=b'{"ms": 1500}'))
holder.start()
time.sleep(0.5)
expect_error("TooManyRequestsException", 429, c.invoke, FunctionName="sleepy", Payload=b'{"ms": 1}')
expect_error("TooManyRequestsException", 429, c.invoke, FunctionName="sleepy", Payload=b'{"ms": 1}')


def scrape():
    """Samples by (name, labels without `node`); every sample is labelled with the host's node."""
    with urllib.request.urlopen(ADMIN + "/metrics") as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
        text = r.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = dict(s.labels)
            assert labels.pop("node", None) == os.environ["EXPECT_NODE"], s
            samples[(s.name, tuple(sorted(labels.items())))] = s.value
    return samples


during = scrape()
assert during[("fnhost_concurrent_executions", (("function", "sleepy"),))] == 1, during
holder.join()
m = scrape()


def get(name, **labels):
    return m[(name, tuple(sorted(labels.items())))]


assert get("fnhost_invocations_total", function="hello") == 5
assert get("fnhost_invocations_total", function="fails") == 3
assert get("fnhost_invocations_total", function="sleepy") == 1
assert get("fnhost_errors_total", function="fails", error_type="ValidationError") == 3
assert ("fnhost_errors_total", (("error_type", "ValidationError"), ("function", "hello"))) not in m
assert get("fnhost_throttles_total", function="sleepy") == 2
assert get("fnhost_throttles_total", function="hello") == 0
assert get("fnhost_duration_seconds_count", function="hello") == 5
assert get("fnhost_duration_seconds_bucket", function="hello", le="+Inf") == 5
assert get("fnhost_duration_seconds_bucket", function="sleepy", le="1.0") == 0
assert get("fnhost_duration_seconds_bucket", function="sleepy", le="2.5") == 1
assert 1.4 < get("fnhost_duration_seconds_sum", function="sleepy") < 2.5
assert get("fnhost_concurrent_executions", function="sleepy") == 0
# hello: 128 MB, each run billed at least 1 ms.
assert 5 * 0.001 * 0.125 <= get("fnhost_gb_seconds_total", function="hello") < 1
assert get("fnhost_dead_letters") == 0
assert get("fnhost_invocation_records_dropped_total") == 0
print("ok  /metrics counters match: 5 hello, 3 fails errors, 1 sleepy run, 2 throttles")
print(f"ok  every sample is labelled node={os.environ['EXPECT_NODE']!r}")
done()
