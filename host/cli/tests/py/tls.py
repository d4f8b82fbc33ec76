"""The admin listener over TLS (--admin-tls-cert/--admin-tls-key) with credentials: boto3
trusting the test's CA lists and invokes; a client that does not trust it, and plain HTTP, get
nowhere; a captured RequestResponse signature replayed with `X-Amz-Invocation-Type: Event` added
unsigned is refused (the untouched replay is the control); a signature for another region is
refused."""

import http.client
import json
import os
import ssl
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions

from common import ADMIN, done, expect_error

KEY, SECRET = os.environ["FNHOST_ACCESS_KEY_ID"], os.environ["FNHOST_SECRET_ACCESS_KEY"]
CA = os.environ["FNHOST_TEST_CA"]
assert ADMIN.startswith("https://"), ADMIN


def lambda_client(region="us-east-1", verify=CA):
    return boto3.client(
        "lambda",
        endpoint_url=ADMIN,
        region_name=region,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        verify=verify,
        config=botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60),
    )


good = lambda_client()
names = [f["FunctionName"] for f in good.list_functions()["Functions"]]
assert names == ["fails", "hello"], names
r = good.invoke(FunctionName="hello", Payload=b'{"name":"TLS"}', LogType="Tail")
assert b"Hello, TLS!" in r["Payload"].read(), r
# boto3 signs X-Amz-Invocation-Type, so a queued event gets through.
assert good.invoke(FunctionName="hello", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
print("ok  boto3 over TLS: list-functions, invoke with a log tail, an Event invoke")

# A client that does not trust the test's CA stops at the handshake.
try:
    lambda_client(verify=True).list_functions()
    raise AssertionError("an untrusted certificate was accepted")
except botocore.exceptions.SSLError as e:
    print("ok  untrusted certificate refused:", str(e)[:100])

# Plain HTTP on the TLS port gets no answer from the API.
try:
    with urllib.request.urlopen(ADMIN.replace("https://", "http://") + "/2015-03-31/functions/", timeout=10) as r:
        raise AssertionError(f"plain HTTP was answered: {r.status}")
except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
    print("ok  plain HTTP on the TLS port:", type(e).__name__)

context = ssl.create_default_context(cafile=CA)


def send(request, extra=None):
    headers = dict(request.headers)
    headers.update(extra or {})
    req = urllib.request.Request(request.url, data=request.body, headers=headers, method=request.method)
    try:
        with urllib.request.urlopen(req, context=context, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


# A RequestResponse invoke, signed the way boto3 signs it.
# (An explicit, signed content type: urllib would add a form type of its own.)
captured = botocore.awsrequest.AWSRequest(
    method="POST",
    url=ADMIN + "/2015-03-31/functions/hello/invocations",
    data=b'{"name":"Replay"}',
    headers={"Content-Type": "application/octet-stream"},
)
botocore.auth.SigV4Auth(botocore.credentials.Credentials(KEY, SECRET), "lambda", "us-east-1").add_auth(captured)
captured = captured.prepare()
status, headers, body = send(captured)
assert status == 200 and b"Hello, Replay!" in body, (status, body)
# The same bytes with an unsigned header that would turn it into a queued event.
for header, value in [("X-Amz-Invocation-Type", "Event"), ("X-Amz-Log-Type", "Tail")]:
    status, headers, body = send(captured, {header: value})
    assert status == 403, (header, status, body)
    assert headers.get("x-amzn-ErrorType") == "InvalidSignatureException", (header, headers)
    assert header.lower() in json.loads(body)["message"], body
    print(f"ok  403 replay with unsigned {header}: {json.loads(body)['message']}")

# Signed for another region.
r = expect_error("InvalidSignatureException", 403, lambda_client(region="eu-west-1").list_functions)
assert "region" in r["Error"]["Message"], r
done()
