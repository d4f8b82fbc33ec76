"""Functions from source through the Lambda API, as the tutorial deploys them: a zip of
lambda_function.py with Runtime python3.12 (and a Node.js handler with nodejs22.x) is
packaged by fnhost in the background; the function is Pending, then Active; botocore's
waiters finish; a Python function runs on the generic runtime at once, then on its own
component; a missing handler ends Failed with the ImportModuleError text; updates are
InProgress while the previous code keeps answering; attaching a layer packages it again."""

import json
import time

import botocore.exceptions

from common import client, expect_error, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-exec"

# The tutorial's getting-started function, byte for byte.
TUTORIAL_PY = b'''import json

def lambda_handler(event, context):
    name = event.get("name", "World")
    return {
        "statusCode": 200,
        "body": json.dumps({"message": f"Hello, {name}! This is your first AWS Lambda function."}),
    }
'''

UPDATED_PY = b'''def lambda_handler(event, context):
    # Imported here, not at the top: the module comes from a layer attached later.
    import greeting
    return {"greeting": greeting.TEXT, "name": event.get("name")}
'''

TUTORIAL_JS = b'''export const handler = async (event) => {
  return {
    statusCode: 200,
    body: JSON.stringify({ message: `Hello, ${event.name ?? "World"}! This is your first AWS Lambda function.` }),
  };
};
'''

# Imports inside the handler: the standard library and boto3 load at run time.
LAZY_PY = b'''import os

def lambda_handler(event, context):
    import csv, io
    import boto3
    rows = list(csv.reader(io.StringIO("a,b\\n1,2\\n")))
    return {"rows": rows, "handler": os.environ["_HANDLER"], "boto3": hasattr(boto3, "client")}
'''

# A requirements.txt (here without packages, so nothing is downloaded) is installed while the
# function is packaged: such a function has no fast tier and stays Pending until packaged.
REQUIREMENTS = b"# nothing to install\n"

WAIT = {"Delay": 1, "MaxAttempts": 300}


def code_sha(c, name):
    return c.get_function(FunctionName=name)["Configuration"]["CodeSha256"]


def wait_own_component(c, name, generic):
    """Poll until `name` runs a component of its own (not the generic runtime `generic`)."""
    for _ in range(600):
        sha = code_sha(c, name)
        if sha != generic:
            return sha
        time.sleep(0.5)
    raise AssertionError(f"{name} still runs the generic runtime")


def invoke(c, name, event):
    out = c.invoke(FunctionName=name, Payload=json.dumps(event))
    payload = json.loads(out["Payload"].read())
    return out, payload


c = client()

# 1. Python from source: Pending at once, Active after the waiter, the tutorial's answer. It
#    runs on the generic runtime first (the same component as any new Python function), then
#    on its own snapshot, answering all along.
created = c.create_function(
    FunctionName="tutorial-py",
    Role=ROLE,
    Runtime="python3.12",
    Handler="lambda_function.lambda_handler",
    Code={"ZipFile": zip_of({"lambda_function.py": TUTORIAL_PY})},
)
assert created["State"] == "Pending", created
assert created["StateReasonCode"] == "Creating", created
assert created["StateReason"] == "The function is being created.", created
assert "LastUpdateStatus" not in created, created
assert created["Runtime"] == "python3.12" and created["Handler"] == "lambda_function.lambda_handler"
listed = [f["FunctionName"] for f in c.list_functions()["Functions"]]
assert "tutorial-py" in listed, listed
c.get_waiter("function_active_v2").wait(FunctionName="tutorial-py", WaiterConfig=WAIT)
conf = c.get_function(FunctionName="tutorial-py")["Configuration"]
assert conf["State"] == "Active" and conf["LastUpdateStatus"] == "Successful", conf
assert "StateReason" not in conf, conf
generic = conf["CodeSha256"]
out, payload = invoke(c, "tutorial-py", {"name": "Ada"})
assert out["StatusCode"] == 200 and "FunctionError" not in out, (out, payload)
assert json.loads(payload["body"]) == {
    "message": "Hello, Ada! This is your first AWS Lambda function."
}, payload

c.create_function(
    FunctionName="lazy-py",
    Role=ROLE,
    Runtime="python3.13",
    Handler="lambda_function.lambda_handler",
    Code={"ZipFile": zip_of({"lambda_function.py": LAZY_PY})},
)
c.get_waiter("function_active_v2").wait(FunctionName="lazy-py", WaiterConfig=WAIT)
LAZY_ANSWER = {"rows": [["a", "b"], ["1", "2"]], "handler": "lambda_function.lambda_handler", "boto3": True}
out, payload = invoke(c, "lazy-py", {})
assert payload == LAZY_ANSWER, (out, payload)
own = wait_own_component(c, "tutorial-py", generic)
out, payload = invoke(c, "tutorial-py", {"name": "Ada"})
assert json.loads(payload["body"])["message"].startswith("Hello, Ada!"), payload
lazy_own = wait_own_component(c, "lazy-py", generic)
assert lazy_own != own, (own, lazy_own)
out, payload = invoke(c, "lazy-py", {})
assert payload == LAZY_ANSWER, (out, payload)
conf = c.get_function(FunctionName="tutorial-py")["Configuration"]
assert conf["State"] == "Active" and conf["LastUpdateStatus"] == "Successful", conf
print("ok  python3.12 from source: Pending -> Active on the generic runtime, then its own component")

# A function without a fast tier is refused while Pending.
created = c.create_function(
    FunctionName="pending-py",
    Role=ROLE,
    Runtime="python3.12",
    Handler="lambda_function.lambda_handler",
    Code={"ZipFile": zip_of({"lambda_function.py": TUTORIAL_PY, "requirements.txt": REQUIREMENTS})},
)
assert created["State"] == "Pending", created
err = expect_error("ResourceConflictException", 409, invoke, c, "pending-py", {"name": "Ada"})
assert err["Error"]["Message"].endswith("The function is currently in the following state: Pending"), err
expect_error(
    "ResourceConflictException",
    409,
    c.update_function_code,
    FunctionName="pending-py",
    ZipFile=zip_of({"lambda_function.py": TUTORIAL_PY}),
)
c.get_waiter("function_active_v2").wait(FunctionName="pending-py", WaiterConfig=WAIT)
out, payload = invoke(c, "pending-py", {"name": "Ada"})
assert json.loads(payload["body"])["message"].startswith("Hello, Ada!"), payload
print("ok  refused while Pending")

# 2. The same for Node.js.
created = c.create_function(
    FunctionName="tutorial-js",
    Role=ROLE,
    Runtime="nodejs22.x",
    Handler="index.handler",
    Code={"ZipFile": zip_of({"index.mjs": TUTORIAL_JS})},
)
assert created["State"] == "Pending", created
c.get_waiter("function_active_v2").wait(FunctionName="tutorial-js", WaiterConfig=WAIT)
out, payload = invoke(c, "tutorial-js", {"name": "Grace"})
assert json.loads(payload["body"]) == {
    "message": "Hello, Grace! This is your first AWS Lambda function."
}, payload
print("ok  nodejs22.x from source: Pending -> Active, tutorial answer")

# 3. A handler whose module is not in the zip ends Failed with the reason.
c.create_function(
    FunctionName="no-handler",
    Role=ROLE,
    Runtime="python3.12",
    Handler="missing.lambda_handler",
    Code={"ZipFile": zip_of({"lambda_function.py": TUTORIAL_PY})},
)
try:
    c.get_waiter("function_active_v2").wait(FunctionName="no-handler", WaiterConfig=WAIT)
    raise AssertionError("the waiter succeeded for a function without its handler")
except botocore.exceptions.WaiterError as e:
    assert "failure state" in str(e), e
conf = c.get_function(FunctionName="no-handler")["Configuration"]
assert conf["State"] == "Failed", conf
assert conf["StateReasonCode"] == "FunctionError", conf
assert conf["StateReason"] == (
    "Runtime.ImportModuleError: Unable to import module 'missing': No module named 'missing'"
), conf
err = expect_error("ResourceConflictException", 409, invoke, c, "no-handler", {})
assert err["Error"]["Message"].endswith("in the following state: Failed"), err
print("ok  a missing handler: Failed,", conf["StateReason"])

# 4. Bad requests: an unknown runtime, a deprecated one, source that is not a zip.
expect_error(
    "ValidationException",
    400,
    c.create_function,
    FunctionName="bad-runtime",
    Role=ROLE,
    Runtime="cobol85",
    Handler="x.y",
    Code={"ZipFile": zip_of({"x.py": b""})},
)
err = expect_error(
    "InvalidParameterValueException",
    400,
    c.create_function,
    FunctionName="old-runtime",
    Role=ROLE,
    Runtime="python3.7",
    Handler="x.y",
    Code={"ZipFile": zip_of({"x.py": b""})},
)
assert err["Error"]["Message"].startswith(
    "The runtime parameter of python3.7 is no longer supported"
), err
expect_error(
    "InvalidParameterValueException",
    400,
    c.create_function,
    FunctionName="not-a-zip",
    Role=ROLE,
    Runtime="python3.12",
    Handler="lambda_function.lambda_handler",
    Code={"ZipFile": b"def lambda_handler(e, c): pass\n"},
)
for name in ["bad-runtime", "old-runtime", "not-a-zip"]:
    expect_error("ResourceNotFoundException", 404, c.get_function, FunctionName=name)

# 5. An update is InProgress while the previous code keeps answering; a second update is
#    refused; the updated waiter finishes; the new code runs.
updated = c.update_function_code(
    FunctionName="tutorial-py",
    ZipFile=zip_of({"lambda_function.py": UPDATED_PY, "requirements.txt": REQUIREMENTS}),
)
assert updated["State"] == "Active" and updated["LastUpdateStatus"] == "InProgress", updated
assert updated["LastUpdateStatusReasonCode"] == "Creating", updated
out, payload = invoke(c, "tutorial-py", {"name": "Ada"})
assert "message" in json.loads(payload["body"]), payload
err = expect_error(
    "ResourceConflictException",
    409,
    c.update_function_configuration,
    FunctionName="tutorial-py",
    MemorySize=256,
)
assert "An update is in progress for resource: arn:aws:lambda:" in err["Error"]["Message"], err
c.get_waiter("function_updated_v2").wait(FunctionName="tutorial-py", WaiterConfig=WAIT)
out, payload = invoke(c, "tutorial-py", {"name": "Ada"})
assert out.get("FunctionError") == "Unhandled", (out, payload)
assert payload["errorType"] == "ModuleNotFoundError", payload
print("ok  update: InProgress, old code answers, then the new code runs")

# 6. Attaching a layer packages the function again (its python/ is importable).
layer = c.publish_layer_version(
    LayerName="greeting",
    Content={"ZipFile": zip_of({"python/greeting.py": b"TEXT = 'hi from a layer'\n"})},
    CompatibleRuntimes=["python3.12"],
)
updated = c.update_function_configuration(
    FunctionName="tutorial-py", Layers=[layer["LayerVersionArn"]]
)
assert updated["LastUpdateStatus"] == "InProgress", updated
c.get_waiter("function_updated_v2").wait(FunctionName="tutorial-py", WaiterConfig=WAIT)
out, payload = invoke(c, "tutorial-py", {"name": "Ada"})
assert payload == {"greeting": "hi from a layer", "name": "Ada"}, (out, payload)
conf = c.get_function(FunctionName="tutorial-py")["Configuration"]
assert conf["LastUpdateStatus"] == "Successful" and len(conf["Layers"]) == 1, conf
print("ok  layers attached through the API are packaged in")

print("passed source.py")
