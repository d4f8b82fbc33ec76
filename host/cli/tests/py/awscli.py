"""The aws CLI (awscli from PyPI) against fnhost: wait, list, invoke with a log tail, and an
upload from a zip file."""

import base64
import json
import os
import subprocess
import tempfile

from common import ADMIN, done, guest, zip_of

env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")


def aws(*args):
    out = subprocess.run(
        ["aws", "lambda", *args, "--endpoint-url", ADMIN], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, f"aws lambda {' '.join(args)}: {out.stderr}"
    return out.stdout


aws("wait", "function-active-v2", "--function-name", "hello")
assert [f["FunctionName"] for f in json.loads(aws("list-functions"))["Functions"]] == ["fails", "hello"]

with tempfile.TemporaryDirectory() as tmp:
    package = zip_of({"hello.wasm": guest("hello")})
    zip_path = os.path.join(tmp, "hello.zip")
    with open(zip_path, "wb") as f:
        f.write(package)
    created = json.loads(
        aws(
            "create-function", "--function-name", "cli-hello", "--runtime", "provided.al2023",
            "--handler", "hello.handler", "--role", "arn:aws:iam::000000000000:role/x",
            "--zip-file", "fileb://" + zip_path,
        )
    )
    assert created["FunctionName"] == "cli-hello", created
    aws("wait", "function-active-v2", "--function-name", "cli-hello")
    out_file = os.path.join(tmp, "out.json")
    meta = json.loads(
        aws("invoke", "--function-name", "cli-hello", "--payload", '{"name":"CLI"}', "--log-type", "Tail", out_file)
    )
    assert meta["StatusCode"] == 200 and meta["ExecutedVersion"] == "$LATEST", meta
    log = base64.b64decode(meta["LogResult"]).decode()
    assert "Hello function invoked for CLI" in log and "REPORT RequestId: " in log, log
    with open(out_file) as f:
        assert "Hello, CLI!" in json.load(f)["body"]
    meta = json.loads(aws("invoke", "--function-name", "fails", "--payload", "{}", out_file))
    assert meta["FunctionError"] == "Unhandled", meta
names = [f["FunctionName"] for f in json.loads(aws("list-functions"))["Functions"]]
assert names == ["cli-hello", "fails", "hello"], names
print("ok  aws lambda wait, list-functions, create-function, invoke")
done()
