"""Test fixture: outbound HTTP from a Python function. An event with a `ResponseURL` is a
CloudFormation custom-resource request, answered by the tutorial's `send_response` (urllib3
PUT); otherwise `event["op"]` picks a urllib.request or urllib3 call to `event["url"]`, and the
result describes what came back or what was raised, for the end-to-end tests to check."""

import json
import urllib.error
import urllib.request

import urllib3

http = urllib3.PoolManager()


def send_response(event, context, responseStatus, responseData, physicalResourceId=None, noEcho=False):
    responseUrl = event['ResponseURL']

    print(responseUrl)

    responseBody = {
        'Status': responseStatus,
        'Reason': 'See the details in CloudWatch Log Stream: ' + context.log_stream_name,
        'PhysicalResourceId': physicalResourceId or context.log_stream_name,
        'StackId': event['StackId'],
        'RequestId': event['RequestId'],
        'LogicalResourceId': event['LogicalResourceId'],
        'NoEcho': noEcho,
        'Data': responseData
    }

    json_responseBody = json.dumps(responseBody)

    print("Response body:\n" + json_responseBody)

    headers = {
        'content-type': '',
        'content-length': str(len(json_responseBody))
    }

    try:
        response = http.request('PUT', responseUrl, headers=headers, body=json_responseBody)
        print("Status code: " + str(response.status))
    except Exception as e:
        print("send_response(..) failed executing http.request(..): " + str(e))


def urllib_call(event):
    data = event.get("data")
    request = urllib.request.Request(
        event["url"],
        data=data.encode() if data is not None else None,
        headers=event.get("headers", {}),
        method=event.get("method"),
    )
    try:
        with urllib.request.urlopen(request, timeout=event.get("timeout", 10)) as response:
            return {
                "status": response.status,
                "reason": response.reason,
                "url": response.geturl(),
                "content_type": response.headers.get("content-type"),
                "body": response.read().decode(),
            }
    except urllib.error.HTTPError as e:
        return {"error": "HTTPError", "status": e.code, "body": e.read().decode()}
    except urllib.error.URLError as e:
        return {"error": type(e).__name__, "reason": str(e.reason), "text": str(e)}


def urllib3_call(event):
    try:
        response = http.request(
            event.get("method", "GET"),
            event["url"],
            body=event.get("data"),
            headers=event.get("headers"),
            json=event.get("json"),
        )
    except urllib3.exceptions.HTTPError as e:
        reason = getattr(e, "reason", None)
        return {"error": type(e).__name__, "cause": type(reason).__name__, "text": str(e)}
    return {
        "status": response.status,
        "reason": response.reason,
        "url": response.url,
        "content_type": response.headers["Content-Type"],
        "body": response.data.decode(),
    }


def lambda_handler(event, context):
    if "ResponseURL" in event:
        send_response(event, context, "SUCCESS", {"Message": "Resource created"})
        return {"sent": event["ResponseURL"]}
    op = event["op"]
    if op == "urllib":
        return urllib_call(event)
    if op == "urllib3":
        return urllib3_call(event)
    raise ValueError(f"unknown op `{op}`")
