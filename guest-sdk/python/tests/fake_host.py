"""An in-memory host for the shim tests: the `wit_world` bindings componentize-py generates for
`wit/handler.wit` (same module, class and function names), over dict buckets that behave as
fnhost's (grants, a per-call read cap, S3 range rules, code point key order, the 1000-key list
cap) and a recorder for `functions.invoke`.

`install()` puts the modules in `sys.modules`; tests then import the shims by path.
"""

import hashlib
import sys
import types
from dataclasses import dataclass
from enum import Enum
from typing import Generic, Optional, TypeVar

E = TypeVar("E")


@dataclass
class Err(Generic[E], Exception):
    """componentize_py_types.Err: the failure case of a WIT `result` (the generated one is a
    frozen dataclass; this one is not, so that unittest may attach tracebacks to it)."""

    value: E


def _cases(prefix, names):
    return {name: dataclass(type(f"{prefix}_{name}", (), {"__annotations__": {"value": str}})) for name in names}


OBJECT_ERRORS = _cases("ObjectError", ["NoSuchKey", "NoSuchBucket", "AccessDenied", "InvalidKey", "TooLarge", "Io"])
INVOKE_ERRORS = _cases(
    "InvokeError",
    ["ResourceNotFound", "AccessDenied", "TooManyRequests", "RequestTooLarge", "InvalidParameter", "RecursiveInvocation", "Service"],
)


@dataclass
class ObjectInfo:
    key: str
    size: int
    etag: str
    last_modified_ms: int


class InvocationType(Enum):
    REQUEST_RESPONSE = 0
    EVENT = 1
    DRY_RUN = 2


@dataclass
class InvokeResponse:
    status_code: int
    function_error: Optional[str]
    executed_version: Optional[str]
    payload: bytes
    log_result: Optional[str]


class Host:
    """Buckets `{name: {key: (bytes, mtime_ms)}}`, grants, a read cap; invoke handlers."""

    def __init__(self):
        self.buckets = {}
        self.read = set()
        self.write = set()
        self.function = "me"
        self.get_cap = 32 << 20
        self.clock_ms = 1_700_000_000_123
        self.calls = []
        self.functions = {}  # name -> fn(payload bytes, invocation type) -> InvokeResponse | Err value
        self.invoke_grants = set()

    # -- helpers for tests --
    def bucket(self, name, read=True, write=True, **objects):
        self.buckets[name] = {}
        if read:
            self.read.add(name)
        if write:
            self.write.add(name)
        for key, body in objects.items():
            self.store(name, key, body)

    def store(self, bucket, key, body):
        if isinstance(body, str):
            body = body.encode()
        self.clock_ms += 1000
        self.buckets[bucket][key] = (body, self.clock_ms)

    # -- the host's rules --
    def _bucket(self, name, need):
        self.calls.append((need, name))
        if name not in self.buckets:
            raise Err(OBJECT_ERRORS["NoSuchBucket"](f"bucket `{name}` is not declared; declare it with `[bucket.{name}]` in fnhost.toml"))
        if name not in (self.read if need == "read" else self.write):
            raise Err(
                OBJECT_ERRORS["AccessDenied"](
                    f'function `{self.function}` has no {need} access to bucket `{name}`: add "{name}" to '
                    f"`objects = {{ {need} = [...] }}` in [function.{self.function}]"
                )
            )
        return self.buckets[name]

    def _key(self, key):
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise Err(OBJECT_ERRORS["InvalidKey"](f"invalid key `{key}`"))

    @staticmethod
    def _info(key, entry):
        body, mtime = entry
        return ObjectInfo(key, len(body), hashlib.md5(body).hexdigest(), mtime)

    def _entry(self, objects, key, bucket):
        self._key(key)
        if key not in objects:
            raise Err(OBJECT_ERRORS["NoSuchKey"](f"`{key}` in bucket `{bucket}`"))
        return objects[key]

    def get_object(self, bucket, key, range):
        body, _ = self._entry(self._bucket(bucket, "read"), key, bucket)
        if range is None:
            if len(body) > self.get_cap:
                raise Err(OBJECT_ERRORS["TooLarge"](f"object `{key}` is {len(body)} bytes and one call reads at most {self.get_cap}"))
            return body
        first, last = range
        if first > last:
            raise Err(OBJECT_ERRORS["InvalidKey"]("the first byte comes after the last"))
        if first >= len(body):
            raise Err(OBJECT_ERRORS["InvalidKey"](f"range `bytes={first}-{last}` is not satisfiable (S3's InvalidRange)"))
        last = min(last, len(body) - 1)
        if last - first + 1 > self.get_cap:
            raise Err(OBJECT_ERRORS["TooLarge"]("range too large"))
        return body[first : last + 1]

    def put_object(self, bucket, key, body):
        objects = self._bucket(bucket, "write")
        self._key(key)
        if not isinstance(body, bytes):
            raise TypeError(f"put_object body must be bytes, not {type(body)}")
        self.store(bucket, key, body)
        return self._info(key, objects[key])

    def head_object(self, bucket, key):
        return self._info(key, self._entry(self._bucket(bucket, "read"), key, bucket))

    def delete_object(self, bucket, key):
        objects = self._bucket(bucket, "write")
        self._key(key)
        objects.pop(key, None)

    def list_objects(self, bucket, prefix, start_after, max_keys):
        objects = self._bucket(bucket, "read")
        keys = sorted(k for k in objects if k.startswith(prefix) and (start_after is None or k > start_after))
        return [self._info(k, objects[k]) for k in keys[: min(max_keys, 1000)]]

    def copy_object(self, src_bucket, src_key, bucket, key):
        body, _ = self._entry(self._bucket(src_bucket, "read"), src_key, src_bucket)
        return self.put_object(bucket, key, body)

    def invoke(self, function_name, qualifier, invocation_type, payload, log_tail):
        assert isinstance(invocation_type, InvocationType), invocation_type
        assert isinstance(payload, bytes)
        self.calls.append(("invoke", function_name, qualifier, invocation_type, payload, log_tail))
        if function_name not in self.invoke_grants:
            raise Err(INVOKE_ERRORS["AccessDenied"](f'grant it with `invoke = ["{function_name}"]` in [function.{self.function}]'))
        if function_name not in self.functions:
            raise Err(INVOKE_ERRORS["ResourceNotFound"](f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{function_name}"))
        result = self.functions[function_name](payload, invocation_type, log_tail)
        if isinstance(result, Exception):
            raise result
        return result


HOST = Host()


def install():
    """Register componentize_py_types and wit_world.imports.{objects,functions} (once)."""
    if "wit_world" in sys.modules and getattr(sys.modules["wit_world"], "FAKE", False):
        return HOST
    cpt = types.ModuleType("componentize_py_types")
    cpt.Err = Err
    world = types.ModuleType("wit_world")
    world.FAKE = True
    world.__path__ = []
    imports = types.ModuleType("wit_world.imports")
    imports.__path__ = []
    objects = types.ModuleType("wit_world.imports.objects")
    for name, cls in OBJECT_ERRORS.items():
        setattr(objects, f"ObjectError_{name}", cls)
    objects.ObjectInfo = ObjectInfo
    for op in ("get_object", "put_object", "head_object", "delete_object", "list_objects", "copy_object"):
        setattr(objects, op, lambda *args, _op=op: getattr(HOST, _op)(*args))
    functions = types.ModuleType("wit_world.imports.functions")
    for name, cls in INVOKE_ERRORS.items():
        setattr(functions, f"InvokeError_{name}", cls)
    functions.InvocationType = InvocationType
    functions.InvokeResponse = InvokeResponse
    functions.invoke = lambda *args: HOST.invoke(*args)
    imports.objects = objects
    imports.functions = functions
    world.imports = imports
    sys.modules.update(
        {
            "componentize_py_types": cpt,
            "wit_world": world,
            "wit_world.imports": imports,
            "wit_world.imports.objects": objects,
            "wit_world.imports.functions": functions,
        }
    )
    return HOST
