"""Object access to fnhost's buckets from Python: the `objects` interface of `wit/handler.wit`.

    import fnhost_objects as objects

    body = objects.get_object("uploads", "photos/cat.jpg")           # bytes
    part = objects.get_object("uploads", "big.bin", range=(0, 1023))  # first KiB
    info = objects.put_object("thumbs", "cat.jpg", body)              # ObjectInfo
    for o in objects.list_objects("uploads", prefix="photos/"):
        print(o.key, o.size)

Every failure raises a subclass of `ObjectError` (`NoSuchKey`, `NoSuchBucket`, `AccessDenied`,
`InvalidKey`, `TooLarge`, `ObjectIOError`) whose message comes from the host and, for a
missing grant, names the line to add to fnhost.toml.
"""

from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

from componentize_py_types import Err
from wit_world.imports import objects as _wit

__all__ = [
    "ObjectInfo",
    "ObjectError",
    "NoSuchKey",
    "NoSuchBucket",
    "AccessDenied",
    "InvalidKey",
    "TooLarge",
    "ObjectIOError",
    "get_object",
    "put_object",
    "head_object",
    "delete_object",
    "list_objects",
]


@dataclass(frozen=True)
class ObjectInfo:
    """Metadata of one object, as S3's HeadObject reports it."""

    key: str
    size: int
    etag: str
    last_modified_ms: int


class ObjectError(Exception):
    """An object call failed; the message is the host's."""


class NoSuchKey(ObjectError):
    """The key does not exist in the bucket."""


class NoSuchBucket(ObjectError):
    """No bucket of that name is available to this function."""


class AccessDenied(ObjectError):
    """The function has no grant for this bucket."""


class InvalidKey(ObjectError):
    """The key is empty, absolute, contains `..` or escapes the bucket."""


class TooLarge(ObjectError):
    """The object or range is larger than one call may move."""


class ObjectIOError(ObjectError):
    """Any other I/O failure on the host."""


_ERRORS = {
    _wit.ObjectError_NoSuchKey: NoSuchKey,
    _wit.ObjectError_NoSuchBucket: NoSuchBucket,
    _wit.ObjectError_AccessDenied: AccessDenied,
    _wit.ObjectError_InvalidKey: InvalidKey,
    _wit.ObjectError_TooLarge: TooLarge,
    _wit.ObjectError_Io: ObjectIOError,
}


def _call(fn, *args):
    try:
        return fn(*args)
    except Err as e:
        raise _ERRORS.get(type(e.value), ObjectError)(e.value.value) from None


def _info(i) -> ObjectInfo:
    return ObjectInfo(i.key, i.size, i.etag, i.last_modified_ms)


def get_object(bucket: str, key: str, range: Optional[Tuple[int, int]] = None) -> bytes:
    """The object's bytes, or the inclusive byte range `(first, last)` of it."""
    return _call(_wit.get_object, bucket, key, range)


def put_object(bucket: str, key: str, body: Union[bytes, bytearray, str]) -> ObjectInfo:
    """Write an object atomically; `str` bodies are stored as UTF-8."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return _info(_call(_wit.put_object, bucket, key, bytes(body)))


def head_object(bucket: str, key: str) -> ObjectInfo:
    """Metadata without the body."""
    return _info(_call(_wit.head_object, bucket, key))


def delete_object(bucket: str, key: str) -> None:
    """Remove an object; a missing key is not an error."""
    _call(_wit.delete_object, bucket, key)


def list_objects(
    bucket: str, prefix: str = "", start_after: Optional[str] = None, max_keys: int = 1000
) -> List[ObjectInfo]:
    """Objects under `prefix`, in key order, after `start_after`, at most `max_keys`."""
    return [_info(i) for i in _call(_wit.list_objects, bucket, prefix, start_after, max_keys)]
