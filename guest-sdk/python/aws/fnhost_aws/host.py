"""The host calls the clients make (`objects` and `functions` of `wit/handler.wit`).

Each failure becomes a `HostError` whose `kind` is the WIT case name (`no-such-key`,
`access-denied`, `resource-not-found`, ...) and whose message is the host's.
"""

from componentize_py_types import Err
from wit_world.imports import functions as _functions
from wit_world.imports import objects as _objects

INVOCATION_TYPES = {
    "RequestResponse": _functions.InvocationType.REQUEST_RESPONSE,
    "Event": _functions.InvocationType.EVENT,
    "DryRun": _functions.InvocationType.DRY_RUN,
}


class HostError(Exception):
    """A host call failed: `kind` is the WIT error case, `message` the host's text."""

    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def _kind(value):
    # `ObjectError_NoSuchKey` -> `no-such-key`, `InvokeError_AccessDenied` -> `access-denied`.
    case = type(value).__name__.partition("_")[2]
    return "".join("-" + c.lower() if c.isupper() else c for c in case).lstrip("-")


def _call(fn, *args):
    try:
        return fn(*args)
    except Err as e:
        raise HostError(_kind(e.value), str(getattr(e.value, "value", e.value))) from None


def get_object(bucket, key, range=None):
    """The object's bytes, or its inclusive range `(first, last)`."""
    return _call(_objects.get_object, bucket, key, range)


def put_object(bucket, key, body):
    """Write an object; its `object-info`."""
    return _call(_objects.put_object, bucket, key, body)


def head_object(bucket, key):
    """An object's `object-info` (key, size, etag without quotes, last-modified-ms)."""
    return _call(_objects.head_object, bucket, key)


def delete_object(bucket, key):
    """Remove an object; a missing one is not an error."""
    _call(_objects.delete_object, bucket, key)


def list_objects(bucket, prefix, start_after, max_keys):
    """At most `max_keys` (host cap 1000) `object-info`s under `prefix` after `start_after`."""
    return _call(_objects.list_objects, bucket, prefix, start_after, max_keys)


def copy_object(src_bucket, src_key, bucket, key):
    """Copy on the host; the new object's `object-info`."""
    return _call(_objects.copy_object, src_bucket, src_key, bucket, key)


def invoke(function_name, qualifier, invocation_type, payload, log_tail):
    """Invoke another function; its `invoke-response`."""
    return _call(
        _functions.invoke, function_name, qualifier, INVOCATION_TYPES[invocation_type], payload, log_tail
    )
