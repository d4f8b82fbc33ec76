"""An in-memory wasi:http for the outbound HTTP tests: the modules componentize-py generates
for world `guest` (`wit_world.imports.{wasi_http_types, outgoing_handler, streams, poll,
error}`, same class and function names) over a fake network that behaves as fnhost's host
does where the client can tell:

- resources are released explicitly, and releasing one whose child is still alive traps
  (wasmtime's resource table), as does finishing a body whose stream is alive;
- Host, Connection, Transfer-Encoding, ... are forbidden header names (wasmtime's
  DEFAULT_FORBIDDEN_HEADERS); a request's headers are immutable once it is made;
- a request body is taken before `handle` and written after it, through an output stream
  with a write budget (writing past `check-write` traps); once the bytes a Content-Length
  announced are written the stream reads as closed, flush included (hyper drops its end, as
  on the real host); a Content-Length that does not match the bytes written fails
  `outgoing-body.finish`, as a non-zero Content-Length without a body fails `handle`;
- the response future is not ready until the body is finished (a client that waits first
  would hang on the real host: here it fails);
- a URL whose origin is not in `NET.allowed` is refused with `internal-error(MESSAGE)` in
  the lead's wording (naming the function and the entry to add);
- response bodies arrive in chunks and end with `stream-error.closed`; a body error is
  `last-operation-failed` whose `error` maps to an error code through `http-error-code`.

`install()` registers the modules (after fake_host's) and returns the network, whose `routes`
answer requests like the e2e tests' server (/echo, /status/N, /redirect?to=URL, /bytes?n=N,
/gzip).
"""

import gzip
import json
import sys
import types
import urllib.parse
from dataclasses import dataclass, field
from typing import Optional

import fake_host
from fake_host import Err

FORBIDDEN = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "transfer-encoding", "upgrade", "host", "http2-settings"}
WRITE_BUDGET = 4096


@dataclass
class Ok:
    value: object


def _variant(prefix, name, has_value):
    annotations = {"value": object} if has_value else {}
    return dataclass(type(f"{prefix}_{name}", (), {"__annotations__": annotations}))


ERROR_CODES = {
    name: _variant("ErrorCode", name, has_value)
    for name, has_value in [
        ("DnsTimeout", False),
        ("DnsError", True),
        ("DestinationNotFound", False),
        ("DestinationUnavailable", False),
        ("DestinationIpProhibited", False),
        ("DestinationIpUnroutable", False),
        ("ConnectionRefused", False),
        ("ConnectionTerminated", False),
        ("ConnectionTimeout", False),
        ("ConnectionReadTimeout", False),
        ("ConnectionWriteTimeout", False),
        ("ConnectionLimitReached", False),
        ("TlsProtocolError", False),
        ("TlsCertificateError", False),
        ("TlsAlertReceived", True),
        ("HttpRequestDenied", False),
        ("HttpRequestBodySize", True),
        ("HttpRequestMethodInvalid", False),
        ("HttpRequestUriInvalid", False),
        ("HttpResponseIncomplete", False),
        ("HttpResponseBodySize", True),
        ("HttpResponseTimeout", False),
        ("HttpProtocolError", False),
        ("InternalError", True),
    ]
}
METHODS = {name: _variant("Method", name, name == "Other") for name in ("Get", "Head", "Post", "Put", "Delete", "Connect", "Options", "Trace", "Patch", "Other")}
SCHEMES = {name: _variant("Scheme", name, name == "Other") for name in ("Http", "Https", "Other")}
STREAM_ERRORS = {name: _variant("StreamError", name, name == "LastOperationFailed") for name in ("LastOperationFailed", "Closed")}
HEADER_ERRORS = {name: _variant("HeaderError", name, False) for name in ("InvalidSyntax", "Forbidden", "Immutable")}


@dataclass
class DnsErrorPayload:
    rcode: Optional[str]
    info_code: Optional[int]


def code(name, value=None):
    """An error-code value: `code("InternalError", "message")`."""
    cls = ERROR_CODES[name]
    return cls(value) if "value" in cls.__annotations__ else cls()


# --- resources ---


class Resource:
    """A handle in the fake resource table: children must be released first."""

    def __init__(self, parent=None):
        self._parent = parent
        self._children = set()
        self._dropped = False
        if parent is not None:
            parent._children.add(self)
        NET.live.add(self)

    def _check(self):
        assert not self._dropped, f"use of a released {type(self).__name__}"

    def _consume(self):
        self._check()
        assert not self._children, f"{type(self).__name__} consumed while a child is alive: {self._children}"
        self._release()

    def _release(self):
        self._dropped = True
        NET.live.discard(self)
        if self._parent is not None:
            self._parent._children.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._dropped:
            return None
        assert not self._children, f"trap: {type(self).__name__} released while a child is alive: {self._children}"
        self._release()
        return None


class Pollable(Resource):
    def __init__(self, parent, on_block=None):
        super().__init__(parent)
        self._on_block = on_block

    def ready(self):
        return True

    def block(self):
        self._check()
        if self._on_block is not None:
            self._on_block()


class IoError(Resource):
    def __init__(self, error_code):
        super().__init__()
        self.error_code = error_code

    def to_debug_string(self):
        return f"io error: {self.error_code}"


class Fields(Resource):
    def __init__(self, entries=None, immutable=False, parent=None):
        super().__init__(parent)
        self._entries = list(entries or [])
        self._immutable = immutable

    @classmethod
    def from_list(cls, entries):
        for name, value in entries:
            assert isinstance(value, bytes), f"header value {value!r} must be bytes"
            if not name or any(c in name for c in ' \t\r\n:"(),/;<=>?@[\\]{}'):
                raise Err(HEADER_ERRORS["InvalidSyntax"]())
            if name.lower() in FORBIDDEN:
                raise Err(HEADER_ERRORS["Forbidden"]())
            if b"\r" in value or b"\n" in value:
                raise Err(HEADER_ERRORS["InvalidSyntax"]())
        return cls(entries)

    def get(self, name):
        return [v for n, v in self._entries if n.lower() == name.lower()]

    def has(self, name):
        return bool(self.get(name))

    def set(self, name, value):
        if self._immutable:
            raise Err(HEADER_ERRORS["Immutable"]())
        self._entries = [(n, v) for n, v in self._entries if n.lower() != name.lower()] + [(name, v) for v in value]

    def append(self, name, value):
        if self._immutable:
            raise Err(HEADER_ERRORS["Immutable"]())
        self._entries.append((name, value))

    def delete(self, name):
        self.set(name, [])

    def entries(self):
        self._check()
        return list(self._entries)

    def clone(self):
        return Fields(self._entries)


class RequestOptions(Resource):
    def __init__(self):
        super().__init__()
        self.connect = self.first_byte = self.between_bytes = None

    def set_connect_timeout(self, duration):
        self.connect = duration

    def set_first_byte_timeout(self, duration):
        self.first_byte = duration

    def set_between_bytes_timeout(self, duration):
        self.between_bytes = duration


class OutgoingRequest(Resource):
    def __init__(self, headers):
        headers._consume()
        super().__init__()
        self.headers_list = headers._entries
        self.method = METHODS["Get"]()
        self.scheme = self.authority = self.path_with_query = None
        self.outgoing_body = None

    def set_method(self, method):
        self.method = method

    def set_scheme(self, scheme):
        self.scheme = scheme

    def set_authority(self, authority):
        self.authority = authority

    def set_path_with_query(self, path):
        self.path_with_query = path

    def headers(self):
        return Fields(self.headers_list, immutable=True, parent=self)

    def body(self):
        if self.outgoing_body is not None:
            raise Err(None)
        self.outgoing_body = OutgoingBody(self)
        return self.outgoing_body


class OutputStream(Resource):
    def __init__(self, body):
        super().__init__(body)
        self._body = body

    def check_write(self):
        self._check()
        if self._body.closed_by_host:
            raise Err(STREAM_ERRORS["Closed"]())
        NET.check_writes += 1
        return WRITE_BUDGET

    def write(self, contents):
        self._check()
        if self._body.closed_by_host:
            raise Err(STREAM_ERRORS["Closed"]())
        assert len(contents) <= WRITE_BUDGET, "trap: write exceeded budget"
        self._body.data += contents
        lengths = [v for n, v in self._body.request.headers_list if n.lower() == "content-length"]
        if lengths and len(self._body.data) >= int(lengths[0]) or len(self._body.data) >= NET.server_stops_reading_after:
            # hyper has the whole body the Content-Length announced: it drops its end, and
            # the stream reads as closed from now on (flush included).
            self._body.closed_by_host = True

    def blocking_write_and_flush(self, contents):
        self.write(contents)

    def flush(self):
        self._check()

    def blocking_flush(self):
        self._check()
        if self._body.closed_by_host:
            raise Err(STREAM_ERRORS["Closed"]())

    def subscribe(self):
        return Pollable(self)


class OutgoingBody(Resource):
    def __init__(self, request):
        super().__init__()
        self.request = request
        self.data = b""
        self.stream = None
        self.finished = False
        self.aborted = False
        self.closed_by_host = False

    def write(self):
        if self.stream is not None:
            raise Err(None)
        self.stream = OutputStream(self)
        return self.stream

    @classmethod
    def finish(cls, this, trailers):
        this._consume()
        lengths = [v for n, v in this.request.headers_list if n.lower() == "content-length"]
        if lengths and int(lengths[0]) != len(this.data):
            this.aborted = True
            raise Err(code("HttpRequestBodySize", len(this.data)))
        this.finished = True


class InputStream(Resource):
    def __init__(self, body):
        super().__init__(body)
        self._body = body

    def blocking_read(self, n):
        self._check()
        assert n > 0
        reply = self._body.reply
        if not reply.chunks:
            if reply.body_error is not None:
                raise Err(STREAM_ERRORS["LastOperationFailed"](IoError(reply.body_error)))
            raise Err(STREAM_ERRORS["Closed"]())
        chunk = reply.chunks[0]
        taken, rest = chunk[:n], chunk[n:]
        if rest:
            reply.chunks[0] = rest
        else:
            reply.chunks.pop(0)
        return taken

    read = blocking_read

    def subscribe(self):
        return Pollable(self)


class IncomingBody(Resource):
    def __init__(self, response):
        super().__init__()
        self.reply = response.reply
        self._stream_taken = False

    def stream(self):
        if self._stream_taken:
            raise Err(None)
        self._stream_taken = True
        return InputStream(self)

    @classmethod
    def finish(cls, this):
        this._consume()
        return Resource()


class IncomingResponse(Resource):
    def __init__(self, reply):
        super().__init__()
        self.reply = reply
        self._consumed = False

    def status(self):
        return self.reply.status

    def headers(self):
        return Fields([(n, v.encode("latin-1")) for n, v in self.reply.headers], immutable=True, parent=self)

    def consume(self):
        if self._consumed:
            raise Err(None)
        self._consumed = True
        return IncomingBody(self)


class FutureIncomingResponse(Resource):
    def __init__(self, request, outcome):
        super().__init__()
        self._request = request
        self._outcome = outcome  # Reply, or an error code
        self._blocked = False
        self._taken = False

    def _wait(self):
        body = self._request.outgoing_body
        assert body is None or body.finished or body.closed_by_host or body._dropped, "the client waits for the response before finishing the request body: on the host this hangs"
        self._blocked = True

    def subscribe(self):
        return Pollable(self, self._wait)

    def get(self):
        self._check()
        if not self._blocked:
            return None
        if self._taken:
            return Err(None)
        self._taken = True
        outcome = self._outcome
        body = self._request.outgoing_body
        answered = isinstance(outcome, Reply) or callable(outcome)
        if answered and body is not None and (body.aborted or not (body.finished or body.closed_by_host)):
            # An aborted or abandoned body: hyper fails the request.
            return Ok(Err(code("HttpRequestBodySize", len(body.data))))
        if callable(outcome):
            outcome = outcome()
        if isinstance(outcome, Reply):
            return Ok(Ok(IncomingResponse(outcome)))
        return Ok(Err(outcome))


def http_error_code(err):
    return err.error_code


# --- the network ---


@dataclass
class Reply:
    status: int
    headers: list
    chunks: list
    body_error: object = None


@dataclass
class Sent:
    """A request as the fake host received it."""

    method: str
    scheme: str
    authority: str
    path: str
    headers: list
    options: Optional[dict]
    body_taken: bool = False
    request: object = field(default=None, repr=False)

    @property
    def url(self):
        return f"{self.scheme}://{self.authority}{self.path}"

    @property
    def body(self):
        body = self.request.outgoing_body
        return body.data if body is not None else b""

    def header(self, name):
        values = [v.decode("latin-1") for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(values) if values else None


def echo(sent):
    body = json.dumps(
        {
            "method": sent.method,
            "path": sent.path,
            "headers": {n.lower(): v.decode("latin-1") for n, v in sent.headers},
            "body": sent.body.decode("utf-8", "replace"),
        }
    ).encode()
    return Reply(200, [("content-type", "application/json"), ("content-length", str(len(body)))], [body])


def default_routes(sent):
    route, _, query = sent.path.partition("?")
    params = dict(urllib.parse.parse_qsl(query))
    if route == "/echo":
        return echo(sent)
    if route == "/redirect":
        status = int(params.get("status", "302"))
        return Reply(status, [("location", params.get("to", "/echo")), ("content-length", "0")], [])
    if route.startswith("/status/"):
        status = int(route.rsplit("/", 1)[1])
        text = f"status {status}".encode()
        return Reply(status, [("content-type", "text/plain")], [text])
    if route == "/bytes":
        n = int(params.get("n", "0"))
        return Reply(200, [("content-type", "application/octet-stream"), ("content-length", str(n))], [b"x" * min(n - i, 65536) for i in range(0, n, 65536)])
    if route == "/gzip":
        body = gzip.compress(b'{"compressed": true}')
        return Reply(200, [("content-type", "application/json"), ("content-encoding", "gzip")], [body[:7], body[7:]])
    return Reply(404, [("content-type", "text/plain")], [b"no such route"])


class Network:
    def __init__(self):
        self.reset()

    def reset(self):
        self.function = "f"
        self.allowed = {"http://127.0.0.1:8081", "https://api.example.com"}
        self.routes = default_routes
        self.sent = []
        self.live = set()
        self.check_writes = 0
        # origin -> error code (connection failures), or a callable(sent) -> Reply | code
        self.failures = {}
        # Refuse at `handle` itself rather than through the future.
        self.refuse_in_handle = False
        # The server answers (and hyper drops the body) after this many body bytes.
        self.server_stops_reading_after = float("inf")

    def message(self, sent):
        origin = f"{sent.scheme}://{sent.authority}"
        return f'outbound request to {sent.url} denied: function "{self.function}" may not reach {origin}; add "{origin}" to its allowed_outbound_hosts'

    def handle(self, request, options):
        request._consume()
        lengths = [v for n, v in request.headers_list if n.lower() == "content-length"]
        if request.outgoing_body is None and lengths and int(lengths[0]) != 0:
            raise Err(code("HttpRequestBodySize", 0))
        scheme = {"Http": "http", "Https": "https"}.get(type(request.scheme).__name__.removeprefix("Scheme_"))
        method = type(request.method).__name__.removeprefix("Method_").upper()
        if method == "OTHER":
            method = request.method.value
        opts = None
        if options is not None:
            options._consume()
            opts = {"connect": options.connect, "first_byte": options.first_byte, "between_bytes": options.between_bytes}
        sent = Sent(method, scheme, request.authority, request.path_with_query, request.headers_list, opts, request.outgoing_body is not None, request)
        self.sent.append(sent)
        origin = f"{scheme}://{request.authority}"
        if origin not in self.allowed:
            refusal = code("InternalError", self.message(sent))
            if self.refuse_in_handle:
                raise Err(refusal)
            if request.outgoing_body is not None:
                request.outgoing_body.closed_by_host = True
            return FutureIncomingResponse(request, refusal)
        failure = self.failures.get(origin)
        if failure is not None and not callable(failure):
            return FutureIncomingResponse(request, failure)
        route = failure if failure is not None else self.routes
        return FutureIncomingResponse(request, lambda: route(sent))


NET = Network()


def install():
    """Register the wasi:http modules beside fake_host's; the network."""
    fake_host.install()
    cpt = sys.modules["componentize_py_types"]
    if getattr(cpt, "Ok", None) is None:
        cpt.Ok = Ok
    if "wit_world.imports.wasi_http_types" in sys.modules:
        return NET
    imports = sys.modules["wit_world.imports"]
    http_types = types.ModuleType("wit_world.imports.wasi_http_types")
    for group in (ERROR_CODES, METHODS, SCHEMES, HEADER_ERRORS):
        for cls in group.values():
            setattr(http_types, cls.__name__, cls)
    for cls in (Fields, RequestOptions, OutgoingRequest, OutgoingBody, IncomingBody, IncomingResponse, FutureIncomingResponse, DnsErrorPayload):
        setattr(http_types, cls.__name__, cls)
    http_types.http_error_code = http_error_code
    handler = types.ModuleType("wit_world.imports.outgoing_handler")
    handler.handle = lambda request, options: NET.handle(request, options)
    streams = types.ModuleType("wit_world.imports.streams")
    for cls in STREAM_ERRORS.values():
        setattr(streams, cls.__name__, cls)
    streams.InputStream, streams.OutputStream = InputStream, OutputStream
    poll = types.ModuleType("wit_world.imports.poll")
    poll.Pollable = Pollable
    error = types.ModuleType("wit_world.imports.error")
    error.Error = IoError
    for name, module in (("wasi_http_types", http_types), ("outgoing_handler", handler), ("streams", streams), ("poll", poll), ("error", error)):
        setattr(imports, name, module)
        sys.modules[f"wit_world.imports.{name}"] = module
    return NET
