"""Shared helpers of the API tests: the real boto3 client pointed at a running `fnhost up`.

The Rust driver (host/cli/tests/all/api.rs) starts the host and passes:
FNHOST_TEST_ADMIN (http://ADDR of the admin listener), FNHOST_TEST_STATE (its state dir),
FNHOST_TEST_GUESTS (a JSON object: guest name -> built file), FNHOST_TEST_MANIFEST and FNHOST_BIN.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import zipfile

import boto3
import botocore.config
import botocore.exceptions

ADMIN = os.environ["FNHOST_TEST_ADMIN"]
STATE = os.environ["FNHOST_TEST_STATE"]
GUESTS = json.loads(os.environ["FNHOST_TEST_GUESTS"])
MANIFEST = os.environ["FNHOST_TEST_MANIFEST"]
FNHOST = os.environ["FNHOST_BIN"]


def client(key="test", secret="test", **config):
    """A Lambda client on the admin listener; no retries, so every error is seen as sent."""
    settings = {"retries": {"total_max_attempts": 1}, "read_timeout": 120, "connect_timeout": 10}
    settings.update(config)
    return boto3.client(
        "lambda",
        endpoint_url=ADMIN,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=botocore.config.Config(**settings),
    )


def guest(name):
    """The bytes of the guest in functions/NAME."""
    with open(GUESTS[name], "rb") as f:
        return f.read()


def zip_of(entries, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def create(c, name, code, **extra):
    args = dict(
        FunctionName=name,
        Role="arn:aws:iam::000000000000:role/lambda-exec",
        Runtime="provided.al2023",
        Handler="app.handler",
        Code={"ZipFile": code},
    )
    args.update(extra)
    return c.create_function(**args)


def expect_error(code, status, call, *args, **kwargs):
    """Run `call`, which must fail with `code` and HTTP `status`; returns the error response."""
    try:
        call(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert (got, got_status) == (code, status), f"expected {code} {status}, got {got} {got_status}: {e}"
        print(f"ok  {status} {code}: {e.response['Error'].get('Message', '')[:140]}")
        return e.response
    raise AssertionError(f"expected {code} {status}, the call succeeded")


def state_snapshot():
    """Every file of the state dir with its content hash. Symlinks (the artifact cache shared
    by all tests) are recorded as links, not followed; SQLite's -shm file is a lock index
    that readers write to, not state."""
    snap = {}
    for root, dirs, files in os.walk(STATE, followlinks=False):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, STATE)
            if os.path.islink(path):
                snap[rel] = "link:" + os.readlink(path)
            elif os.path.isfile(path) and not name.endswith("-shm"):
                with open(path, "rb") as f:
                    snap[rel] = hashlib.sha256(f.read()).hexdigest()
            elif os.path.isdir(path):
                snap[rel] = "dir"
    return snap


def fnhost(*args):
    """Run the fnhost binary against the test's manifest and state; returns stdout."""
    out = subprocess.run(
        [FNHOST, "-f", MANIFEST, "--state-dir", STATE, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, f"fnhost {' '.join(args)}: {out.stderr}"
    return out.stdout


def wait_for(what, check, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def done():
    print("passed", os.path.basename(sys.argv[0]))
