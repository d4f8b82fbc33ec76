"""SigV4 on a non-loopback admin listener: the configured keys work (boto3 and the aws CLI,
names and ARNs in the path, a qualifier in the query); a wrong secret, an unknown key, no
signature and a request dated 20 minutes ago get 403 with AWS's error codes."""

import datetime
import json
import os
import subprocess
import urllib.error
import urllib.request
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore import UNSIGNED

from common import ADMIN, client, done, expect_error

KEY, SECRET = os.environ["FNHOST_ACCESS_KEY_ID"], os.environ["FNHOST_SECRET_ACCESS_KEY"]
good = client(KEY, SECRET)
r = good.invoke(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:hello", Qualifier="$LATEST", Payload=b'{"name":"Signed"}')
assert b"Hello, Signed!" in r["Payload"].read(), r
names = [f["FunctionName"] for f in good.list_functions(MaxItems=1)["Functions"]]
assert names == ["fails"], names
good.get_function(FunctionName="hello")

r = expect_error("InvalidSignatureException", 403, client(KEY, "wrong-secret").list_functions)
assert r["Error"]["Message"].startswith("The request signature we calculated does not match"), r
expect_error("InvalidSignatureException", 403, client(KEY, "wrong-secret").invoke, FunctionName="hello", Payload=b"{}")
expect_error("UnrecognizedClientException", 403, client("AKIDUNKNOWN", SECRET).list_functions)
expect_error("MissingAuthenticationTokenException", 403, client(signature_version=UNSIGNED).list_functions)

# A correct signature made 20 minutes ago.
request = botocore.awsrequest.AWSRequest(method="GET", url=ADMIN + "/2015-03-31/functions/")
past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
with mock.patch("botocore.auth.get_current_datetime", return_value=past):
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(KEY, SECRET), "lambda", "us-east-1").add_auth(request)
try:
    urllib.request.urlopen(urllib.request.Request(request.url, headers=dict(request.headers)))
    raise AssertionError("an expired signature was accepted")
except urllib.error.HTTPError as e:
    body = json.loads(e.read())
    assert e.code == 403 and e.headers["x-amzn-ErrorType"] == "InvalidSignatureException", e.headers
    assert body["message"].startswith("Signature expired: "), body
    print("ok  403 InvalidSignatureException:", body["message"])

# The aws CLI with the right keys.
env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1")
out = subprocess.run(
    ["aws", "lambda", "list-functions", "--endpoint-url", ADMIN, "--output", "json"],
    capture_output=True, text=True, env=env, timeout=60,
)
assert out.returncode == 0, out.stderr
assert [f["FunctionName"] for f in json.loads(out.stdout)["Functions"]] == ["fails", "hello"]
env["AWS_SECRET_ACCESS_KEY"] = "wrong"
out = subprocess.run(
    ["aws", "lambda", "list-functions", "--endpoint-url", ADMIN], capture_output=True, text=True, env=env, timeout=60
)
assert out.returncode != 0 and "InvalidSignatureException" in out.stderr, out.stderr
print("ok  aws CLI: right keys list, a wrong secret gets InvalidSignatureException")
done()
