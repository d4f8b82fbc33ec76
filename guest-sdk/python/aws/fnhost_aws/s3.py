"""`boto3.client("s3")` over the host's buckets (the `objects` interface).

Shapes and error codes follow boto3 against S3 (reference: lambda-env.md §F). What buckets do
not store is made up the way S3 would: `ContentType` is guessed from the key's extension
(default `binary/octet-stream`), `Metadata` is `{}`; `ContentType` and `Metadata` given to
`put_object` are accepted but not kept.
"""

import base64
import datetime
import io
import mimetypes
import os
import urllib.parse  # noqa: F401 (mimetypes.guess_type imports it lazily)

import boto3.exceptions
from botocore.exceptions import ClientError, ParamValidationError

from fnhost_aws import host
from fnhost_aws.body import RangedReader, StreamingBody
from fnhost_aws.client import (
    BaseClient,
    ClientExceptions,
    check_params,
    metadata,
    modeled_errors,
    no_positional,
    reason,
    request_id,
)
from fnhost_aws.host import HostError
from fnhost_aws.paginate import Paginator

# Prime the extension table now (at packaging time): the table files are not there at run time.
mimetypes.init()
DEFAULT_CONTENT_TYPE = "binary/octet-stream"

# After every key: a start-after past it skips the whole "directory" (code point order).
_PAST = "\U0010ffff"
_MAX_PAGE = 1000

S3_ERRORS = modeled_errors(
    [
        "BucketAlreadyExists",
        "BucketAlreadyOwnedByYou",
        "EncryptionTypeMismatch",
        "IdempotencyParameterMismatch",
        "InvalidObjectState",
        "InvalidRequest",
        "InvalidWriteOffset",
        "NoSuchBucket",
        "NoSuchKey",
        "NoSuchUpload",
        "ObjectAlreadyInActiveTierError",
        "ObjectNotInActiveTierError",
        "TooManyParts",
    ]
)
EXCEPTIONS = ClientExceptions(S3_ERRORS)

# Parameters boto3 accepts that make no difference here (no ACLs, encryption, storage classes,
# checksums or requester-pays on a host's directory).
_IGNORED_COMMON = ("ExpectedBucketOwner", "RequestPayer")
_IGNORED_SSE_C = ("SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5")
_IGNORED_GET = _IGNORED_COMMON + _IGNORED_SSE_C + (
    "ChecksumMode",
    "PartNumber",
    "ResponseCacheControl",
    "ResponseContentDisposition",
    "ResponseContentEncoding",
    "ResponseContentLanguage",
    "ResponseExpires",
)
_IGNORED_PUT = _IGNORED_COMMON + _IGNORED_SSE_C + (
    "ACL",
    "CacheControl",
    "ChecksumAlgorithm",
    "ChecksumCRC32",
    "ChecksumCRC32C",
    "ChecksumCRC64NVME",
    "ChecksumSHA1",
    "ChecksumSHA256",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "ContentLength",
    "ContentMD5",
    "Expires",
    "GrantFullControl",
    "GrantRead",
    "GrantReadACP",
    "GrantWriteACP",
    "ObjectLockLegalHoldStatus",
    "ObjectLockMode",
    "ObjectLockRetainUntilDate",
    "ServerSideEncryption",
    "SSEKMSKeyId",
    "SSEKMSEncryptionContext",
    "BucketKeyEnabled",
    "StorageClass",
    "Tagging",
    "WebsiteRedirectLocation",
)
_IGNORED_LIST = _IGNORED_COMMON + ("EncodingType", "FetchOwner", "OptionalObjectAttributes")
_IGNORED_COPY = _IGNORED_PUT + (
    "CopySourceSSECustomerAlgorithm",
    "CopySourceSSECustomerKey",
    "CopySourceSSECustomerKeyMD5",
    "ExpectedSourceBucketOwner",
    "TaggingDirective",
)

ALLOWED_DOWNLOAD_ARGS = ("ChecksumMode", "VersionId") + _IGNORED_SSE_C + _IGNORED_COMMON
ALLOWED_UPLOAD_ARGS = tuple(
    sorted(set(_IGNORED_PUT) - {"ContentLength", "ContentMD5"} | {"ContentType", "Metadata"})
)
ALLOWED_COPY_ARGS = ALLOWED_UPLOAD_ARGS + ("MetadataDirective", "TaggingDirective", "VersionId")


# --- errors ---------------------------------------------------------------------------------


def _error(code, message, status, operation, extra=None, rid=None):
    error = {"Code": code, "Message": message}
    if extra:
        error.update(extra)
    response = {"Error": error, "ResponseMetadata": metadata(status, rid=rid)}
    cls = S3_ERRORS.get(code, ClientError)
    return cls(response, operation)


def _with_detail(text, detail):
    return f"{text} ({detail})" if detail else text


def s3_error(failure, operation, bucket, key=None):
    """The ClientError boto3 raises for a host failure in `operation` (S3's codes).

    HeadObject has no error body on S3, so botocore reports the HTTP status as the code
    (`404`, `403`); every other operation gets S3's named code.
    """
    kind, detail = failure.kind, failure.message
    if kind == "no-such-key":
        status, code, message, extra = 404, "NoSuchKey", "The specified key does not exist.", {"Key": key}
    elif kind == "no-such-bucket":
        status, code = 404, "NoSuchBucket"
        message, extra = _with_detail("The specified bucket does not exist", detail), {"BucketName": bucket}
    elif kind == "access-denied":
        status, code, message, extra = 403, "AccessDenied", _with_detail("Access Denied", detail), None
    elif kind == "invalid-key" and "not satisfiable" in detail:
        status, code = 416, "InvalidRange"
        message, extra = _with_detail("The requested range is not satisfiable", detail), None
    elif kind == "invalid-key":
        status, code, message, extra = 400, "InvalidArgument", detail, None
    elif kind == "too-large":
        status, code = 400, "EntityTooLarge"
        message, extra = _with_detail("Your proposed upload exceeds the maximum allowed size", detail), None
    elif kind == "io" and detail.startswith("SlowDown"):
        status, code = 503, "SlowDown"
        message, extra = _with_detail("Please reduce your request rate.", detail), None
    else:
        status, code = 500, "InternalError"
        message, extra = _with_detail("We encountered an internal error. Please try again.", detail), None
    if operation == "HeadObject":
        # Only 403 keeps the host's text: it names the grant to add.
        text = reason(status)
        if status == 403:
            text = _with_detail(text, detail)
        return _error(str(status), text, status, operation)
    return _error(code, message, status, operation, extra)


def _call(operation, bucket, key, fn, *args):
    try:
        return fn(*args)
    except HostError as e:
        raise s3_error(e, operation, bucket, key) from None


# --- shapes ---------------------------------------------------------------------------------


def _etag(info):
    return f'"{info.etag}"'


def _last_modified(info, precise=False):
    """S3's LastModified: seconds in headers (Get/Head), milliseconds in listings."""
    ms = info.last_modified_ms if precise else info.last_modified_ms // 1000 * 1000
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)


def content_type(key):
    """What S3 would report for an object stored without a Content-Type: guessed from the
    key's extension, else `binary/octet-stream`."""
    guessed, _ = mimetypes.guess_type(key, strict=False)
    if guessed is None or guessed == "application/octet-stream":
        return DEFAULT_CONTENT_TYPE
    return guessed


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _http_date(info):
    """RFC 7231's date, as the Last-Modified header carries it."""
    t = _last_modified(info)
    return f"{_DAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year} {t:%H:%M:%S} GMT"


def _parse_http_date(text):
    # `Wed, 21 Oct 2015 07:28:00 GMT`; parsed by hand (strptime imports a module lazily, and
    # nothing can be imported at run time that was not imported while packaging).
    try:
        _, day, month, year, clock, zone = text.split()
        hour, minute, second = (int(x) for x in clock.split(":"))
        if zone not in ("GMT", "UTC"):
            return None
        return datetime.datetime(
            int(year), _MONTHS.index(month) + 1, int(day), hour, minute, second, tzinfo=datetime.timezone.utc
        )
    except ValueError:
        return None


def _object_fields(info, key, content_type_override=None):
    ctype = content_type_override or content_type(key)
    fields = {
        "AcceptRanges": "bytes",
        "LastModified": _last_modified(info),
        "ContentLength": info.size,
        "ETag": _etag(info),
        "ContentType": ctype,
        "ServerSideEncryption": "AES256",
        "Metadata": {},
    }
    headers = {
        "accept-ranges": "bytes",
        "last-modified": _http_date(info),
        "content-length": str(info.size),
        "etag": _etag(info),
        "content-type": ctype,
        "x-amz-server-side-encryption": "AES256",
    }
    return fields, headers


def _timestamp(value, name):
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    if isinstance(value, str):
        parsed = _parse_http_date(value)
        if parsed is not None:
            return parsed
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            pass
    raise ParamValidationError(
        report=f"Invalid type for parameter {name}, value: {value!r}, type: {type(value)}, "
        "valid types: <class 'datetime.datetime'>, timestamp-string"
    )


def _check_conditions(info, kwargs, operation):
    """If-Match / If-None-Match / If-(Un)Modified-Since, as S3 evaluates them."""
    etag = _etag(info)
    modified = _last_modified(info)

    def tags(value):
        return {t.strip() for t in value.split(",")}

    def fail(status, code, message, condition):
        if operation == "HeadObject":
            return _error(str(status), reason(status), status, operation)
        extra = {"Condition": condition} if status == 412 else None
        return _error(code, message, status, operation, extra)

    if_match = kwargs.get("IfMatch")
    if if_match is not None and "*" not in tags(if_match) and etag not in tags(if_match) and info.etag not in tags(if_match):
        raise fail(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", "If-Match")
    if if_match is None and "IfUnmodifiedSince" in kwargs:
        if modified > _timestamp(kwargs["IfUnmodifiedSince"], "IfUnmodifiedSince"):
            raise fail(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", "If-Unmodified-Since")
    if_none = kwargs.get("IfNoneMatch")
    if if_none is not None and ("*" in tags(if_none) or etag in tags(if_none) or info.etag in tags(if_none)):
        raise fail(304, "304", "Not Modified", "If-None-Match")
    if if_none is None and "IfModifiedSince" in kwargs:
        if modified <= _timestamp(kwargs["IfModifiedSince"], "IfModifiedSince"):
            raise fail(304, "304", "Not Modified", "If-Modified-Since")


def _check_version(version_id, operation):
    # Buckets keep no versions; S3 answers "null" for an unversioned object's version.
    if version_id is not None and version_id != "null":
        raise _error("InvalidArgument", "Invalid version id specified", 400, operation, {"ArgumentName": "versionId", "ArgumentValue": version_id})


def _parse_range(text, size):
    """`bytes=a-b`, `bytes=a-`, `bytes=-n` → (first, last) within `size`; None to ignore
    (S3 ignores a Range it cannot parse); "unsatisfiable" when it starts past the end."""
    if not isinstance(text, str) or not text.startswith("bytes=") or "," in text:
        return None
    first_text, dash, last_text = text[len("bytes=") :].strip().partition("-")
    if not dash:
        return None
    try:
        if first_text == "":
            suffix = int(last_text)
            if suffix <= 0:
                return "unsatisfiable"
            return (max(0, size - suffix), size - 1) if size else "unsatisfiable"
        first = int(first_text)
        last = int(last_text) if last_text else size - 1
    except ValueError:
        return None
    if first > last and last_text:
        return None
    if first >= size:
        return "unsatisfiable"
    return first, min(last, size - 1)


def _body_bytes(body, operation):
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    read = getattr(body, "read", None)
    if callable(read):
        data = read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise ParamValidationError(
        report=f"Invalid type for parameter Body, value: {body!r}, type: {type(body)}, valid types: "
        "<class 'bytes'>, <class 'bytearray'>, file-like object"
    )


def _encode_token(cursor):
    return base64.urlsafe_b64encode(b"1:" + cursor.encode("utf-8")).decode("ascii")


def _decode_token(token, operation):
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        if raw.startswith(b"1:"):
            return raw[2:].decode("utf-8")
    except (ValueError, UnicodeError, AttributeError):
        pass
    raise _error("InvalidArgument", "The continuation token provided is incorrect", 400, operation, {"ArgumentName": "continuation-token"})


def _copy_source(source, operation):
    """CopySource as boto3 takes it: `"bucket/key"`, `"bucket/key?versionId=v"` or a dict."""
    if isinstance(source, dict):
        missing = [k for k in ("Bucket", "Key") if k not in source]
        if missing:
            raise ParamValidationError(report=f"Missing required parameter in input: \"{missing[0]}\"")
        return source["Bucket"], source["Key"], source.get("VersionId")
    if isinstance(source, str):
        text, _, query = source.partition("?versionId=")
        bucket, slash, key = text.lstrip("/").partition("/")
        if not slash or not bucket or not key:
            raise _error("InvalidArgument", "Invalid copy source object key", 400, operation, {"ArgumentName": "x-amz-copy-source"})
        return bucket, key, query or None
    raise ParamValidationError(
        report=f"Invalid type for parameter CopySource, value: {source!r}, type: {type(source)}, "
        "valid types: <class 'str'>, <class 'dict'>"
    )


# --- the client -----------------------------------------------------------------------------


class S3(BaseClient):
    """`boto3.client("s3")`: object calls against the host's buckets."""

    _SERVICE = "s3"
    exceptions = EXCEPTIONS

    # -- reads --

    def head_object(self, *args, **kwargs):
        """Metadata without the body; a missing object is ClientError `404`."""
        no_positional("head_object", args)
        check_params(
            "HeadObject",
            kwargs,
            ("Bucket", "Key"),
            ("IfMatch", "IfNoneMatch", "IfModifiedSince", "IfUnmodifiedSince", "Range", "VersionId")
            + _IGNORED_GET,
        )
        bucket, key = kwargs["Bucket"], kwargs["Key"]
        _check_version(kwargs.get("VersionId"), "HeadObject")
        info = _call("HeadObject", bucket, key, host.head_object, bucket, key)
        _check_conditions(info, kwargs, "HeadObject")
        fields, headers = _object_fields(info, key, kwargs.get("ResponseContentType"))
        fields["ResponseMetadata"] = metadata(200, headers)
        return fields

    def get_object(self, *args, **kwargs):
        """The object, its `Body` a StreamingBody; `Range="bytes=a-b"` gives part of it."""
        no_positional("get_object", args)
        check_params(
            "GetObject",
            kwargs,
            ("Bucket", "Key"),
            ("IfMatch", "IfNoneMatch", "IfModifiedSince", "IfUnmodifiedSince", "Range", "VersionId", "ResponseContentType")
            + _IGNORED_GET,
        )
        bucket, key = kwargs["Bucket"], kwargs["Key"]
        _check_version(kwargs.get("VersionId"), "GetObject")
        info = _call("GetObject", bucket, key, host.head_object, bucket, key)
        _check_conditions(info, kwargs, "GetObject")
        wanted = None
        if "Range" in kwargs:
            wanted = _parse_range(kwargs["Range"], info.size)
            if wanted == "unsatisfiable":
                raise _error(
                    "InvalidRange",
                    "The requested range is not satisfiable",
                    416,
                    "GetObject",
                    {"ActualObjectSize": str(info.size), "RangeRequested": kwargs["Range"]},
                )
        body, info = self._open(bucket, key, info, wanted)
        fields, headers = _object_fields(info, key, kwargs.get("ResponseContentType"))
        status = 200
        length = info.size
        if wanted is not None:
            status = 206
            length = wanted[1] - wanted[0] + 1
            fields["ContentRange"] = f"bytes {wanted[0]}-{wanted[1]}/{info.size}"
            headers["content-range"] = fields["ContentRange"]
        fields["ContentLength"] = length
        headers["content-length"] = str(length)
        fields["Body"] = StreamingBody(body, length)
        fields["ResponseMetadata"] = metadata(status, headers)
        return fields

    def _open(self, bucket, key, info, wanted, operation="GetObject"):
        """A raw stream over the object (or range): one host call when it fits in one, else
        ranged reads as the body is consumed."""
        first, last = wanted if wanted is not None else (0, info.size - 1)
        try:
            data = host.get_object(bucket, key, wanted)
        except HostError as e:
            if e.kind != "too-large":
                raise s3_error(e, operation, bucket, key) from None
        else:
            if wanted is None and len(data) != info.size:
                # Rewritten between the two calls: describe what was read.
                info = _call(operation, bucket, key, host.head_object, bucket, key)
            return io.BytesIO(data), info

        def fetch(lo, hi):
            return _call(operation, bucket, key, host.get_object, bucket, key, (first + lo, first + hi))

        return RangedReader(fetch, last - first + 1), info

    # -- writes --

    def put_object(self, *args, **kwargs):
        """Write an object (Body: bytes, bytearray, str or a file object)."""
        no_positional("put_object", args)
        check_params("PutObject", kwargs, ("Bucket", "Key"), ("Body", "ContentType", "Metadata") + _IGNORED_PUT)
        bucket, key = kwargs["Bucket"], kwargs["Key"]
        meta = kwargs.get("Metadata")
        if meta is not None and (
            not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())
        ):
            raise ParamValidationError(
                report=f"Invalid type for parameter Metadata, value: {meta!r}, type: {type(meta)}, valid types: <class 'dict'>"
            )
        body = _body_bytes(kwargs.get("Body"), "PutObject")
        info = _call("PutObject", bucket, key, host.put_object, bucket, key, body)
        headers = {"etag": _etag(info), "x-amz-server-side-encryption": "AES256", "content-length": "0"}
        return {"ETag": _etag(info), "ServerSideEncryption": "AES256", "ResponseMetadata": metadata(200, headers)}

    def delete_object(self, *args, **kwargs):
        """Remove an object (204); a missing key is not an error, as on S3."""
        no_positional("delete_object", args)
        check_params(
            "DeleteObject", kwargs, ("Bucket", "Key"), ("VersionId", "MFA", "BypassGovernanceRetention", "IfMatch") + _IGNORED_COMMON
        )
        bucket, key = kwargs["Bucket"], kwargs["Key"]
        _check_version(kwargs.get("VersionId"), "DeleteObject")
        _call("DeleteObject", bucket, key, host.delete_object, bucket, key)
        return {"ResponseMetadata": metadata(204)}

    def delete_objects(self, *args, **kwargs):
        """Remove several keys: `Delete={"Objects": [{"Key": k}, ...], "Quiet": False}`."""
        no_positional("delete_objects", args)
        check_params(
            "DeleteObjects", kwargs, ("Bucket", "Delete"), ("MFA", "BypassGovernanceRetention", "ChecksumAlgorithm") + _IGNORED_COMMON
        )
        bucket, spec = kwargs["Bucket"], kwargs["Delete"]
        if not isinstance(spec, dict) or "Objects" not in spec:
            raise ParamValidationError(report='Missing required parameter in input: "Objects"')
        deleted, errors = [], []
        for item in spec["Objects"]:
            key = item["Key"]
            try:
                _check_version(item.get("VersionId"), "DeleteObjects")
                host.delete_object(bucket, key)
            except HostError as e:
                if e.kind == "no-such-bucket":
                    raise s3_error(e, "DeleteObjects", bucket, key) from None
                err = s3_error(e, "DeleteObjects", bucket, key).response["Error"]
                errors.append({"Key": key, "Code": err["Code"], "Message": err["Message"]})
            except ClientError as e:
                err = e.response["Error"]
                errors.append({"Key": key, "Code": err["Code"], "Message": err["Message"]})
            else:
                deleted.append({"Key": key})
        out = {"ResponseMetadata": metadata(200)}
        if deleted and not spec.get("Quiet"):
            out["Deleted"] = deleted
        if errors:
            out["Errors"] = errors
        return out

    def copy_object(self, *args, **kwargs):
        """Copy an object on the host (CopySource `"bucket/key"` or `{"Bucket", "Key"}`)."""
        no_positional("copy_object", args)
        check_params(
            "CopyObject",
            kwargs,
            ("Bucket", "CopySource", "Key"),
            (
                "ContentType",
                "Metadata",
                "MetadataDirective",
                "CopySourceIfMatch",
                "CopySourceIfNoneMatch",
                "CopySourceIfModifiedSince",
                "CopySourceIfUnmodifiedSince",
            )
            + _IGNORED_COPY,
        )
        bucket, key = kwargs["Bucket"], kwargs["Key"]
        src_bucket, src_key, version = _copy_source(kwargs["CopySource"], "CopyObject")
        _check_version(version, "CopyObject")
        if (src_bucket, src_key) == (bucket, key) and kwargs.get("MetadataDirective") != "REPLACE":
            raise _error(
                "InvalidRequest",
                "This copy request is illegal because it is trying to copy an object to itself without "
                "changing the object's metadata, storage class, website redirect location or encryption attributes.",
                400,
                "CopyObject",
            )
        conditions = {
            name[len("CopySource") :]: kwargs[name]
            for name in ("CopySourceIfMatch", "CopySourceIfNoneMatch", "CopySourceIfModifiedSince", "CopySourceIfUnmodifiedSince")
            if name in kwargs
        }
        if conditions:
            source = _call("CopyObject", src_bucket, src_key, host.head_object, src_bucket, src_key)
            _check_conditions(source, conditions, "CopyObject")
        try:
            info = host.copy_object(src_bucket, src_key, bucket, key)
        except HostError as e:
            failed = src_key if e.kind == "no-such-key" else key
            raise s3_error(e, "CopyObject", src_bucket if e.kind == "no-such-key" else bucket, failed) from None
        result = {"ETag": _etag(info), "LastModified": _last_modified(info, precise=True)}
        return {"CopyObjectResult": result, "ServerSideEncryption": "AES256", "ResponseMetadata": metadata(200)}

    # -- listings --

    def list_objects_v2(self, *args, **kwargs):
        """Keys in order, with Prefix, Delimiter (CommonPrefixes), MaxKeys, StartAfter and
        ContinuationToken paging, as S3's ListObjectsV2."""
        no_positional("list_objects_v2", args)
        check_params(
            "ListObjectsV2",
            kwargs,
            ("Bucket",),
            ("Prefix", "Delimiter", "MaxKeys", "ContinuationToken", "StartAfter") + _IGNORED_LIST,
        )
        bucket = kwargs["Bucket"]
        prefix = kwargs.get("Prefix") or ""
        delimiter = kwargs.get("Delimiter") or None
        max_keys = self._max_keys(kwargs, "ListObjectsV2")
        token = kwargs.get("ContinuationToken")
        if token is not None:
            cursor = _decode_token(token, "ListObjectsV2")
        else:
            cursor = kwargs.get("StartAfter") or None
        contents, prefixes, truncated, last = _list(bucket, prefix, delimiter, cursor, max_keys, "ListObjectsV2")
        out = {"IsTruncated": truncated}
        if contents:
            out["Contents"] = contents
        out["Name"] = bucket
        out["Prefix"] = prefix
        if delimiter:
            out["Delimiter"] = delimiter
        out["MaxKeys"] = max_keys
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": p} for p in prefixes]
        out["EncodingType"] = "url"
        out["KeyCount"] = len(contents) + len(prefixes)
        if token is not None:
            out["ContinuationToken"] = token
        if truncated:
            out["NextContinuationToken"] = _encode_token(last)
        if kwargs.get("StartAfter"):
            out["StartAfter"] = kwargs["StartAfter"]
        out["ResponseMetadata"] = metadata(200)
        return out

    def list_objects(self, *args, **kwargs):
        """S3's ListObjects (version 1): Marker instead of tokens."""
        no_positional("list_objects", args)
        check_params("ListObjects", kwargs, ("Bucket",), ("Prefix", "Delimiter", "MaxKeys", "Marker") + _IGNORED_LIST)
        bucket = kwargs["Bucket"]
        prefix = kwargs.get("Prefix") or ""
        delimiter = kwargs.get("Delimiter") or None
        max_keys = self._max_keys(kwargs, "ListObjects")
        marker = kwargs.get("Marker") or ""
        cursor = marker or None
        if marker and delimiter and marker.startswith(prefix):
            # A NextMarker that is a common prefix: carry on after everything it rolled up.
            rest = marker[len(prefix) :]
            cut = rest.find(delimiter)
            if cut >= 0 and cut + len(delimiter) == len(rest):
                cursor = marker + _PAST
        contents, prefixes, truncated, last = _list(bucket, prefix, delimiter, cursor, max_keys, "ListObjects")
        out = {"IsTruncated": truncated, "Marker": marker}
        if contents:
            out["Contents"] = contents
        out["Name"] = bucket
        out["Prefix"] = prefix
        if delimiter:
            out["Delimiter"] = delimiter
        out["MaxKeys"] = max_keys
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": p} for p in prefixes]
        out["EncodingType"] = "url"
        if truncated and delimiter:
            out["NextMarker"] = last[: -len(_PAST)] if last.endswith(_PAST) else last
        out["ResponseMetadata"] = metadata(200)
        return out

    @staticmethod
    def _max_keys(kwargs, operation):
        max_keys = kwargs.get("MaxKeys", _MAX_PAGE)
        if not isinstance(max_keys, int) or isinstance(max_keys, bool):
            raise ParamValidationError(
                report=f"Invalid type for parameter MaxKeys, value: {max_keys!r}, type: {type(max_keys)}, valid types: <class 'int'>"
            )
        if max_keys < 0:
            raise _error("InvalidArgument", "Argument maxKeys must be an integer between 0 and 2147483647", 400, operation)
        return max_keys

    def get_paginator(self, operation_name):
        """A paginator for `list_objects_v2` or `list_objects`."""
        return Paginator(self, operation_name)

    def can_paginate(self, operation_name):
        return operation_name in ("list_objects_v2", "list_objects")

    # -- transfers (boto3's managed uploads and downloads) --

    def download_file(self, Bucket, Key, Filename, ExtraArgs=None, Callback=None, Config=None):
        """Write the object to the file `Filename` (e.g. under /tmp); a missing object is
        ClientError `404` from HeadObject, as with boto3."""
        path = os.fspath(Filename)
        tmp = f"{path}.{os.urandom(4).hex()}"
        try:
            with open(tmp, "wb") as f:
                self.download_fileobj(Bucket, Key, f, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.remove(tmp)
            except OSError:
                pass
            raise

    def download_fileobj(self, Bucket, Key, Fileobj, ExtraArgs=None, Callback=None, Config=None):
        """Write the object into a binary file object."""
        extra = _extra_args(ExtraArgs, ALLOWED_DOWNLOAD_ARGS)
        if not hasattr(Fileobj, "write"):
            raise ValueError("Fileobj must implement write")
        # boto3 HEADs first: a missing object is ClientError 404 from HeadObject.
        head = self.head_object(Bucket=Bucket, Key=Key, **extra)
        raw, _ = self._open(Bucket, Key, _Info(Key, head["ContentLength"]), None)
        while True:
            chunk = raw.read(RangedReader.STEP)
            if not chunk:
                break
            Fileobj.write(chunk)
            if Callback is not None:
                Callback(len(chunk))

    def upload_file(self, Filename, Bucket, Key, ExtraArgs=None, Callback=None, Config=None):
        """Put the file `Filename` as the object; a refused put is S3UploadFailedError."""
        extra = _extra_args(ExtraArgs, ALLOWED_UPLOAD_ARGS)
        path = os.fspath(Filename)
        with open(path, "rb") as f:
            body = f.read()
        try:
            self.put_object(Bucket=Bucket, Key=Key, Body=body, **extra)
        except ClientError as e:
            raise boto3.exceptions.S3UploadFailedError(f"Failed to upload {path} to {Bucket}/{Key}: {e}") from None
        if Callback is not None:
            Callback(len(body))

    def upload_fileobj(self, Fileobj, Bucket, Key, ExtraArgs=None, Callback=None, Config=None):
        """Put what a binary file object holds as the object."""
        extra = _extra_args(ExtraArgs, ALLOWED_UPLOAD_ARGS)
        if not hasattr(Fileobj, "read"):
            raise ValueError("Fileobj must implement read")
        body = Fileobj.read()
        if isinstance(body, str):
            raise ValueError("Fileobj must be opened in binary mode: read() returned str")
        self.put_object(Bucket=Bucket, Key=Key, Body=bytes(body), **extra)
        if Callback is not None:
            Callback(len(body))

    def copy(self, CopySource, Bucket, Key, ExtraArgs=None, Callback=None, SourceClient=None, Config=None):
        """boto3's managed copy: copy_object on the host."""
        extra = _extra_args(ExtraArgs, ALLOWED_COPY_ARGS)
        self.copy_object(CopySource=CopySource, Bucket=Bucket, Key=Key, **extra)


class _Info:
    """Enough of an `object-info` to open a body of known size."""

    def __init__(self, key, size):
        self.key, self.size = key, size


def _extra_args(extra, allowed):
    extra = dict(extra or {})
    for name in extra:
        if name not in allowed:
            raise ValueError(f"Invalid extra_args key '{name}', must be one of: {', '.join(allowed)}")
    return extra


def _list(bucket, prefix, delimiter, cursor, max_keys, operation):
    """One page: (contents, common prefixes, truncated, cursor after the page's last entry).

    The host lists keys in order after a start key; prefixes rolled up by the delimiter are
    skipped with a start key past everything under them.
    """
    contents, prefixes = [], []
    max_keys = min(max_keys, _MAX_PAGE)  # S3 returns at most 1000 entries a page
    if max_keys == 0:
        return contents, prefixes, False, cursor
    if cursor is not None and prefix and cursor < prefix:
        cursor = None
    truncated = False
    while not truncated:
        ask = min(_MAX_PAGE, max_keys - len(contents) - len(prefixes) + 1)
        batch = _call(operation, bucket, None, host.list_objects, bucket, prefix, cursor, ask)
        skip = None
        for info in batch:
            k = info.key
            if (cursor is not None and k <= cursor) or (skip is not None and k.startswith(skip)):
                continue
            if len(contents) + len(prefixes) == max_keys:
                truncated = True
                break
            if delimiter:
                rest = k[len(prefix) :]
                cut = rest.find(delimiter)
                if cut >= 0:
                    common = prefix + rest[: cut + len(delimiter)]
                    prefixes.append(common)
                    skip = common
                    cursor = common + _PAST
                    continue
            contents.append(
                {
                    "Key": k,
                    "LastModified": _last_modified(info, precise=True),
                    "ETag": _etag(info),
                    "Size": info.size,
                    "StorageClass": "STANDARD",
                }
            )
            cursor = k
        if len(batch) < ask:
            break
    return contents, prefixes, truncated, cursor


def _warm():
    """Run the pure code paths once while packaging: a module that any of them imports lazily
    (the standard library does) is then in the snapshot, since nothing can be imported at run
    time that was not imported before."""
    content_type("a.txt")
    content_type("a")
    info = _Info("k", 3)
    info.etag, info.last_modified_ms = "0", 0
    _http_date(info)
    _timestamp("Wed, 21 Oct 2015 07:28:00 GMT", "x")
    _timestamp("2015-10-21T07:28:00Z", "x")
    _decode_token(_encode_token("k"), "ListObjectsV2")
    body = StreamingBody(io.BytesIO(b"a\nb"), 3)
    list(body.iter_lines())
    str(_error("NoSuchKey", "m", 404, "GetObject"))


_warm()
