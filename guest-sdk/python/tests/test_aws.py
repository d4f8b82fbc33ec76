"""fnhost's boto3/botocore stand-ins under plain CPython, over the in-memory host of
fake_host.py (no WebAssembly). Run: python3 -m unittest discover -s guest-sdk/python/tests

The shims are imported by path (guest-sdk/python/aws first on sys.path), never the boto3 a
developer may have installed; a test checks which one was imported.
"""

import datetime
import hashlib
import io
import json
import os
import sys
import tempfile
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.dirname(HERE)
AWS = os.path.join(SDK, "aws")
sys.path.insert(0, AWS)
sys.path.insert(1, SDK)

import fake_host  # noqa: E402

HOST = fake_host.install()

import boto3  # noqa: E402
import boto3.exceptions  # noqa: E402
import botocore  # noqa: E402
import botocore.exceptions  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.exceptions import ClientError, ParamValidationError  # noqa: E402
from botocore.response import StreamingBody  # noqa: E402

import fnhost_snapshot  # noqa: E402

# Made before any test, as a function does at module level (at packaging time).
CALLS_BEFORE = list(HOST.calls)
S3 = boto3.client("s3")
LAMBDA = boto3.client("lambda")
RESOURCE = boto3.resource("s3")
CALLS_AFTER_CLIENTS = list(HOST.calls)


def reset():
    HOST.__init__()
    HOST.bucket("photos", **{"notes/readme.txt": "안녕하세요, fnhost", "a.bin": b"\x00\x01\x02"})
    HOST.bucket("locked", read=False, write=False, **{"secret.txt": "no"})


class ShimIdentity(unittest.TestCase):
    def test_the_shims_are_imported_not_an_installed_boto3(self):
        for module in (boto3, botocore, boto3.exceptions, botocore.exceptions):
            self.assertTrue(module.__file__.startswith(AWS + os.sep), module.__file__)

    def test_making_clients_calls_no_host_function(self):
        # At packaging time host calls trap: module-level clients must not make any.
        self.assertEqual(CALLS_BEFORE, CALLS_AFTER_CLIENTS)
        self.assertEqual(CALLS_AFTER_CLIENTS, [])

    def test_region_is_read_when_asked(self):
        client = boto3.client("s3")
        old = os.environ.get("AWS_REGION")
        try:
            os.environ["AWS_REGION"] = "ap-northeast-2"
            self.assertEqual(client.meta.region_name, "ap-northeast-2")
            self.assertEqual(boto3.client("s3", region_name="eu-west-1").meta.region_name, "eu-west-1")
        finally:
            if old is None:
                del os.environ["AWS_REGION"]
            else:
                os.environ["AWS_REGION"] = old


class GetObject(unittest.TestCase):
    def setUp(self):
        reset()

    def test_the_tutorial_read_gives_the_text(self):
        response = S3.get_object(Bucket="photos", Key="notes/readme.txt")
        file_content = response["Body"].read().decode("utf-8")
        self.assertEqual(file_content, "안녕하세요, fnhost")

    def test_shape_matches_boto3(self):
        r = S3.get_object(Bucket="photos", Key="notes/readme.txt")
        body = "안녕하세요, fnhost".encode()
        self.assertIsInstance(r["Body"], StreamingBody)
        self.assertEqual(r["ContentLength"], len(body))
        self.assertEqual(r["ContentType"], "text/plain")
        self.assertEqual(r["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
        self.assertEqual(r["Metadata"], {})
        self.assertEqual(r["AcceptRanges"], "bytes")
        lm = r["LastModified"]
        self.assertIsInstance(lm, datetime.datetime)
        self.assertEqual(lm.utcoffset(), datetime.timedelta(0))
        self.assertEqual(lm.microsecond, 0)
        self.assertEqual(int(lm.timestamp()), HOST.buckets["photos"]["notes/readme.txt"][1] // 1000)
        meta = r["ResponseMetadata"]
        self.assertEqual(meta["HTTPStatusCode"], 200)
        self.assertEqual(meta["RetryAttempts"], 0)
        self.assertEqual(meta["HTTPHeaders"]["content-length"], str(len(body)))
        self.assertEqual(S3.get_object(Bucket="photos", Key="a.bin")["ContentType"], "binary/octet-stream")

    def test_body_reads_in_pieces(self):
        HOST.store("photos", "lines.txt", b"one\ntwo\r\nthree")
        body = S3.get_object(Bucket="photos", Key="lines.txt")["Body"]
        self.assertEqual(body.read(4), b"one\n")
        self.assertEqual(list(body.iter_lines()), [b"two", b"three"])
        body = S3.get_object(Bucket="photos", Key="lines.txt")["Body"]
        self.assertEqual(list(body.iter_chunks(5)), [b"one\nt", b"wo\r\nt", b"hree"])
        with S3.get_object(Bucket="photos", Key="lines.txt")["Body"] as body:
            self.assertEqual(b"".join(body), b"one\ntwo\r\nthree")

    def test_a_short_body_is_an_incomplete_read(self):
        body = StreamingBody(io.BytesIO(b"abc"), 5)
        with self.assertRaises(botocore.exceptions.IncompleteReadError) as e:
            body.read()
        self.assertEqual(str(e.exception), "3 read, but total bytes expected is 5.")

    def test_range_gives_206_and_content_range(self):
        HOST.store("photos", "digits", b"0123456789")
        r = S3.get_object(Bucket="photos", Key="digits", Range="bytes=2-4")
        self.assertEqual(r["Body"].read(), b"234")
        self.assertEqual(r["ContentLength"], 3)
        self.assertEqual(r["ContentRange"], "bytes 2-4/10")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(S3.get_object(Bucket="photos", Key="digits", Range="bytes=-3")["Body"].read(), b"789")
        self.assertEqual(S3.get_object(Bucket="photos", Key="digits", Range="bytes=8-")["Body"].read(), b"89")
        with self.assertRaises(ClientError) as e:
            S3.get_object(Bucket="photos", Key="digits", Range="bytes=10-20")
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidRange")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 416)

    def test_an_object_over_the_per_call_cap_is_read_in_ranges(self):
        data = os.urandom(100_000)
        HOST.store("photos", "big.bin", data)
        HOST.get_cap = 30_000
        from fnhost_aws.body import RangedReader

        old, RangedReader.STEP = RangedReader.STEP, 25_000
        try:
            r = S3.get_object(Bucket="photos", Key="big.bin")
            self.assertEqual(r["ContentLength"], 100_000)
            first = r["Body"].read(10)
            rest = r["Body"].read()
        finally:
            RangedReader.STEP = old
        self.assertEqual(first + rest, data)
        ranged = [c for c in HOST.calls if c == ("read", "photos")]
        self.assertGreaterEqual(len(ranged), 1 + 1 + 4)  # head, the refused whole read, 4 ranges

    def test_missing_key_is_no_such_key(self):
        with self.assertRaises(S3.exceptions.NoSuchKey) as e:
            S3.get_object(Bucket="photos", Key="nope.txt")
        err = e.exception
        self.assertIsInstance(err, ClientError)
        self.assertIs(S3.exceptions.from_code("NoSuchKey"), type(err))
        self.assertIs(S3.exceptions.from_code("Whatever"), ClientError)
        self.assertEqual(
            str(err),
            "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist.",
        )
        self.assertEqual(err.operation_name, "GetObject")
        self.assertEqual(err.response["Error"], {"Code": "NoSuchKey", "Message": "The specified key does not exist.", "Key": "nope.txt"})
        self.assertEqual(err.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        # The classes are shared by every client, as `except s3.exceptions.NoSuchKey` expects.
        self.assertIsInstance(err, boto3.client("s3").exceptions.NoSuchKey)

    def test_head_of_missing_key_is_a_404_client_error(self):
        with self.assertRaises(ClientError) as e:
            S3.head_object(Bucket="photos", Key="nope.txt")
        self.assertNotIsInstance(e.exception, S3.exceptions.NoSuchKey)
        self.assertEqual(e.exception.response["Error"], {"Code": "404", "Message": "Not Found"})
        self.assertEqual(str(e.exception), "An error occurred (404) when calling the HeadObject operation: Not Found")

    def test_no_grant_is_access_denied_naming_the_grant(self):
        with self.assertRaises(ClientError) as e:
            S3.get_object(Bucket="locked", Key="secret.txt")
        error = e.exception.response["Error"]
        self.assertEqual(error["Code"], "AccessDenied")
        self.assertTrue(error["Message"].startswith("Access Denied ("), error)
        self.assertIn('add "locked" to `objects = { read = [...] }` in [function.me]', error["Message"])
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        with self.assertRaises(ClientError) as e:
            S3.head_object(Bucket="locked", Key="secret.txt")
        self.assertEqual(e.exception.response["Error"]["Code"], "403")
        with self.assertRaises(ClientError) as e:
            S3.put_object(Bucket="locked", Key="x", Body=b"")
        self.assertIn("`objects = { write = [...] }`", str(e.exception))

    def test_missing_bucket_is_no_such_bucket(self):
        with self.assertRaises(S3.exceptions.NoSuchBucket) as e:
            S3.get_object(Bucket="nobucket", Key="k")
        self.assertEqual(e.exception.response["Error"]["BucketName"], "nobucket")
        self.assertIn("[bucket.nobucket]", e.exception.response["Error"]["Message"])

    def test_modified_since_takes_http_dates_iso_strings_and_datetimes(self):
        mtime = HOST.buckets["photos"]["a.bin"][1] // 1000
        before = datetime.datetime.fromtimestamp(mtime - 60, tz=datetime.timezone.utc)
        after = datetime.datetime.fromtimestamp(mtime + 60, tz=datetime.timezone.utc)
        http_after = after.strftime("%a, %d %b %Y %H:%M:%S GMT")
        for since in (after, http_after, after.isoformat()):
            with self.assertRaises(ClientError) as e:
                S3.get_object(Bucket="photos", Key="a.bin", IfModifiedSince=since)
            self.assertEqual(e.exception.response["Error"]["Code"], "304", since)
        self.assertEqual(S3.get_object(Bucket="photos", Key="a.bin", IfModifiedSince=before)["ContentLength"], 3)
        head = S3.head_object(Bucket="photos", Key="a.bin")
        self.assertEqual(
            head["ResponseMetadata"]["HTTPHeaders"]["last-modified"],
            head["LastModified"].strftime("%a, %d %b %Y %H:%M:%S GMT"),
        )

    def test_conditions(self):
        etag = S3.head_object(Bucket="photos", Key="a.bin")["ETag"]
        with self.assertRaises(ClientError) as e:
            S3.get_object(Bucket="photos", Key="a.bin", IfNoneMatch=etag)
        self.assertEqual(e.exception.response["Error"]["Code"], "304")
        with self.assertRaises(ClientError) as e:
            S3.get_object(Bucket="photos", Key="a.bin", IfMatch='"0000"')
        self.assertEqual(e.exception.response["Error"]["Code"], "PreconditionFailed")
        self.assertEqual(S3.get_object(Bucket="photos", Key="a.bin", IfMatch=etag)["Body"].read(), b"\x00\x01\x02")


class Writes(unittest.TestCase):
    def setUp(self):
        reset()

    def test_put_takes_bytes_str_and_files(self):
        for body, stored in ((b"raw", b"raw"), ("한글", "한글".encode()), (io.BytesIO(b"file"), b"file"), (None, b"")):
            r = S3.put_object(Bucket="photos", Key="k", Body=body, ContentType="text/plain", Metadata={"a": "b"})
            self.assertEqual(HOST.buckets["photos"]["k"][0], stored)
            self.assertEqual(r["ETag"], '"%s"' % hashlib.md5(stored).hexdigest())
            self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        with self.assertRaises(ParamValidationError):
            S3.put_object(Bucket="photos", Key="k", Body=12)

    def test_delete_is_204_and_missing_keys_are_fine(self):
        self.assertEqual(S3.delete_object(Bucket="photos", Key="a.bin")["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertNotIn("a.bin", HOST.buckets["photos"])
        self.assertEqual(S3.delete_object(Bucket="photos", Key="a.bin")["ResponseMetadata"]["HTTPStatusCode"], 204)
        r = S3.delete_objects(Bucket="photos", Delete={"Objects": [{"Key": "notes/readme.txt"}, {"Key": "../x"}]})
        self.assertEqual(r["Deleted"], [{"Key": "notes/readme.txt"}])
        self.assertEqual(r["Errors"][0]["Code"], "InvalidArgument")

    def test_copy_takes_a_string_or_a_dict(self):
        r = S3.copy_object(Bucket="photos", Key="copy1.txt", CopySource="photos/notes/readme.txt")
        self.assertEqual(r["CopyObjectResult"]["ETag"], S3.head_object(Bucket="photos", Key="notes/readme.txt")["ETag"])
        self.assertIsInstance(r["CopyObjectResult"]["LastModified"], datetime.datetime)
        S3.copy_object(Bucket="photos", Key="copy2.bin", CopySource={"Bucket": "photos", "Key": "a.bin"})
        self.assertEqual(HOST.buckets["photos"]["copy2.bin"][0], b"\x00\x01\x02")
        with self.assertRaises(S3.exceptions.NoSuchKey) as e:
            S3.copy_object(Bucket="photos", Key="c", CopySource="photos/missing")
        self.assertEqual(e.exception.response["Error"]["Key"], "missing")
        with self.assertRaises(S3.exceptions.InvalidRequest):
            S3.copy_object(Bucket="photos", Key="a.bin", CopySource="photos/a.bin")
        with self.assertRaises(ClientError) as e:
            S3.copy_object(Bucket="photos", Key="c", CopySource="locked/secret.txt")
        self.assertEqual(e.exception.response["Error"]["Code"], "AccessDenied")

    def test_transfers_through_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.txt")
            seen = []
            S3.download_file("photos", "notes/readme.txt", path, Callback=seen.append)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), "안녕하세요, fnhost".encode())
            self.assertEqual(sum(seen), len("안녕하세요, fnhost".encode()))
            S3.upload_file(path, "photos", "up/x.txt", ExtraArgs={"ContentType": "text/plain"}, Config=TransferConfig())
            self.assertEqual(HOST.buckets["photos"]["up/x.txt"][0], "안녕하세요, fnhost".encode())
            buf = io.BytesIO()
            S3.download_fileobj("photos", "a.bin", buf)
            self.assertEqual(buf.getvalue(), b"\x00\x01\x02")
            S3.upload_fileobj(io.BytesIO(b"fo"), "photos", "fo")
            self.assertEqual(HOST.buckets["photos"]["fo"][0], b"fo")
            with self.assertRaises(ClientError) as e:
                S3.download_file("photos", "nope", os.path.join(tmp, "nope"))
            self.assertEqual(e.exception.response["Error"]["Code"], "404")
            self.assertEqual(e.exception.operation_name, "HeadObject")
            self.assertEqual(sorted(os.listdir(tmp)), ["x.txt"], "no partial file is left")
            with self.assertRaises(boto3.exceptions.S3UploadFailedError) as e:
                S3.upload_file(path, "locked", "x")
            self.assertTrue(str(e.exception).startswith(f"Failed to upload {path} to locked/x: An error occurred (AccessDenied)"))
            with self.assertRaises(ValueError):
                S3.upload_file(path, "photos", "x", ExtraArgs={"Bogus": 1})


class Listing(unittest.TestCase):
    def setUp(self):
        reset()
        HOST.bucket("logs")
        for key in ["a/1", "a/2", "a/b/3", "b/1", "c", "d/x/y", "é"]:
            HOST.store("logs", key, key)

    def test_delimiter_rolls_up_common_prefixes(self):
        r = S3.list_objects_v2(Bucket="logs", Delimiter="/")
        self.assertEqual([c["Key"] for c in r["Contents"]], ["c", "é"])
        self.assertEqual(r["CommonPrefixes"], [{"Prefix": "a/"}, {"Prefix": "b/"}, {"Prefix": "d/"}])
        self.assertEqual(r["KeyCount"], 5)
        self.assertFalse(r["IsTruncated"])
        self.assertEqual((r["Name"], r["Prefix"], r["Delimiter"], r["MaxKeys"]), ("logs", "", "/", 1000))
        r = S3.list_objects_v2(Bucket="logs", Prefix="a/", Delimiter="/")
        self.assertEqual([c["Key"] for c in r["Contents"]], ["a/1", "a/2"])
        self.assertEqual(r["CommonPrefixes"], [{"Prefix": "a/b/"}])
        entry = r["Contents"][0]
        self.assertEqual(set(entry), {"Key", "LastModified", "ETag", "Size", "StorageClass"})
        self.assertEqual(entry["Size"], 3)

    def test_pages_cover_every_entry_once(self):
        for delimiter in (None, "/"):
            seen, token, pages = [], None, 0
            while True:
                kwargs = {"Bucket": "logs", "MaxKeys": 2}
                if delimiter:
                    kwargs["Delimiter"] = delimiter
                if token:
                    kwargs["ContinuationToken"] = token
                r = S3.list_objects_v2(**kwargs)
                pages += 1
                self.assertLessEqual(r["KeyCount"], 2)
                seen += [c["Key"] for c in r.get("Contents", [])] + [p["Prefix"] for p in r.get("CommonPrefixes", [])]
                if not r["IsTruncated"]:
                    self.assertNotIn("NextContinuationToken", r)
                    break
                token = r["NextContinuationToken"]
            expected = ["a/1", "a/2", "a/b/3", "b/1", "c", "d/x/y", "é"] if not delimiter else ["a/", "b/", "c", "d/", "é"]
            self.assertEqual(sorted(seen), sorted(expected))
            self.assertEqual(pages, (len(expected) + 1) // 2)

    def test_start_after_max_keys_and_empty_results(self):
        r = S3.list_objects_v2(Bucket="logs", StartAfter="b/1")
        self.assertEqual([c["Key"] for c in r["Contents"]], ["c", "d/x/y", "é"])
        self.assertEqual(r["StartAfter"], "b/1")
        r = S3.list_objects_v2(Bucket="logs", Prefix="zzz")
        self.assertNotIn("Contents", r)
        self.assertEqual(r["KeyCount"], 0)
        r = S3.list_objects_v2(Bucket="logs", MaxKeys=0)
        self.assertEqual((r["KeyCount"], r["IsTruncated"]), (0, False))
        with self.assertRaises(ClientError) as e:
            S3.list_objects_v2(Bucket="logs", ContinuationToken="garbage!")
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidArgument")

    def test_more_than_a_host_page(self):
        HOST.bucket("many")
        keys = [f"k{i:05d}" for i in range(2500)]
        for key in keys:
            HOST.buckets["many"][key] = (b"", 0)
        r = S3.list_objects_v2(Bucket="many", MaxKeys=5000)
        self.assertEqual(len(r["Contents"]), 1000)
        self.assertTrue(r["IsTruncated"])
        listed = [c["Key"] for page in S3.get_paginator("list_objects_v2").paginate(Bucket="many") for c in page.get("Contents", [])]
        self.assertEqual(listed, keys)
        full = S3.get_paginator("list_objects_v2").paginate(Bucket="many", PaginationConfig={"MaxItems": 1500, "PageSize": 400}).build_full_result()
        self.assertEqual([c["Key"] for c in full["Contents"]], keys[:1500])
        self.assertIn("NextToken", full)

    def test_list_objects_v1_markers(self):
        r = S3.list_objects(Bucket="logs", Delimiter="/", MaxKeys=2)
        self.assertEqual(r["CommonPrefixes"], [{"Prefix": "a/"}, {"Prefix": "b/"}])
        self.assertEqual(r["NextMarker"], "b/")
        r = S3.list_objects(Bucket="logs", Delimiter="/", Marker=r["NextMarker"])
        self.assertEqual([c["Key"] for c in r["Contents"]], ["c", "é"])
        self.assertEqual(r["CommonPrefixes"], [{"Prefix": "d/"}])


class Resource(unittest.TestCase):
    def setUp(self):
        reset()

    def test_object_and_bucket(self):
        obj = RESOURCE.Object("photos", "notes/readme.txt")
        self.assertEqual(obj.get()["Body"].read().decode(), "안녕하세요, fnhost")
        self.assertEqual(obj.content_length, len("안녕하세요, fnhost".encode()))
        self.assertEqual(obj.content_type, "text/plain")
        RESOURCE.Object("photos", "new.txt").put(Body="hi")
        self.assertEqual(HOST.buckets["photos"]["new.txt"][0], b"hi")
        RESOURCE.Object("photos", "new.txt").delete()
        self.assertNotIn("new.txt", HOST.buckets["photos"])
        bucket = RESOURCE.Bucket("photos")
        self.assertEqual([o.key for o in bucket.objects.all()], ["a.bin", "notes/readme.txt"])
        summaries = list(bucket.objects.filter(Prefix="notes/"))
        self.assertEqual([(o.key, o.size) for o in summaries], [("notes/readme.txt", len("안녕하세요, fnhost".encode()))])
        self.assertEqual(summaries[0].bucket_name, "photos")
        self.assertEqual(bucket.put_object(Key="p", Body=b"x").key, "p")
        with self.assertRaises(ClientError) as e:
            RESOURCE.Object("photos", "nope").load()
        self.assertEqual(e.exception.response["Error"]["Code"], "404")
        with self.assertRaises(boto3.exceptions.ResourceNotExistsError) as e:
            boto3.resource("lambda")
        self.assertIn("boto3.client('lambda')", str(e.exception))


class Invoke(unittest.TestCase):
    def setUp(self):
        reset()
        HOST.invoke_grants = {"hello", "missing"}

        def hello(payload, kind, tail):
            if kind is fake_host.InvocationType.EVENT:
                return fake_host.InvokeResponse(202, None, None, b"", None)
            if kind is fake_host.InvocationType.DRY_RUN:
                return fake_host.InvokeResponse(204, None, None, b"", None)
            event = json.loads(payload)
            if event.get("fail"):
                return fake_host.InvokeResponse(200, "Unhandled", "$LATEST", b'{"errorType":"E","errorMessage":"m"}', None)
            return fake_host.InvokeResponse(200, None, "$LATEST", json.dumps({"hi": event.get("name")}).encode(), "U1RBUlQ=" if tail else None)

        HOST.functions["hello"] = hello

    def test_sync_event_and_dry_run(self):
        r = LAMBDA.invoke(FunctionName="hello", Payload=json.dumps({"name": "Ada"}), LogType="Tail")
        self.assertEqual(r["StatusCode"], 200)
        self.assertEqual(r["ExecutedVersion"], "$LATEST")
        self.assertNotIn("FunctionError", r)
        self.assertEqual(r["LogResult"], "U1RBUlQ=")
        self.assertIsInstance(r["Payload"], StreamingBody)
        self.assertEqual(json.loads(r["Payload"].read()), {"hi": "Ada"})
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(HOST.calls[-1][1:], ("hello", None, fake_host.InvocationType.REQUEST_RESPONSE, b'{"name": "Ada"}', True))
        r = LAMBDA.invoke(FunctionName="hello", InvocationType="Event", Payload=b"{}")
        self.assertEqual((r["StatusCode"], r["Payload"].read()), (202, b""))
        self.assertNotIn("ExecutedVersion", r)
        r = LAMBDA.invoke(FunctionName="hello", InvocationType="DryRun", Qualifier="$LATEST")
        self.assertEqual(r["StatusCode"], 204)
        self.assertEqual(HOST.calls[-1][2], "$LATEST")
        r = LAMBDA.invoke(FunctionName="hello", Payload=io.BytesIO(b'{"fail": true}'))
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(r["Payload"].read())["errorType"], "E")
        LAMBDA.invoke(FunctionName="hello")
        self.assertEqual(HOST.calls[-1][4], b"{}", "an empty payload is Lambda's empty event")

    def test_errors_are_lambdas(self):
        with self.assertRaises(ClientError) as e:
            LAMBDA.invoke(FunctionName="other")
        self.assertEqual(e.exception.response["Error"]["Code"], "AccessDeniedException")
        self.assertIn('invoke = ["other"]', str(e.exception))
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        with self.assertRaises(LAMBDA.exceptions.ResourceNotFoundException) as e:
            LAMBDA.invoke(FunctionName="missing")
        self.assertEqual(
            str(e.exception),
            "An error occurred (ResourceNotFoundException) when calling the Invoke operation: "
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing",
        )
        with self.assertRaises(LAMBDA.exceptions.InvalidRequestContentException):
            LAMBDA.invoke(FunctionName="hello", Payload="{not json")
        with self.assertRaises(ClientError) as e:
            LAMBDA.invoke(FunctionName="hello", InvocationType="Later")
        self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")


class Unsupported(unittest.TestCase):
    def test_other_services_and_methods_name_what_is_supported(self):
        with self.assertRaises(botocore.exceptions.UnknownServiceError) as e:
            boto3.client("dynamodb")
        self.assertIn("Unknown service: 'dynamodb'", str(e.exception))
        self.assertIn("s3: get_object", str(e.exception))
        with self.assertRaises(AttributeError) as e:
            S3.list_buckets()
        self.assertIn("supports get_object, put_object", str(e.exception))
        with self.assertRaises(AttributeError) as e:
            LAMBDA.list_functions()
        self.assertIn("lambda client supports invoke", str(e.exception))

    def test_parameters_are_checked_as_botocore_does(self):
        with self.assertRaises(TypeError) as e:
            S3.get_object("photos", "k")
        self.assertEqual(str(e.exception), "get_object() only accepts keyword arguments.")
        with self.assertRaises(ParamValidationError) as e:
            S3.get_object(Bucket="photos")
        self.assertIn('Missing required parameter in input: "Key"', str(e.exception))
        with self.assertRaises(ParamValidationError) as e:
            S3.get_object(Bucket="photos", Key="k", Bogus=1)
        self.assertIn('Unknown parameter in input: "Bogus"', str(e.exception))


class Snapshot(unittest.TestCase):
    """fnhost_snapshot: what fnhost_lambda does before componentize-py snapshots."""

    def setUp(self):
        self.saved = (list(sys.path), list(sys.meta_path), dict(sys.modules))

    def tearDown(self):
        sys.path[:], sys.meta_path[:] = self.saved[0], self.saved[1]
        sys.modules.clear()
        sys.modules.update(self.saved[2])

    def test_a_bundled_real_boto3_loses_to_the_shim(self):
        with tempfile.TemporaryDirectory() as task:
            for pkg in ("boto3", "botocore", "s3transfer"):
                os.makedirs(os.path.join(task, pkg))
                with open(os.path.join(task, pkg, "__init__.py"), "w") as f:
                    # What real botocore hits in WebAssembly (the failure).
                    f.write("raise ImportError(\"cannot import name 'ssl' from 'urllib3.util.ssl_'\")\n")
            sys.path.insert(0, task)
            for name in [n for n in sys.modules if n.partition(".")[0] in ("boto3", "botocore")]:
                del sys.modules[name]
            with self.assertRaises(ImportError):
                __import__("boto3")  # the user's copy, as on a plain interpreter
            fnhost_snapshot.prefer_shims(AWS)
            import boto3 as shim
            import botocore.exceptions as shim_exceptions

            self.assertTrue(shim.__file__.startswith(AWS + os.sep), shim.__file__)
            self.assertTrue(shim_exceptions.__file__.startswith(AWS + os.sep))
            with self.assertRaises(ModuleNotFoundError) as e:
                __import__("s3transfer")
            self.assertIn("boto3 and botocore are fnhost's own", str(e.exception))

    def test_after_packaging_a_late_import_says_to_import_at_the_top(self):
        for name in [n for n in sys.modules if n.partition(".")[0] in ("boto3", "botocore")]:
            del sys.modules[name]
        fnhost_snapshot.prefer_shims("/no/such/mount")
        fnhost_snapshot.remap_paths({})
        with self.assertRaises(ModuleNotFoundError) as e:
            __import__("boto3")
        self.assertIn("import it at the top of the function's module", str(e.exception))

    def test_shims_mounted_at_run_time_stay_importable(self):
        fnhost_snapshot.prefer_shims("/2")
        fnhost_snapshot.remap_paths({"/2": "/var/runtime"})
        finder = next(f for f in sys.meta_path if isinstance(f, fnhost_snapshot.ShimFinder))
        try:
            self.assertEqual(finder.shim_dir, "/var/runtime")
            self.assertFalse(finder.packaged)
        finally:
            sys.meta_path.remove(finder)

    def test_build_mounts_become_run_time_paths(self):
        mod = types.ModuleType("fnhost_test_mod")
        mod.__file__ = "/0/pkg/mod.py"
        mod.__path__ = ["/0/pkg", "/3/pkg"]
        sys.modules["fnhost_test_mod"] = mod
        sys.path[:] = ["/python", "/world", "/0", "/1", "/2", "/3"]
        fnhost_snapshot.remap_paths({"/0": "/var/task", "/1": None, "/2": "/opt/python/lib/python3.14/site-packages", "/3": "/opt/python"})
        self.assertEqual(sys.path, ["/python", "/world", "/var/task", "/opt/python/lib/python3.14/site-packages", "/opt/python"])
        self.assertEqual(mod.__file__, "/var/task/pkg/mod.py")
        self.assertEqual(mod.__path__, ["/var/task/pkg", "/opt/python/pkg"])

    def test_tempdir_is_chosen_again(self):
        tempfile.gettempdir()
        self.assertIsNotNone(tempfile.tempdir)
        fnhost_snapshot.reset_tempdir()
        self.assertIsNone(tempfile.tempdir)


if __name__ == "__main__":
    unittest.main()
