"""Lambda layers through the real boto3: PublishLayerVersion and friends with Lambda's shapes,
numbering and errors; a function's Layers and EphemeralStorage; /opt and /var/task readable by
the guest (functions/tmp-probe) at run time; every refused change leaves the function as it was.
"""

import base64
import hashlib
import json

from common import client, create, done, expect_error, guest, zip_of

ARN = "arn:aws:lambda:us-east-1:000000000000:layer:"

c = client()


def invoke(name, event):
    out = c.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    body = json.loads(out["Payload"].read())
    assert "FunctionError" not in out, body
    return body


# A small local "package" laid out as `pip install -t python` would: no network needed.
one = zip_of({
    "python/mylib/__init__.py": "VALUE = 'from layer one'\n",
    "python/shared.txt": "one",
})
two = zip_of({"python/shared.txt": "two", "bin/tool": "#!/bin/sh\n"})

# Publish: 201, Version 1 then 2, Lambda's response shape.
r = c.publish_layer_version(LayerName="libs", Content={"ZipFile": one},
                            CompatibleRuntimes=["python3.12"], LicenseInfo="MIT")
assert r["ResponseMetadata"]["HTTPStatusCode"] == 201, r
assert r["Version"] == 1 and r["LayerArn"] == ARN + "libs", r
assert r["LayerVersionArn"] == ARN + "libs:1", r
assert r["Description"] == "" and r["LicenseInfo"] == "MIT", r
assert r["CompatibleRuntimes"] == ["python3.12"] and r["CompatibleArchitectures"] == [], r
assert r["Content"]["CodeSize"] == len(one), r
assert r["Content"]["CodeSha256"] == base64.b64encode(hashlib.sha256(one).digest()).decode(), r
assert r["CreatedDate"].endswith("+0000"), r
r = c.publish_layer_version(LayerName="libs", Description="second", Content={"ZipFile": two})
assert r["Version"] == 2 and r["Description"] == "second", r
print("ok  published libs:1 and libs:2")

# Get, by number and by ARN; lists newest first; an unknown layer lists nothing.
assert c.get_layer_version(LayerName="libs", VersionNumber=1)["Content"]["CodeSize"] == len(one)
assert c.get_layer_version_by_arn(Arn=ARN + "libs:2")["Version"] == 2
versions = c.list_layer_versions(LayerName="libs")["LayerVersions"]
assert [v["Version"] for v in versions] == [2, 1], versions
assert "Content" not in versions[0] and "LayerArn" not in versions[0], versions
assert c.list_layer_versions(LayerName="nope")["LayerVersions"] == []
layers = c.list_layers()["Layers"]
assert [(l["LayerName"], l["LatestMatchingVersion"]["Version"]) for l in layers] == [("libs", 2)], layers
matching = c.list_layers(CompatibleRuntime="python3.12")["Layers"]
assert [l["LatestMatchingVersion"]["Version"] for l in matching] == [1], matching
paged = c.list_layer_versions(LayerName="libs", MaxItems=1)
assert len(paged["LayerVersions"]) == 1 and "NextMarker" in paged, paged
rest = c.list_layer_versions(LayerName="libs", Marker=paged["NextMarker"])["LayerVersions"]
assert [v["Version"] for v in rest] == [1], rest

# Missing versions: Lambda's 404 text.
e = expect_error("ResourceNotFoundException", 404, c.get_layer_version, LayerName="libs", VersionNumber=9)
assert e["Error"]["Message"] == "The resource you requested does not exist.", e
expect_error("ResourceNotFoundException", 404, c.get_layer_version_by_arn, Arn=ARN + "nope:1")

# Delete is idempotent, numbers are never reused: publish after deleting 3 gives 4.
tmp = c.publish_layer_version(LayerName="libs", Content={"ZipFile": two})["Version"]
assert tmp == 3, tmp
assert c.delete_layer_version(LayerName="libs", VersionNumber=3)["ResponseMetadata"]["HTTPStatusCode"] == 204
c.delete_layer_version(LayerName="libs", VersionNumber=3)
expect_error("ResourceNotFoundException", 404, c.get_layer_version, LayerName="libs", VersionNumber=3)
assert c.publish_layer_version(LayerName="libs", Content={"ZipFile": two})["Version"] == 4
print("ok  numbering continues after delete")

# A function with its own files, layers and a 1 GB /tmp.
package = zip_of({"probe.wasm": guest("tmp-probe"), "data/hello.txt": "hello from /var/task"})
r = create(c, "probe", package, Layers=[ARN + "libs:1"], EphemeralStorage={"Size": 1024})
assert r["Layers"] == [{"Arn": ARN + "libs:1", "CodeSize": len(one)}], r
assert r["EphemeralStorage"] == {"Size": 1024}, r
got = invoke("probe", {"read": "/opt/python/mylib/__init__.py"})
assert got["ok"] and "from layer one" in got["text"], got
got = invoke("probe", {"read": "/var/task/data/hello.txt"})
assert got["ok"] and got["text"] == "hello from /var/task", got
print("ok  /opt and /var/task readable")

# Layers in order, later ones override earlier files (update-function-configuration --layers).
c.publish_layer_version(LayerName="other", Content={"ZipFile": two})
r = c.update_function_configuration(FunctionName="probe", Layers=[ARN + "libs:1", ARN + "other:1"])
assert [l["Arn"] for l in r["Layers"]] == [ARN + "libs:1", ARN + "other:1"], r
assert invoke("probe", {"read": "/opt/python/shared.txt"})["text"] == "two"
assert invoke("probe", {"read": "/opt/python/mylib/__init__.py"})["ok"]
r = c.update_function_configuration(FunctionName="probe", Layers=[ARN + "other:1", ARN + "libs:1"])
assert invoke("probe", {"read": "/opt/python/shared.txt"})["text"] == "one"
before = c.get_function_configuration(FunctionName="probe")

# Refused changes, each with Lambda's error; the configuration stays as it was.
six = [ARN + f"l{i}:1" for i in range(6)]
e = expect_error("InvalidParameterValueException", 400, c.update_function_configuration,
                 FunctionName="probe", Layers=six)
assert e["Error"]["Message"] == "Cannot reference more than 5 layers.", e
e = expect_error("InvalidParameterValueException", 400, c.update_function_configuration,
                 FunctionName="probe", Layers=[ARN + "libs:1", ARN + "libs:2"])
assert e["Error"]["Message"] == (
    "Two different versions of the same layer are not allowed to be referenced in the same "
    f"function. {ARN}libs:1 and {ARN}libs:2 are versions of the same layer."), e
e = expect_error("InvalidParameterValueException", 400, c.update_function_configuration,
                 FunctionName="probe", Layers=[ARN + "libs:9"])
assert e["Error"]["Message"] == f"Layer version {ARN}libs:9 does not exist.", e
# A deleted version cannot be newly attached.
e = expect_error("InvalidParameterValueException", 400, c.update_function_configuration,
                 FunctionName="probe", Layers=[ARN + "libs:3"])
assert e["Error"]["Message"] == f"Layer version {ARN}libs:3 does not exist.", e
e = expect_error("InvalidParameterValueException", 400, c.update_function_configuration,
                 FunctionName="probe", Layers=["arn:aws:lambda:eu-west-1:000000000000:layer:libs:1"])
assert "expected to be in region us-east-1" in e["Error"]["Message"], e
expect_error("ValidationException", 400, c.update_function_configuration,
             FunctionName="probe", Layers=[ARN + "libs"])
expect_error("ValidationException", 400, c.update_function_configuration,
             FunctionName="probe", EphemeralStorage={"Size": 10241})
# (Size 511 is refused by botocore itself, client-side; the server's check is unit-tested.)
e = expect_error("InvalidParameterValueException", 400, c.update_function_configuration,
                 FunctionName="probe", Environment={"Variables": {"LAMBDA_TASK_ROOT": "/x"}})
assert e["Error"]["Message"].endswith("Reserved keys used in this request: LAMBDA_TASK_ROOT"), e

# Too big together: a layer of (almost) 250 MB of zeros plus the function's own files.
limit = 262_144_000
big = zip_of({"zeros.bin": bytes(limit - 100)})
assert len(big) < 1_000_000
assert c.publish_layer_version(LayerName="big", Content={"ZipFile": big})["Version"] == 1
function_bytes = len(guest("tmp-probe")) + len("hello from /var/task")
e = expect_error("InvalidParameterValueException", 400, c.update_function_configuration,
                 FunctionName="probe", Layers=[ARN + "big:1"])
assert e["Error"]["Message"] == (
    f"Function code combined with layers exceeds the maximum allowed size of {limit} bytes. "
    f"The actual size is {limit - 100 + function_bytes} bytes."), e
expect_error("InvalidParameterValueException", 400, create, c, "too-big", package,
             Layers=[ARN + "big:1"])
expect_error("ResourceNotFoundException", 404, c.get_function, FunctionName="too-big")

after = c.get_function_configuration(FunctionName="probe")
for key in ("Layers", "EphemeralStorage", "RevisionId", "Environment", "CodeSha256"):
    assert after.get(key) == before.get(key), (key, before.get(key), after.get(key))
assert invoke("probe", {"read": "/opt/python/shared.txt"})["text"] == "one"

# A deleted version keeps working for the function that has it, and still shows there.
c.delete_layer_version(LayerName="other", VersionNumber=1)
assert invoke("probe", {"read": "/opt/bin/tool"})["ok"]
r = c.update_function_configuration(FunctionName="probe", Layers=[ARN + "other:1", ARN + "libs:1"],
                                    Description="kept")
assert [l["Arn"] for l in r["Layers"]] == [ARN + "other:1", ARN + "libs:1"], r

# [] clears; the response then has no Layers.
r = c.update_function_configuration(FunctionName="probe", Layers=[])
assert "Layers" not in r, r
got = invoke("probe", {"exists": "/opt/python/shared.txt"})
assert got == {"ok": True, "exists": False}, got

# The manifest's function: [layer.x] (a directory) and code; EphemeralStorage shown.
m = c.get_function_configuration(FunctionName="declared")
assert m["EphemeralStorage"] == {"Size": 2048}, m
got = invoke("declared", {"read": "/opt/python/fromdir.py"})
assert got["ok"] and got["text"] == "X = 'dir layer'\n", got
got = invoke("declared", {"read": "/opt/python/fromzip.py"})
assert got["ok"] and got["text"] == "Y = 'zip layer'\n", got
got = invoke("declared", {"read": "/opt/python/both.txt"})
assert got["text"] == "zip wins", got
got = invoke("declared", {"read": "/var/task/readme.txt"})
assert got["ok"] and got["text"] == "declared task", got

done()
