"""fnhost's Python runtime: runs a Lambda-style `handler(event, context)` as a component of the
`guest` world (the `handler` world plus outbound HTTP through wasi:http).

componentize-py imports this module at build time and snapshots the interpreter, so the user's
module (and everything it imports at top level) is loaded once, at build time, not per event.
Top-level code therefore runs during `package.sh`; read per-invocation data (environment
variables, time) inside the handler.

The handler comes from `fnhost_handler_config.HANDLER` ("module.function", as Lambda's
`_HANDLER`), written by package.sh. An import error or a missing handler does not fail the build:
every invocation then reports it as Lambda does (`Runtime.ImportModuleError`,
`Runtime.HandlerNotFound`).
"""

import decimal
import importlib
import json
import logging
import os
import sys
import time
import traceback

import fnhost_snapshot
import wit_world
from componentize_py_types import Err

# fnhost's `types` interface; the world also imports wasi:http's (`wasi_http_types`).
from wit_world.imports import fnhost_function_types as types
from wit_world.imports import runtime

try:
    from fnhost_handler_config import HANDLER
except ImportError:  # packaged by hand, without package.sh
    HANDLER = "lambda_function.lambda_handler"
try:
    # Where each build mount's files are at run time, and the mount of fnhost's boto3.
    from fnhost_handler_config import MOUNTS, SHIMS
except ImportError:
    MOUNTS, SHIMS = {"/0": "/var/task"}, None
try:
    # The generic runtime (fnhost's fast tier): the handler is `_HANDLER`, imported from
    # /var/task at each event; HARVEST is where its build copies the standard library.
    from fnhost_handler_config import GENERIC
except ImportError:
    GENERIC = False
try:
    from fnhost_handler_config import HARVEST
except ImportError:
    HARVEST = None

# `import boto3` / `import botocore` give fnhost's own, even when the package bundles the real
# ones (which fail in WebAssembly: "cannot import name 'ssl' from 'urllib3.util.ssl_'").
if SHIMS is not None:
    fnhost_snapshot.prefer_shims(SHIMS)

# `urllib.request.urlopen` (http and https) goes through wasi:http (fnhost_http), installed the
# moment `urllib.request` is imported, so that openers the function builds at module level use
# it too. Only then: urllib, http.client and email in the snapshot of a function that never
# calls out would make each of its events about 8 % slower.
fnhost_snapshot.after_import("urllib.request", lambda: __import__("fnhost_http").install())

# Where componentize-py mounted each directory while packaging, and where Lambda keeps those
# files (the function's at /var/task, layers' under /opt, the runtime's SDK at /var/runtime):
# stack traces name files as Lambda would.
_TRACE_ROOTS = {f"{mount}/": f"{target}/" for mount, target in MOUNTS.items() if target}
if SHIMS is not None:
    _TRACE_ROOTS[f"{SHIMS}/"] = "/var/runtime/"
# The function's own files and its layers' (their source lines go into traces).
_SOURCE_ROOTS = tuple(
    root for root, target in _TRACE_ROOTS.items() if target.startswith(("/var/task/", "/opt/"))
)
# This file as its code was compiled (its frames name it so, whatever __file__ says later).
_OWN_FILE = __file__

# print() goes straight to the log, line by line, so output written before a timeout or a
# trap is not lost in a buffer.
sys.stdout.reconfigure(line_buffering=True)
sys.stderr.reconfigure(line_buffering=True)


class LambdaContext:
    """Lambda's `context` object (the same attributes as in AWS's Python runtime)."""

    __slots__ = (
        "aws_request_id",
        "function_name",
        "function_version",
        "invoked_function_arn",
        "memory_limit_in_mb",
        "log_group_name",
        "log_stream_name",
        "_deadline_ms",
        "identity",
        "client_context",
    )

    def __init__(self, ctx: types.Context):
        self.aws_request_id = ctx.request_id
        self.function_name = ctx.function_name
        self.function_version = ctx.function_version
        self.invoked_function_arn = ctx.invoked_function_arn
        # A string, as in AWS's runtime (it reads AWS_LAMBDA_FUNCTION_MEMORY_SIZE).
        self.memory_limit_in_mb = str(ctx.memory_limit_mb)
        self.log_group_name = ctx.log_group_name
        self.log_stream_name = ctx.log_stream_name
        self._deadline_ms = ctx.deadline_ms
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out."""
        return runtime.remaining_time_ms()

    def __repr__(self):
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn}])"
        )


class _FunctionFailure(Exception):
    """An error reported with a Lambda runtime error type (not the user's exception class)."""

    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


# --- logging: the root logger prints Lambda's text format, as AWS's runtime sets it up ---

_request_id = ""


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id
        return True


def _setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


_setup_logging()


# --- loading the handler (at build time) ---


def _load(spec):
    module_name, _, function_name = spec.replace("/", ".").rpartition(".")
    if not module_name or not function_name:
        raise _FunctionFailure(
            "Runtime.MalformedHandlerName",
            f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)",
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise _FunctionFailure(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}"
        ) from e
    except SyntaxError as e:
        raise _FunctionFailure(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {e}",
        ) from e
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _FunctionFailure(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return handler


_handler = None
_init_error = None
_init_trace = None


def _load_handler(spec):
    """Import the handler: `_handler`, or `_init_error` (and `_init_trace`) as Lambda reports an
    init failure."""
    global _handler, _init_error, _init_trace
    try:
        _handler = _load(spec)
    except _FunctionFailure as e:
        _init_error = (e.error_type, e.message, [])
    except Exception as e:  # the module's top-level code raised
        _init_error = (type(e).__name__, str(e), None)
        _init_trace = e


if GENERIC:
    if HARVEST:
        fnhost_snapshot.harvest_stdlib(HARVEST)
    # What most functions import, loaded once into the snapshot rather than at each event.
    import base64  # noqa: F401
    import collections  # noqa: F401
    import datetime  # noqa: F401
    import os  # noqa: F401
    import re  # noqa: F401
    import urllib.parse  # noqa: F401
    import uuid  # noqa: F401
else:
    _load_handler(HANDLER)

if _init_error is not None:
    # This runs at build time, where output is not shown: leave the error beside the handler
    # setting for package.sh to print as a warning (every invocation reports it too).
    try:
        import fnhost_handler_config

        with open(fnhost_handler_config.__file__ + ".init-error", "w", encoding="utf-8") as f:
            f.write(f"{_init_error[0]}: {_init_error[1]}")
    except Exception:
        pass


# --- encoding, as AWS's runtime does it (ensure_ascii=False like the 3.12+ runtimes) ---


class _Encoder(json.JSONEncoder):
    def __init__(self):
        super().__init__(ensure_ascii=False, allow_nan=True)

    def default(self, o):
        # DynamoDB-style numbers: written as JSON numbers.
        if isinstance(o, decimal.Decimal):
            return float(o)
        return super().default(o)


_encoder = _Encoder()


def _read_sources():
    """The function's own source lines, read now (at build time): the files are not there at
    run time, and Lambda's traces show the code of each frame."""
    sources = {}
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None) or ""
        if name.startswith(_SOURCE_ROOTS) and name.endswith(".py"):
            try:
                with open(name, encoding="utf-8") as f:
                    sources[name] = f.read().splitlines()
            except (OSError, UnicodeDecodeError):
                pass
    return sources


_sources = _read_sources()


def _finish_snapshot():
    """Leave the interpreter as the function will find it at run time: the whole SDK loaded
    when the function uses it (nothing can be imported from the build mounts later; a function
    that does not import boto3 keeps its snapshot small), paths pointing at /var/task and /opt,
    and no temporary directory remembered from packaging."""
    if SHIMS is not None and ("boto3" in sys.modules or "botocore" in sys.modules):
        try:
            import boto3  # noqa: F401
            import boto3.s3.transfer  # noqa: F401
            import botocore.client  # noqa: F401
            import botocore.config  # noqa: F401
            import botocore.exceptions  # noqa: F401
            import botocore.response  # noqa: F401
        except Exception:  # a broken shim must not hide the user's own error
            pass
    if SHIMS is not None and "urllib3" in sys.modules:
        try:
            import urllib3  # noqa: F401  (its __init__ loads every module of the shim)
        except Exception:
            pass
    fnhost_snapshot.remap_paths(MOUNTS)
    if GENERIC:
        # Lambda's order: the function, then its layers, then the runtime.
        sys.path[:0] = [p for p in _LAMBDA_PATH if p not in sys.path]
    # The standard library: the build's copy at /python is gone at run time; fnhost mounts
    # the generic runtime's at /var/lang once it has built it.
    sys.path.append(_STDLIB)
    fnhost_snapshot.reset_tempdir()


_STDLIB = f"/var/lang/lib/python{sys.version_info.major}.{sys.version_info.minor}"
_LAMBDA_PATH = (
    "/var/task",
    f"/opt/python/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages",
    "/opt/python",
)


_finish_snapshot()


def _trace(tb):
    """Stack lines like Lambda's: the handler's frames, files named under /var/task/."""
    frames = []
    for frame in traceback.extract_tb(tb):
        if not frames and frame.filename == _OWN_FILE:
            continue
        name, line = frame.filename, frame.line
        for root, target in _TRACE_ROOTS.items():
            if name.startswith(root):
                lines = _sources.get(name, ())
                if not line and frame.lineno and 0 < frame.lineno <= len(lines):
                    line = lines[frame.lineno - 1].strip()
                name = target + name[len(root) :]
                break
        frames.append(traceback.FrameSummary(name, frame.lineno, frame.name, lookup_line=False, line=line))
    return traceback.format_list(frames)


def _fail(error_type, message, stack):
    """Log the error as AWS's runtime does, then return it as the function error."""
    text = f"[ERROR] {error_type}: {message}"
    if stack:
        text += "\nTraceback (most recent call last):\n" + "".join(stack).rstrip("\n")
    print(text, file=sys.stderr)
    raise Err(types.FunctionError(error_type, message, stack))


def _forget_missing_paths():
    """Directories that did not exist while packaging (/var/task, /opt/python, ... are mounted
    only at run time) were cached as having no finder; forget that, so modules imported
    inside the handler are found there. A handful of dict entries per event."""
    cache = sys.path_importer_cache
    for entry in [e for e, finder in cache.items() if finder is None]:
        del cache[entry]


class WitWorld(wit_world.WitWorld):
    def handle(self, event: str, ctx: types.Context) -> str:
        global _request_id
        _request_id = ctx.request_id
        _forget_missing_paths()
        try:
            if GENERIC and _handler is None and _init_error is None:
                _load_handler(os.environ.get("_HANDLER") or "lambda_function.lambda_handler")
            if _handler is None:
                error_type, message, stack = _init_error
                if stack is None:
                    stack = _trace(_init_trace.__traceback__)
                _fail(error_type, message, stack)
            try:
                payload = json.loads(event)
            except ValueError as e:
                _fail("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}", [])
            try:
                result = _handler(payload, LambdaContext(ctx))
            except Exception as e:
                _fail(type(e).__name__, str(e), _trace(e.__traceback__))
            try:
                return _encoder.encode(result)
            except (TypeError, ValueError) as e:
                _fail("Runtime.MarshalError", f"Unable to marshal response: {e}", [])
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
