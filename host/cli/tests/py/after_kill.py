"""After kill -9 and a restart: every accepted upload is listed and runs; every accepted Event
invocation ran (its line is in the stored logs)."""

import json
import os

from common import client, done, fnhost, wait_for

accepted = [json.loads(line) for line in open(os.environ["FNHOST_TEST_ACCEPTED"]) if line.strip()]
uploads = [a["value"] for a in accepted if a["kind"] == "upload"]
events = [a["value"] for a in accepted if a["kind"] == "event"]
assert uploads and events, f"the burst was killed too early: {len(uploads)} uploads, {len(events)} events"
print(f"accepted before the kill: {len(uploads)} uploads, {len(events)} events")

c = client()
listed = set()
marker = {}
while True:
    page = c.list_functions(**marker)
    listed |= {f["FunctionName"] for f in page["Functions"]}
    if "NextMarker" not in page:
        break
    marker = {"Marker": page["NextMarker"]}
missing = [u for u in uploads if u not in listed]
assert not missing, f"accepted uploads missing after the restart: {missing}"
for name in uploads:
    r = c.invoke(FunctionName=name, Payload=b'{"name":"again"}')
    assert b"Hello, again!" in r["Payload"].read(), name


def all_ran():
    seen = fnhost("logs", "hello", "--filter", "Hello function invoked for burst-")
    ran = {line.rsplit(" ", 1)[-1] for line in seen.splitlines()}
    left = [e for e in events if e not in ran]
    return True if not left else None


wait_for(f"{len(events)} accepted Event invocations to run", all_ran, timeout=120)
print(f"ok  {len(uploads)} uploads listed and runnable, {len(events)} events ran")
done()
