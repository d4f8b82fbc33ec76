"""Test fixture: fnhost's boto3 inside a Python function. `event["op"]` picks what to do; the
result describes what boto3 returned or raised, for the end-to-end tests to check."""

import io
import json
import logging
import os
import tempfile

import boto3
import botocore
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

s3 = boto3.client("s3")
lambda_client = boto3.client("lambda")


def failure(fn, **kwargs):
    """What a call raised: class, code, message, status, operation (None when it succeeded)."""
    try:
        fn(**kwargs)
    except ClientError as e:
        return {
            "class": type(e).__name__,
            "code": e.response["Error"]["Code"],
            "message": e.response["Error"]["Message"],
            "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
            "operation": e.operation_name,
            "text": str(e),
            "no_such_key": isinstance(e, s3.exceptions.NoSuchKey),
        }
    return None


def errors(event):
    bucket, denied = event["bucket"], event["denied"]
    caught = None
    try:
        s3.get_object(Bucket=bucket, Key="no/such/key.txt")
    except s3.exceptions.NoSuchKey as e:
        caught = e.response["Error"]["Key"]
    return {
        "get_missing": failure(s3.get_object, Bucket=bucket, Key="no/such/key.txt"),
        "caught_no_such_key": caught,
        "head_missing": failure(s3.head_object, Bucket=bucket, Key="no/such/key.txt"),
        "get_denied": failure(s3.get_object, Bucket=denied, Key="secret.txt"),
        "put_denied": failure(s3.put_object, Bucket=denied, Key="x.txt", Body=b"x"),
        "no_bucket": failure(s3.get_object, Bucket="no-such-bucket", Key="k"),
    }


def objects(event):
    bucket = event["bucket"]
    put = s3.put_object(Bucket=bucket, Key="docs/a.txt", Body="안녕 fnhost", ContentType="text/plain", Metadata={"k": "v"})
    s3.put_object(Bucket=bucket, Key="docs/b.bin", Body=bytes([0, 1, 2, 255]))
    for name in ("docs/sub/c.txt", "docs/sub/d.txt", "docs/e.txt"):
        s3.put_object(Bucket=bucket, Key=name, Body=name.encode())
    head = s3.head_object(Bucket=bucket, Key="docs/a.txt")
    got = s3.get_object(Bucket=bucket, Key="docs/a.txt")
    text = got["Body"].read().decode("utf-8")
    ranged = s3.get_object(Bucket=bucket, Key="docs/b.bin", Range="bytes=1-2")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="docs/", Delimiter="/")
    pages, token = [], None
    while True:
        kwargs = {"Bucket": bucket, "Prefix": "docs/", "MaxKeys": 2}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        pages.append([c["Key"] for c in page.get("Contents", [])])
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    copy = s3.copy_object(Bucket=bucket, Key="copies/a copy.txt", CopySource=f"{bucket}/docs/a.txt")
    copy_dict = s3.copy_object(Bucket=bucket, Key="copies/b.bin", CopySource={"Bucket": bucket, "Key": "docs/b.bin"})
    copied = s3.get_object(Bucket=bucket, Key="copies/a copy.txt")["Body"].read().decode()
    deleted = s3.delete_object(Bucket=bucket, Key="docs/b.bin")
    return {
        "put_etag": put["ETag"],
        "head": {
            "ContentLength": head["ContentLength"],
            "ContentType": head["ContentType"],
            "ETag": head["ETag"],
            "Metadata": head["Metadata"],
            "tz": str(head["LastModified"].tzinfo),
            "year": head["LastModified"].year,
        },
        "text": text,
        "get_status": got["ResponseMetadata"]["HTTPStatusCode"],
        "ranged": list(ranged["Body"].read()),
        "content_range": ranged["ContentRange"],
        "keys": [c["Key"] for c in listed.get("Contents", [])],
        "prefixes": [p["Prefix"] for p in listed.get("CommonPrefixes", [])],
        "key_count": listed["KeyCount"],
        "pages": pages,
        "copy_etag": copy["CopyObjectResult"]["ETag"],
        "copy_dict_etag": copy_dict["CopyObjectResult"]["ETag"],
        "copied": copied,
        "delete_status": deleted["ResponseMetadata"]["HTTPStatusCode"],
        "after_delete": failure(s3.head_object, Bucket=bucket, Key="docs/b.bin"),
    }


def transfer(event):
    bucket = event["bucket"]
    path = os.path.join(tempfile.gettempdir(), "download.txt")
    s3.download_file(bucket, event["key"], path)
    with open(path, encoding="utf-8") as f:
        downloaded = f.read()
    with open("/tmp/upload.txt", "w", encoding="utf-8") as f:
        f.write(downloaded.upper())
    s3.upload_file("/tmp/upload.txt", bucket, "uploaded/upper.txt")
    missing = failure(s3.download_file, Bucket=bucket, Key="no/such.txt", Filename="/tmp/missing.txt")
    return {
        "tempdir": tempfile.gettempdir(),
        "downloaded": downloaded,
        "uploaded": s3.get_object(Bucket=bucket, Key="uploaded/upper.txt")["Body"].read().decode(),
        "download_missing": missing,
        "left_in_tmp": sorted(os.listdir("/tmp")),
    }


def resource(event):
    bucket = event["bucket"]
    res = boto3.resource("s3")
    res.Object(bucket, "res/one.txt").put(Body="one")
    res.Bucket(bucket).put_object(Key="res/two.txt", Body=b"two")
    body = res.Object(bucket, "res/one.txt").get()["Body"].read().decode()
    summaries = [(o.key, o.size) for o in res.Bucket(bucket).objects.filter(Prefix="res/")]
    res.Object(bucket, "res/one.txt").delete()
    return {
        "body": body,
        "summaries": summaries,
        "after_delete": [o.key for o in res.Bucket(bucket).objects.filter(Prefix="res/")],
    }


def invoke(event):
    target = event["target"]
    payload = json.dumps({"name": event["name"]}, ensure_ascii=False)
    sync = lambda_client.invoke(FunctionName=target, Payload=payload)
    asynchronous = lambda_client.invoke(FunctionName=target, InvocationType="Event", Payload=payload.encode())
    dry = lambda_client.invoke(FunctionName=target, InvocationType="DryRun")
    failed = lambda_client.invoke(FunctionName=event["failing"], Payload=io.BytesIO(b"{}"))
    return {
        "sync": {
            "StatusCode": sync["StatusCode"],
            "ExecutedVersion": sync.get("ExecutedVersion"),
            "FunctionError": sync.get("FunctionError"),
            "Payload": json.loads(sync["Payload"].read()),
        },
        "event": {"StatusCode": asynchronous["StatusCode"], "Payload": asynchronous["Payload"].read().decode()},
        "dry_run": {"StatusCode": dry["StatusCode"], "keys": sorted(k for k in dry if k != "ResponseMetadata")},
        "failed": {
            "StatusCode": failed["StatusCode"],
            "FunctionError": failed.get("FunctionError"),
            "Payload": json.loads(failed["Payload"].read()),
        },
        "missing": failure(lambda_client.invoke, FunctionName="no-such-function"),
        "unknown_service": _unknown_service(),
    }


def invoke_denied(event):
    return {"denied": failure(lambda_client.invoke, FunctionName=event["target"], Payload=b"{}")}


def recurse(event, context):
    """Invoke itself, deeper each time, until the host's loop guard refuses."""
    depth = event.get("depth", 0)
    try:
        r = lambda_client.invoke(FunctionName=context.function_name, Payload=json.dumps({"op": "recurse", "depth": depth + 1}))
    except ClientError as e:
        return {"stopped_at": depth, "code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
    return json.loads(r["Payload"].read())


def _unknown_service():
    try:
        boto3.client("dynamodb")
    except botocore.exceptions.UnknownServiceError as e:
        return str(e)
    return None


def log(event, context):
    logger.info("boto3 %s and logging together", boto3.__version__)
    logging.getLogger("app").warning("a warning from %s", "app")
    return {"request_id": context.aws_request_id}


def lambda_handler(event, context):
    op = event.get("op")
    if op == "log":
        return log(event, context)
    if op == "recurse":
        return recurse(event, context)
    if op == "get-size":
        # The bench's Python side: one whole get_object through boto3, as the tutorial reads.
        body = s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read()
        return {"size": len(body)}
    ops = {
        "errors": errors,
        "objects": objects,
        "transfer": transfer,
        "resource": resource,
        "invoke": invoke,
        "invoke-denied": invoke_denied,
    }
    return ops[op](event)
