"""boto3 end to end: create from a zip, wait, invoke (Tail log, Event, DryRun, errors), list
with pagination, update code and configuration, publish and invoke versions, delete."""

import base64
import json
import uuid

from common import client, create, done, expect_error, fnhost, guest, wait_for, zip_of

c = client()

# Create from a zip holding the .wasm (plus a file that is not code).
hello = guest("hello")
conf = create(
    c,
    "api-hello",
    zip_of({"README.txt": b"not code", "bin/hello.wasm": hello}),
    Description="uploaded hello",
    MemorySize=256,
    Timeout=5,
    Environment={"Variables": {"STAGE": "test"}},
)
assert conf["FunctionName"] == "api-hello", conf
assert conf["Version"] == "$LATEST"
assert conf["Handler"] == "app.handler" and conf["Runtime"] == "provided.al2023", conf
assert conf["CodeSize"] == len(hello), conf
assert len(conf["CodeSha256"]) == 44
assert conf["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:api-hello"
c.get_waiter("function_active_v2").wait(FunctionName="api-hello", WaiterConfig={"Delay": 1})
c.get_waiter("function_updated_v2").wait(FunctionName="api-hello", WaiterConfig={"Delay": 1})
got = c.get_function(FunctionName="api-hello")["Configuration"]
assert got["State"] == "Active" and got["LastUpdateStatus"] == "Successful", got
assert got["Environment"] == {"Variables": {"STAGE": "test"}}, got

# Sync invoke with the log tail.
r = c.invoke(FunctionName="api-hello", Payload=json.dumps({"name": "Ada"}), LogType="Tail")
assert r["StatusCode"] == 200 and r["ExecutedVersion"] == "$LATEST", r
assert "FunctionError" not in r
body = json.loads(r["Payload"].read())
assert "Hello, Ada!" in json.loads(body["body"])["message"], body
log = base64.b64decode(r["LogResult"]).decode()
request_id = r["ResponseMetadata"]["RequestId"]
assert log.startswith(f"START RequestId: {request_id} Version: $LATEST"), log
assert "Hello function invoked for Ada" in log, log
assert f"REPORT RequestId: {request_id}\tDuration: " in log and "Memory Size: 256 MB" in log, log

# Event: 202 at once, then the run shows up in the stored logs.
marker = "Event-" + uuid.uuid4().hex[:8]
r = c.invoke(FunctionName="api-hello", InvocationType="Event", Payload=json.dumps({"name": marker}))
assert r["StatusCode"] == 202, r
assert r["Payload"].read() == b""
line = wait_for(
    "the Event invocation in `fnhost logs`",
    lambda: fnhost("logs", "api-hello", "--filter", marker).strip(),
)
assert line == f"Hello function invoked for {marker}", line

# DryRun only checks.
assert c.invoke(FunctionName="api-hello", InvocationType="DryRun")["StatusCode"] == 204

# A manifest function is listed and invocable through the API; its error keeps status 200.
r = c.invoke(FunctionName="fails", Payload=b"{}")
assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", r
assert json.loads(r["Payload"].read())["errorType"] == "ValidationError"

# Listing, one item per page.
names, marker_arg = [], {}
while True:
    page = c.list_functions(MaxItems=1, **marker_arg)
    assert len(page["Functions"]) <= 1
    names += [f["FunctionName"] for f in page["Functions"]]
    if "NextMarker" not in page:
        break
    marker_arg = {"Marker": page["NextMarker"]}
assert names == ["api-hello", "fails", "hello"], names
assert [f["FunctionName"] for f in c.list_functions()["Functions"]] == names

# New code (a raw .wasm this time): new behaviour.
conf = c.update_function_code(FunctionName="api-hello", ZipFile=guest("greet-query"))
assert conf["RevisionId"] != got["RevisionId"] and conf["CodeSize"] == len(guest("greet-query"))
event = json.dumps({"queryStringParameters": {"name": "Ada", "age": "30"}})
r = c.invoke(FunctionName="api-hello", Payload=event)
assert "안녕하세요 Ada님" in r["Payload"].read().decode(), "greet-query answers now"

# Versions: publish, change $LATEST, invoke both (by name:version, Qualifier, ARNs).
v1 = c.publish_version(FunctionName="api-hello")
assert v1["Version"] == "1" and v1["FunctionArn"].endswith(":api-hello:1"), v1
c.update_function_code(FunctionName="api-hello", ZipFile=zip_of({"hello.wasm": hello}))
r = c.invoke(FunctionName="api-hello", Qualifier="1", Payload=event)
assert r["ExecutedVersion"] == "1" and "안녕하세요" in r["Payload"].read().decode()
r = c.invoke(FunctionName="api-hello:1", Payload=event)
assert r["ExecutedVersion"] == "1"
r = c.invoke(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:api-hello", Payload=b'{"name":"Arn"}')
assert r["ExecutedVersion"] == "$LATEST" and b"Hello, Arn!" in r["Payload"].read()
r = c.invoke(FunctionName="000000000000:function:api-hello", Qualifier="$LATEST", Payload=b'{"name":"P"}')
assert b"Hello, P!" in r["Payload"].read()
versions = [v["Version"] for v in c.list_versions_by_function(FunctionName="api-hello")["Versions"]]
assert versions == ["$LATEST", "1"], versions
listed = [(f["FunctionName"], f["Version"]) for f in c.list_functions(FunctionVersion="ALL")["Functions"]]
assert ("api-hello", "1") in listed, listed

# Configuration update: memory and environment.
conf = c.update_function_configuration(
    FunctionName="api-hello", MemorySize=512, Environment={"Variables": {"STAGE": "prod"}}
)
assert conf["MemorySize"] == 512 and conf["Environment"]["Variables"] == {"STAGE": "prod"}
r = c.invoke(FunctionName="api-hello", Payload=b'{"name":"M"}', LogType="Tail")
assert "Memory Size: 512 MB" in base64.b64decode(r["LogResult"]).decode()
assert c.get_function_configuration(FunctionName="api-hello", Qualifier="1")["MemorySize"] == 256

# Usage counts what ran (records reach the store in batches, a moment after each run).
def usage_when_recorded():
    usage = json.loads(fnhost("usage", "--json"))
    by_name = {u["function"]: u for u in usage["functions"]}
    ran = by_name.get("api-hello", {}).get("requests", 0) >= 8 and "fails" in by_name
    return usage if ran else None


usage = wait_for("the invocation records", usage_when_recorded)
assert {u["function"]: u["errors"] for u in usage["functions"]} == {"api-hello": 0, "fails": 1}, usage
assert usage["total"]["gbSeconds"] > 0 and usage["netCostUsd"] == 0, usage

# Delete: gone from invoke, get and list.
c.delete_function(FunctionName="api-hello", Qualifier="1")
expect_error("ResourceNotFoundException", 404, c.invoke, FunctionName="api-hello", Qualifier="1")
c.delete_function(FunctionName="api-hello")
expect_error("ResourceNotFoundException", 404, c.invoke, FunctionName="api-hello")
expect_error("ResourceNotFoundException", 404, c.get_function, FunctionName="api-hello")
assert [f["FunctionName"] for f in c.list_functions()["Functions"]] == ["fails", "hello"]
done()
