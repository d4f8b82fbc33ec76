"""Function URLs through boto3: Create/Get/Update/List/DeleteFunctionUrlConfig with Lambda's
shapes and error texts, URLs of aliases, and the URLs themselves answering through their host
name (`<id>.lambda-url.localhost:PORT`, sent to 127.0.0.1 with that Host) and their path
(`/lambda-url/<id>/`): the payload 2.0 event Lambda's function URLs send, CORS preflight and
headers, 403 for unknown ids. Leaves function `kept` with a NONE URL and prints it last."""

import base64
import http.client
import json
import re
import urllib.parse

from common import client, create, done, expect_error, guest, zip_of

c = client()
ECHO = zip_of({"bootstrap.wasm": guest("http-echo")})


def upload(name):
    create(c, name, ECHO)
    c.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})


def call(url, path="/", method="GET", body=None, headers=None, path_form=False):
    """Request `path` of function URL `url`; (status, headers as a lower-case dict, body)."""
    parts = urllib.parse.urlsplit(url)
    url_id = parts.hostname.split(".")[0]
    sent = dict(headers or {})
    if path_form:
        target = f"/lambda-url/{url_id}{path}"
    else:
        target = path
        sent["Host"] = parts.netloc
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=60)
    conn.request(method, target, body=body, headers=sent)
    r = conn.getresponse()
    got = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    conn.close()
    return got


def event_of(url, path="/", **kwargs):
    status, headers, body = call(url, path, **kwargs)
    assert status == 200, (status, headers, body)
    return json.loads(body)


upload("echo")

# Create: 201 with Lambda's fields (no InvokeMode unless sent, no LastModifiedTime).
made = c.create_function_url_config(FunctionName="echo", AuthType="NONE")
assert made["ResponseMetadata"]["HTTPStatusCode"] == 201, made
url = made["FunctionUrl"]
m = re.fullmatch(r"http://([a-z0-9]{32})\.lambda-url\.localhost:(\d+)/", url)
assert m, url
url_id, port = m.group(1), int(m.group(2))
assert made["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo", made
assert made["AuthType"] == "NONE" and "CreationTime" in made, made
assert "InvokeMode" not in made and "LastModifiedTime" not in made and "Cors" not in made, made

r = expect_error("ResourceConflictException", 409, c.create_function_url_config, FunctionName="echo", AuthType="NONE")
assert r["Error"]["Message"] == (
    "Failed to create function url config for [functionArn = arn:aws:lambda:us-east-1:000000000000:function:echo]."
    " Error message:  FunctionUrlConfig exists for this Lambda function"
), r

got = c.get_function_url_config(FunctionName="echo")
assert got["FunctionUrl"] == url and got["InvokeMode"] == "BUFFERED", got
assert got["CreationTime"] == made["CreationTime"] and "LastModifiedTime" in got, got

# The URL by its host name: the event of Lambda's function URLs.
e = event_of(url, "/some/path?a=1&a=2&b=x%20y", headers={"Cookie": "c1=v1; c2=v2", "X-Forwarded-For": "6.6.6.6"})
assert e["version"] == "2.0" and e["routeKey"] == "$default", e
assert e["rawPath"] == "/some/path" and e["rawQueryString"] == "a=1&a=2&b=x%20y", e
assert e["queryStringParameters"] == {"a": "1,2", "b": "x y"}, e
assert e["cookies"] == ["c1=v1", "c2=v2"], e
ctx = e["requestContext"]
assert ctx["apiId"] == url_id and ctx["domainPrefix"] == url_id, ctx
assert ctx["domainName"] == f"{url_id}.lambda-url.localhost", ctx
assert ctx["routeKey"] == "$default" and ctx["stage"] == "$default", ctx
assert ctx["authorizer"] is None and ctx["authentication"] is None, ctx
assert ctx["http"]["method"] == "GET" and ctx["http"]["path"] == "/some/path", ctx
assert ctx["accountId"] == "000000000000", ctx
headers = e["headers"]
assert headers["host"] == f"{url_id}.lambda-url.localhost:{port}", headers
assert headers["x-forwarded-proto"] == "http" and headers["x-forwarded-port"] == str(port), headers
assert headers["x-forwarded-for"] == "127.0.0.1", headers
assert headers["x-amzn-trace-id"].startswith("Root=1-"), headers
assert e["pathParameters"] is None and e["stageVariables"] is None, e

# By its path, with a binary body (base64 in the event) and a text one.
e = event_of(url, "/upload", method="POST", body=b"\xff\x00\x10binary", path_form=True)
assert e["rawPath"] == "/upload" and e["requestContext"]["http"]["method"] == "POST", e
assert e["isBase64Encoded"] is True and base64.b64decode(e["body"]) == b"\xff\x00\x10binary", e
assert e["requestContext"]["apiId"] == url_id, e
e = event_of(url, "/", method="POST", body=b'{"hello":"world"}', headers={"Content-Type": "application/json"}, path_form=True)
assert e["body"] == '{"hello":"world"}' and e["isBase64Encoded"] is False, e
# The function's own answer: status, headers and body as an HTTP API maps them.
status, h, body = call(url, "/?status=201&header=x-answer:42")
assert status == 201 and h["x-answer"] == "42", (status, h)
status, h, body = call(url, "/?mode=error")
assert (status, body) == (502, b"Internal Server Error"), (status, body)

# CORS: Update sets it; preflights are answered from it, responses carry it.
cors = {
    "AllowOrigins": ["https://app.example"],
    "AllowMethods": ["GET", "POST"],
    "AllowHeaders": ["x-custom"],
    "ExposeHeaders": ["x-total"],
    "MaxAge": 300,
    "AllowCredentials": True,
}
upd = c.update_function_url_config(FunctionName="echo", Cors=cors)
assert upd["Cors"] == cors and upd["FunctionUrl"] == url and "LastModifiedTime" in upd, upd
assert "InvokeMode" not in upd, upd
assert c.get_function_url_config(FunctionName="echo")["Cors"] == cors
status, h, body = call(url, "/", method="OPTIONS", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
assert status == 200 and body == b"", (status, body)
assert h["access-control-allow-origin"] == "https://app.example", h
assert h["access-control-allow-methods"] == "GET,POST" and h["access-control-allow-headers"] == "x-custom", h
assert h["access-control-max-age"] == "300" and h["access-control-allow-credentials"] == "true", h
status, h, body = call(url, "/?header=access-control-allow-origin:*", headers={"Origin": "https://app.example"})
assert status == 200 and h["access-control-allow-origin"] == "https://app.example", h
assert h["access-control-expose-headers"] == "x-total", h
status, h, body = call(url, "/?header=access-control-allow-origin:*", headers={"Origin": "https://evil.example"})
assert status == 200 and "access-control-allow-origin" not in h, h

# Errors, as Lambda words them.
for q in ["1", "$LATEST"]:
    r = expect_error("ValidationException", 400, c.get_function_url_config, FunctionName="echo", Qualifier=q)
    assert r["Error"]["Message"] == (
        f"1 validation error detected: Value '{q}' at 'qualifier' failed to satisfy constraint:"
        r" Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)"
    ), r
r = expect_error("InvalidParameterValueException", 400, c.create_function_url_config, FunctionName="echo:live", Qualifier="dev", AuthType="NONE")
assert r["Error"]["Message"] == "The derived qualifier from the function name does not match the specified qualifier.", r
for kwargs in [{"FunctionName": "nope"}, {"FunctionName": "echo", "Qualifier": "nope"}]:
    r = expect_error("ResourceNotFoundException", 404, c.create_function_url_config, AuthType="NONE", **kwargs)
    assert r["Error"]["Message"] == "Function does not exist", r
    r = expect_error("ResourceNotFoundException", 404, c.update_function_url_config, AuthType="NONE", **kwargs)
    assert r["Error"]["Message"] == "Function does not exist", r
    r = expect_error("ResourceNotFoundException", 404, c.get_function_url_config, **kwargs)
    assert r["Error"]["Message"] == "The resource you requested does not exist.", r
    r = expect_error("ResourceNotFoundException", 404, c.delete_function_url_config, **kwargs)
    assert r["Error"]["Message"] == "The resource you requested does not exist.", r
r = expect_error("ResourceNotFoundException", 404, c.list_function_url_configs, FunctionName="nope")
assert r["Error"]["Message"] == "Function does not exist", r
r = expect_error("ValidationException", 400, c.create_function_url_config, FunctionName="echo", Qualifier="x", AuthType="PUBLIC")
assert r["Error"]["Message"].endswith("at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_IAM, NONE]"), r
r = expect_error("InvalidParameterValueException", 400, c.update_function_url_config, FunctionName="echo", InvokeMode="RESPONSE_STREAM")
assert "not supported by fnhost" in r["Error"]["Message"], r
seven = ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"]
r = expect_error("ValidationException", 400, c.update_function_url_config, FunctionName="echo", Cors={"AllowMethods": seven})
assert r["Error"]["Message"] == (
    "1 validation error detected: Value '[GET, PUT, POST, DELETE, PATCH, HEAD, OPTIONS]' at 'cors.allowMethods'"
    " failed to satisfy constraint: Member must have length less than or equal to 6"
), r
r = expect_error("ValidationException", 400, c.update_function_url_config, FunctionName="echo", Cors={"MaxAge": 86401})
assert "at 'cors.maxAge' failed to satisfy constraint: Member must have value less than or equal to 86400" in r["Error"]["Message"], r
r = expect_error("ValidationException", 400, c.list_function_url_configs, FunctionName="echo", MaxItems=51)
assert "at 'maxItems'" in r["Error"]["Message"], r
# Refused changes changed nothing.
assert c.get_function_url_config(FunctionName="echo")["Cors"] == cors
# InvokeMode BUFFERED is taken and shown when sent.
upd = c.update_function_url_config(FunctionName="echo", InvokeMode="BUFFERED", Cors={})
assert upd["InvokeMode"] == "BUFFERED" and "Cors" not in upd, upd

# A URL of an alias: its own id, the alias ARN, the alias's version runs.
v1 = c.publish_version(FunctionName="echo")["Version"]
c.create_alias(FunctionName="echo", Name="live", FunctionVersion=v1)
live = c.create_function_url_config(FunctionName="echo", Qualifier="live", AuthType="NONE")
assert live["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo:live", live
live_url = live["FunctionUrl"]
assert live_url != url, live_url
assert c.get_function_url_config(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:echo:live")["FunctionUrl"] == live_url
e = event_of(live_url, "/through-alias")
assert e["rawPath"] == "/through-alias" and e["requestContext"]["apiId"] == live_url[7:39], e
listed = c.list_function_url_configs(FunctionName="echo")["FunctionUrlConfigs"]
assert [u["FunctionUrl"] for u in listed] == [url, live_url], listed
assert all(u["InvokeMode"] == "BUFFERED" for u in listed), listed
page = c.list_function_url_configs(FunctionName="echo", MaxItems=1)
assert [u["FunctionUrl"] for u in page["FunctionUrlConfigs"]] == [url] and "NextMarker" in page, page
page = c.list_function_url_configs(FunctionName="echo", MaxItems=1, Marker=page["NextMarker"])
assert [u["FunctionUrl"] for u in page["FunctionUrlConfigs"]] == [live_url] and "NextMarker" not in page, page
# Deleting the alias deletes its URL.
c.delete_alias(FunctionName="echo", Name="live")
expect_error("ResourceNotFoundException", 404, c.get_function_url_config, FunctionName="echo", Qualifier="live")
assert call(live_url)[0] == 403

# Unknown ids get Lambda's 403, by host and by path.
unknown = f"http://{'0' * 32}.lambda-url.localhost:{port}/"
for path_form in [False, True]:
    status, h, body = call(unknown, path_form=path_form)
    assert (status, body) == (403, b'{"Message":null}'), (status, body)
    assert h["x-amzn-errortype"] == "AccessDeniedException", h

# Delete: 204, then the URL is gone; a new URL gets a new id.
r = c.delete_function_url_config(FunctionName="echo")
assert r["ResponseMetadata"]["HTTPStatusCode"] == 204, r
assert call(url)[0] == 403
expect_error("ResourceNotFoundException", 404, c.get_function_url_config, FunctionName="echo")
expect_error("ResourceNotFoundException", 404, c.delete_function_url_config, FunctionName="echo")
again = c.create_function_url_config(FunctionName="echo", AuthType="NONE")["FunctionUrl"]
assert again != url, again
assert event_of(again, "/")["requestContext"]["apiId"] == again[7:39]

# Deleting the function deletes its URLs.
c.delete_function(FunctionName="echo")
assert call(again)[0] == 403
expect_error("ResourceNotFoundException", 404, c.list_function_url_configs, FunctionName="echo")

# What the Rust side checks with reqwest and curl, and across a restart.
upload("kept")
kept = c.create_function_url_config(FunctionName="kept", AuthType="NONE")["FunctionUrl"]
done()
print("kept-url=" + kept)
