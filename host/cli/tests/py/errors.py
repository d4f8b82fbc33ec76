"""Every error row of the Lambda API as AWS sends it, produced with boto3; and refused uploads
(non-wasm, truncated wasm, a zip bomb, a `../` name) leave the state directory unchanged.

The host runs with --code-storage-limit 200000 and --queue-timeout-ms 100, and `sleepy`
(hostile-sleep) has reserved_concurrency = 1."""

import json
import os
import threading
import zipfile

from common import client, create, done, expect_error, guest, state_snapshot, zip_of

c = client()
hello = guest("hello")

# --- uploads that must leave nothing behind -----------------------------------------------
before = state_snapshot()
expect_error("InvalidParameterValueException", 400, create, c, "text", zip_of({"app.wasm": b"this is not wasm at all"}))
expect_error("InvalidParameterValueException", 400, create, c, "raw-text", b"plain text, neither zip nor wasm")
expect_error("InvalidParameterValueException", 400, create, c, "truncated", hello[: len(hello) // 2])
expect_error("InvalidParameterValueException", 400, create, c, "cut-zip", zip_of({"a.wasm": hello})[:5000])
bomb_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bomb-{os.getpid()}.zip")
with zipfile.ZipFile(bomb_file, "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("bomb.wasm", "w", force_zip64=True) as f:
        zeros = b"\0" * (1 << 20)
        for _ in range(260):
            f.write(zeros)
with open(bomb_file, "rb") as f:
    bomb = f.read()
os.remove(bomb_file)
assert len(bomb) < 2 << 20, len(bomb)
r = expect_error("RequestEntityTooLargeException", 413, create, c, "bomb", bomb)
assert r["Error"]["Message"] == "Unzipped size must be smaller than 262144000 bytes", r
expect_error("ValidationException", 400, create, c, "../evil", zip_of({"a.wasm": hello}))
expect_error("ValidationException", 400, create, c, "x" * 65, zip_of({"a.wasm": hello}))
expect_error("InvalidParameterValueException", 400, create, c, "climb", zip_of({"../../up.wasm": hello}))
expect_error("InvalidParameterValueException", 400, create, c, "absolute", zip_of({"/etc/a.wasm": hello}))
r = expect_error("InvalidParameterValueException", 400, create, c, "two", zip_of({"a.wasm": hello, "b.wasm": hello}))
assert "exactly one" in r["Error"]["Message"], r
expect_error("InvalidParameterValueException", 400, create, c, "none", zip_of({"a.txt": b"x"}))
expect_error("InvalidParameterValueException", 400, create, c, "mem", zip_of({"a.wasm": hello}), MemorySize=20000)
expect_error("InvalidParameterValueException", 400, create, c, "time", zip_of({"a.wasm": hello}), Timeout=901)
r = expect_error(
    "InvalidParameterValueException", 400, create, c, "env", zip_of({"a.wasm": hello}),
    Environment={"Variables": {"BIG": "x" * 5000}},
)
assert "exceeded the 4KB limit" in r["Error"]["Message"]
expect_error(
    "InvalidParameterValueException", 400, create, c, "env", zip_of({"a.wasm": hello}),
    Environment={"Variables": {"AWS_REGION": "x"}},
)
# Over 50 MB zipped (but under the request cap), and a request over 70,167,211 bytes.
stored = zip_of({"a.wasm": os.urandom(52_500_000)}, zipfile.ZIP_STORED)
r = expect_error("RequestEntityTooLargeException", 413, create, c, "big", stored)
assert r["Error"]["Message"] == "Zipped size must be smaller than 52428800 bytes", r
r = expect_error("RequestEntityTooLargeException", 413, create, c, "huge", os.urandom(60_000_000))
assert r["Error"]["Message"] == "Request must be smaller than 70167211 bytes for the CreateFunction operation", r
after = state_snapshot()
assert before == after, f"state changed: {set(before.items()) ^ set(after.items())}"
print("ok  refused uploads left the state directory unchanged")

# --- conflicts ---------------------------------------------------------------------------
create(c, "quota-a", zip_of({"a.wasm": hello}))
r = expect_error("ResourceConflictException", 409, create, c, "quota-a", zip_of({"a.wasm": hello}))
assert r["Error"]["Message"] == "Function already exist: quota-a", r
expect_error("ResourceConflictException", 409, create, c, "hello", zip_of({"a.wasm": hello}))
r = expect_error("ResourceConflictException", 409, c.update_function_code, FunctionName="hello", ZipFile=hello)
assert "fnhost.toml" in r["Error"]["Message"], r
expect_error("ResourceConflictException", 409, c.delete_function, FunctionName="hello")
expect_error("ResourceConflictException", 409, c.update_function_configuration, FunctionName="hello", MemorySize=256)
expect_error("ResourceConflictException", 409, c.publish_version, FunctionName="hello")
expect_error("PreconditionFailedException", 412, c.update_function_configuration, FunctionName="quota-a", Timeout=9, RevisionId="nope")

# --- code storage quota (200,000 bytes: hello fits, greet-query on top does not) ----------
r = expect_error("CodeStorageExceededException", 400, create, c, "quota-b", guest("greet-query"))
assert "--code-storage-limit" in r["Error"]["Message"], r
# The same code again is stored once, so it fits.
create(c, "quota-c", zip_of({"same.wasm": hello}))

# --- not found ---------------------------------------------------------------------------
r = expect_error("ResourceNotFoundException", 404, c.invoke, FunctionName="nope")
assert r["Error"]["Message"] == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope", r
r = expect_error("ResourceNotFoundException", 404, c.invoke, FunctionName="hello", Qualifier="7")
assert r["Error"]["Message"].endswith(":function:hello:7"), r
expect_error("ResourceNotFoundException", 404, c.get_function, FunctionName="nope")
expect_error("ResourceNotFoundException", 404, c.delete_function, FunctionName="nope")
expect_error("ValidationException", 400, c.invoke, FunctionName="../etc")
expect_error("InvalidParameterValueException", 400, c.invoke, FunctionName="hello:1", Qualifier="2")
expect_error("InvalidParameterValueException", 400, c.delete_function, FunctionName="quota-a", Qualifier="$LATEST")

# --- payloads ----------------------------------------------------------------------------
r = expect_error("InvalidRequestContentException", 400, c.invoke, FunctionName="hello", Payload=b"{not json")
assert r["Error"]["Message"].startswith("Could not parse request body into json"), r
r = expect_error("RequestEntityTooLargeException", 413, c.invoke, FunctionName="hello", Payload=b"[" + b"1," * 3_300_000 + b"1]")
assert r["Error"]["Message"] == "Request must be smaller than 6291456 bytes for the InvokeFunction operation", r
r = expect_error(
    "RequestEntityTooLargeException", 413, c.invoke, FunctionName="hello", InvocationType="Event",
    Payload=json.dumps({"pad": "x" * 1_100_000}),
)
assert "too large for the Event invocation type (limit 1048576 bytes)" in r["Error"]["Message"], r

# --- throttling: sleepy runs one at a time and waits 100 ms for a slot ----------------------
started = threading.Event()


def hold():
    started.set()
    client().invoke(FunctionName="sleepy", Payload=json.dumps({"ms": 2000}))


holder = threading.Thread(target=hold)
holder.start()
started.wait()
import time  # noqa: E402

time.sleep(0.5)
r = expect_error("TooManyRequestsException", 429, c.invoke, FunctionName="sleepy", Payload=b'{"ms": 1}')
assert r["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded", r
assert r["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1", r
holder.join()

# --- an unknown path -----------------------------------------------------------------------
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

from common import ADMIN  # noqa: E402

try:
    urllib.request.urlopen(ADMIN + "/2015-03-31/nothing-here")
    raise AssertionError("an unknown path answered 2xx")
except urllib.error.HTTPError as e:
    assert e.code == 404 and e.headers["x-amzn-ErrorType"] == "UnknownOperationException", e.headers
done()
