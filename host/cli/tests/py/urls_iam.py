"""AWS_IAM function URLs on a host with admin credentials: unsigned requests and requests
signed with a wrong secret get 403 `{"Message":"Forbidden"}`; requests signed by botocore
(service `lambda`) with fnhost's credentials reach the function, whose event names the caller
in `requestContext.authorizer.iam`; a NONE URL on the same host needs no signature."""

import http.client
import json
import os
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from common import client, create, done, guest, zip_of

KEY, SECRET = os.environ["FNHOST_ACCESS_KEY_ID"], os.environ["FNHOST_SECRET_ACCESS_KEY"]
c = client(KEY, SECRET)
create(c, "guarded", zip_of({"bootstrap.wasm": guest("http-echo")}))
c.get_waiter("function_active_v2").wait(FunctionName="guarded", WaiterConfig={"Delay": 1})
url = c.create_function_url_config(FunctionName="guarded", AuthType="AWS_IAM")["FunctionUrl"]
assert c.get_function_url_config(FunctionName="guarded")["AuthType"] == "AWS_IAM"


def send(url, path, method="GET", body=b"", secret=None, path_form=False):
    """Send `method path` to function URL `url` (to 127.0.0.1 with its Host), signed with
    `secret` by botocore's SigV4 for `lambda` when given."""
    parts = urllib.parse.urlsplit(url)
    url_id = parts.hostname.split(".")[0]
    target = f"/lambda-url/{url_id}{path}" if path_form else path
    host = f"127.0.0.1:{parts.port}" if path_form else parts.netloc
    headers = {"Content-Type": "application/json"} if body else {}
    if secret is not None:
        request = botocore.awsrequest.AWSRequest(method=method, url=f"http://{host}{target}", data=body, headers=headers)
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(KEY, secret), "lambda", "us-east-1").add_auth(request)
        headers = dict(request.headers)
    headers["Host"] = host
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=60)
    conn.request(method, target, body=body or None, headers=headers)
    r = conn.getresponse()
    got = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    conn.close()
    return got


status, headers, body = send(url, "/private")
assert (status, body) == (403, b'{"Message":"Forbidden"}'), (status, body)
assert headers["x-amzn-errortype"] == "AccessDeniedException", headers
status, _, body = send(url, "/private", secret="wrong-secret")
assert (status, body) == (403, b'{"Message":"Forbidden"}'), (status, body)

status, _, body = send(url, "/private?x=1", secret=SECRET)
assert status == 200, (status, body)
event = json.loads(body)
assert event["rawPath"] == "/private" and event["rawQueryString"] == "x=1", event
iam = event["requestContext"]["authorizer"]["iam"]
assert iam["accessKey"] == KEY and iam["accountId"] == "000000000000", iam
assert iam["userArn"] == "arn:aws:iam::000000000000:root" and iam["cognitoIdentity"] is None, iam

# The body is covered by the signature.
status, _, body = send(url, "/post", method="POST", body=b'{"signed":true}', secret=SECRET)
assert status == 200, (status, body)
assert json.loads(body)["body"] == '{"signed":true}'

# The path form signs its own path and host.
status, _, body = send(url, "/by-path", secret=SECRET, path_form=True)
assert status == 200 and json.loads(body)["rawPath"] == "/by-path", (status, body)

# A NONE URL on the same host: no signature needed.
open_url = c.update_function_url_config(FunctionName="guarded", AuthType="NONE")["FunctionUrl"]
assert open_url == url
status, _, body = send(url, "/open")
assert status == 200 and json.loads(body)["requestContext"]["authorizer"] is None, (status, body)
done()
