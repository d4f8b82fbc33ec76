"""Outbound HTTP for Python functions: a blocking client over wasi:http, and the handlers that
make `urllib.request.urlopen` use it (the WASI build of CPython has no sockets and no ssl).

`send()` is the transport fnhost's urllib3 shares; `install()` makes every urllib opener,
including the default one behind `urlopen`, send `http://` and `https://` requests through the
host. The host checks each request against the function's `allowed_outbound_hosts` (each
redirect hop is a new request, checked again); a refusal comes back as wasi:http's
`internal-error(MESSAGE)`, and MESSAGE, which names the function and the entry to add, is the
text of the error raised here.
"""

import base64
import http.client
import io
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import urllib.response

from componentize_py_types import Err, Ok
from wit_world.imports import outgoing_handler, streams
from wit_world.imports import wasi_http_types as wasi

# Headers a wasi:http request may not carry (wasmtime's DEFAULT_FORBIDDEN_HEADERS): the host
# sets Host from the URL and manages the connection, so they are dropped, not refused.
FORBIDDEN_HEADERS = frozenset(
    (
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "transfer-encoding",
        "upgrade",
        "host",
        "http2-settings",
    )
)

# Methods whose requests carry a body: without one, they say `Content-Length: 0` (as
# http.client does).
_BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))

_METHODS = {
    "GET": wasi.Method_Get,
    "HEAD": wasi.Method_Head,
    "POST": wasi.Method_Post,
    "PUT": wasi.Method_Put,
    "DELETE": wasi.Method_Delete,
    "CONNECT": wasi.Method_Connect,
    "OPTIONS": wasi.Method_Options,
    "TRACE": wasi.Method_Trace,
    "PATCH": wasi.Method_Patch,
}

_READ_SIZE = 64 * 1024


class OutboundError(OSError):
    """An outbound request failed: refused by the host, or the network or server failed.

    `str(e)` is the host's message (for a refusal: which function, which URL, what to add to
    `allowed_outbound_hosts`) or a readable name of the wasi:http error code; `code` is that
    code in WIT's spelling (`internal-error`, `connection-refused`, ...).
    """

    def __init__(self, message, code="internal-error"):
        super().__init__(message)
        self.code = code

    def __str__(self):
        return self.args[0]


class OutboundTimeout(OutboundError, TimeoutError):
    """The connection, the first byte or the next bytes took longer than allowed."""


class OutboundConnectionRefused(OutboundError, ConnectionRefusedError):
    """The server refused the connection."""


# Readable text for the error codes whose name alone says little.
_CODE_TEXT = {
    "DnsTimeout": "DNS lookup timed out",
    "DnsError": "DNS lookup failed",
    "DestinationIpProhibited": "the destination address is prohibited",
    "DestinationIpUnroutable": "the destination address is unroutable",
    "ConnectionTerminated": "the connection was closed by the server",
    "ConnectionReadTimeout": "timed out reading the response",
    "ConnectionWriteTimeout": "timed out writing the request",
    "ConnectionLimitReached": "too many outbound connections",
    "TlsProtocolError": "TLS protocol error",
    "TlsCertificateError": "TLS certificate error: the server's certificate is not trusted",
    "TlsAlertReceived": "TLS alert received",
    "HttpRequestDenied": "HTTP request denied",
    "HttpRequestUriInvalid": "invalid request URL",
    "HttpResponseIncomplete": "the response ended early",
    "HttpResponseTimeout": "timed out waiting for the response",
    "LoopDetected": "loop detected",
}

_TIMEOUT_CODES = frozenset(
    ("DnsTimeout", "ConnectionTimeout", "ConnectionReadTimeout", "ConnectionWriteTimeout", "HttpResponseTimeout")
)


def _words(name):
    """`HttpResponseBodySize` -> `HTTP response body size`."""
    words = re.findall(r"[A-Z][a-z0-9]*", name)
    out = []
    for i, word in enumerate(words):
        if word in ("Http", "Dns", "Tls", "Ip", "Uri"):
            out.append(word.upper())
        else:
            out.append(word if i == 0 else word.lower())
    return " ".join(out) if out else name


def error_from_code(code):
    """The exception for a wasi:http `error-code` value."""
    name = type(code).__name__.removeprefix("ErrorCode_")
    wit_name = re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
    value = getattr(code, "value", None)
    if name == "InternalError":
        return OutboundError(value or "internal error in the host's HTTP client", wit_name)
    text = _CODE_TEXT.get(name) or _words(name)
    if name == "DnsError" and value is not None and (value.rcode or value.info_code is not None):
        text += f" ({', '.join(str(v) for v in (value.rcode, value.info_code) if v is not None)})"
    elif name == "TlsAlertReceived" and value is not None and value.alert_message:
        text += f": {value.alert_message}"
    elif isinstance(value, int):
        text += f" ({value})"
    if name in _TIMEOUT_CODES:
        return OutboundTimeout(text, wit_name)
    if name == "ConnectionRefused":
        return OutboundConnectionRefused("connection refused", wit_name)
    return OutboundError(text, wit_name)


def _stream_error(err, doing):
    """The exception for a wasi:io stream error while `doing` something."""
    value = err.value
    if isinstance(value, streams.StreamError_LastOperationFailed):
        io_error = value.value
        try:
            code = wasi.http_error_code(io_error)
            if code is not None:
                return error_from_code(code)
            return OutboundError(f"{doing} failed: {io_error.to_debug_string()}", "stream-error")
        finally:
            _drop(io_error)
    return OutboundError(f"{doing} failed: the stream was closed", "stream-closed")


def _drop(resource):
    """Release a wasi resource now (children must go before their parents)."""
    if resource is not None:
        resource.__exit__(None, None, None)


def _block_on(resource):
    pollable = resource.subscribe()
    try:
        pollable.block()
    finally:
        _drop(pollable)


def _nanos(seconds):
    if seconds is None:
        return None
    if seconds < 0:
        raise ValueError(f"timeout must be non-negative, not {seconds}")
    return int(seconds * 1_000_000_000)


def _options(connect, read):
    """wasi:http request options for timeouts in seconds (None: the host's defaults, which are
    bounded by the invocation's remaining time anyway)."""
    if connect is None and read is None:
        return None
    options = wasi.RequestOptions()
    try:
        if connect is not None:
            options.set_connect_timeout(_nanos(connect))
        if read is not None:
            options.set_first_byte_timeout(_nanos(read))
            options.set_between_bytes_timeout(_nanos(read))
    except Err:
        _drop(options)
        raise OutboundError("the host does not accept these request timeouts", "configuration-error")
    return options


def _header_bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        raise TypeError(f"header values must be str or bytes, not {type(value).__name__}")
    try:
        return value.encode("latin-1")  # as http.client sends them
    except UnicodeEncodeError:
        return value.encode("utf-8")


class Response:
    """What the server answered: `status`, `headers` (a list of `(name, value)` as sent, values
    `str` decoded as Latin-1) and `body`, a binary file object read as the bytes arrive."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def reason(self):
        """The standard reason phrase (HTTP/2 and wasi:http carry none)."""
        return http.client.responses.get(self.status, "")


class _BodyReader(io.RawIOBase):
    """The response body: a wasi:io input stream, read until the server closes it. Closing it
    early drops the stream, which ends the host's connection for this request."""

    def __init__(self, response, body, stream):
        self._response = response
        self._body = body
        self._stream = stream

    def readable(self):
        return True

    def readinto(self, buffer):
        if self._stream is None:
            return 0
        view = memoryview(buffer).cast("B")
        while True:
            try:
                data = self._stream.blocking_read(min(len(view), _READ_SIZE))
            except Err as e:
                if isinstance(e.value, streams.StreamError_Closed):
                    self._release()
                    return 0
                error = _stream_error(e, "reading the response body")
                self._release()
                raise error from None
            if data:
                view[: len(data)] = data
                return len(data)

    def _release(self):
        stream, body, response = self._stream, self._body, self._response
        self._stream = self._body = self._response = None
        _drop(stream)
        _drop(body)
        _drop(response)

    def close(self):
        self._release()
        super().close()


def split_url(url):
    """`(scheme, authority, path_with_query, userinfo)` of an absolute http(s) URL."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundError(f"unsupported URL scheme `{parts.scheme}` in {url!r}: only http and https", "http-request-uri-invalid")
    netloc = parts.netloc
    userinfo = None
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
    if not netloc:
        raise OutboundError(f"no host in URL {url!r}", "http-request-uri-invalid")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, netloc, path, userinfo


def _body_chunks(body):
    """`(chunks, length)` for a request body: bytes, str (UTF-8), a binary file or an iterable
    of bytes; the length when known."""
    if body is None:
        return (), None
    if isinstance(body, str):
        body = body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body)
        return ((body,) if body else ()), len(body)
    if hasattr(body, "read"):

        def chunks():
            while True:
                chunk = body.read(_READ_SIZE)
                if not chunk:
                    return
                yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)

        return chunks(), None
    try:
        iterator = iter(body)
    except TypeError:
        raise TypeError(f"a request body must be bytes, str, a file or an iterable of bytes, not {type(body).__name__}") from None
    return ((c.encode("utf-8") if isinstance(c, str) else bytes(c)) for c in iterator), None


def _write_body(outgoing, chunks):
    """Write the chunks to the request's body stream as the host accepts them, then finish the
    body (which consumes `outgoing`). None, or the error that stopped it."""
    try:
        stream = outgoing.write()
    except Err:
        _drop(outgoing)
        return OutboundError("the request body was already taken", "internal-error")
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                allowed = stream.check_write()
                if allowed == 0:
                    _block_on(stream)
                    continue
                stream.write(bytes(view[:allowed]))
                view = view[allowed:]
    except Err as e:
        # The host stopped taking the body (it refused the request, or the server answered
        # early): the response future says which.
        _drop(stream)
        _drop(outgoing)
        return _stream_error(e, "sending the request body")
    try:
        stream.blocking_flush()
    except Err as e:
        # With a Content-Length, the host's HTTP client lets go of the body once it has that
        # many bytes, and the stream then reads as closed: everything was sent.
        if not isinstance(e.value, streams.StreamError_Closed):
            _drop(stream)
            _drop(outgoing)
            return _stream_error(e, "sending the request body")
    _drop(stream)
    try:
        wasi.OutgoingBody.finish(outgoing, None)
    except Err as e:  # e.g. fewer or more bytes than the Content-Length said
        return error_from_code(e.value)
    return None


def _await_response(future):
    try:
        while True:
            result = future.get()
            if result is not None:
                break
            _block_on(future)
    finally:
        _drop(future)
    if isinstance(result, Err):
        raise OutboundError("the response was already taken", "internal-error")
    inner = result.value
    if isinstance(inner, Ok):
        return inner.value
    if isinstance(inner, Err):
        raise error_from_code(inner.value)
    return inner


def send(method, url, headers=(), body=None, connect_timeout=None, read_timeout=None):
    """Send one request through the host and wait for the response's status and headers.

    `headers` is a mapping or a list of `(name, value)`; hop-by-hop headers (Host, Connection,
    Transfer-Encoding, ...) are dropped, the host sets them. A body of known length gets a
    Content-Length when the caller gave none; POST, PUT and PATCH without a body get
    `Content-Length: 0`. Timeouts are in seconds. Redirects are not followed. Raises
    `OutboundError` (an `OSError`) with the host's message.
    """
    method = method.upper()
    scheme, authority, path, userinfo = split_url(url)
    items = headers.items() if hasattr(headers, "items") else headers
    entries = []
    names = set()
    for name, value in items:
        lower = name.lower()
        if lower in FORBIDDEN_HEADERS:
            continue
        names.add(lower)
        entries.append((name, _header_bytes(value)))
    if userinfo is not None and "authorization" not in names:
        credentials = urllib.parse.unquote(userinfo).encode("utf-8")
        entries.append(("Authorization", b"Basic " + base64.b64encode(credentials)))
    chunks, length = _body_chunks(body)
    if length is None and body is None and method in _BODY_METHODS:
        length = 0
    if length is not None and "content-length" not in names and (length or method in _BODY_METHODS):
        entries.append(("Content-Length", str(length).encode()))
    has_body = body is not None and length != 0

    try:
        fields = wasi.Fields.from_list(entries)
    except Err as e:
        kind = type(e.value).__name__.removeprefix("HeaderError_")
        raise ValueError(f"invalid request header ({_words(kind).lower()}): {[n for n, _ in entries]}") from None
    request = wasi.OutgoingRequest(fields)
    request.set_method(_METHODS[method]() if method in _METHODS else wasi.Method_Other(method))
    request.set_scheme(wasi.Scheme_Https() if scheme == "https" else wasi.Scheme_Http())
    request.set_authority(authority)
    request.set_path_with_query(path)
    outgoing = request.body() if has_body else None
    options = _options(connect_timeout, read_timeout)
    try:
        future = outgoing_handler.handle(request, options)
    except Err as e:
        _drop(outgoing)
        raise error_from_code(e.value) from None

    write_error = _write_body(outgoing, chunks) if outgoing is not None else None
    # The response (or the host's reason: a refusal, a failed connection) says more than a
    # body the host stopped taking. A response despite it means the server answered early (a
    # 413, a redirect): that answer is the result, as with any HTTP client.
    response = _await_response(future)
    del write_error
    status = response.status()
    with response.headers() as fields:
        header_list = [(name, value.decode("latin-1")) for name, value in fields.entries()]
    try:
        incoming = response.consume()
    except Err:
        _drop(response)
        raise OutboundError("the response body was already taken", "internal-error") from None
    try:
        stream = incoming.stream()
    except Err:
        _drop(incoming)
        _drop(response)
        raise OutboundError("the response body stream was already taken", "internal-error") from None
    return Response(status, header_list, _BodyReader(response, incoming, stream))


# --- urllib.request ---


def _timeout(value):
    return None if value is None or value is socket._GLOBAL_DEFAULT_TIMEOUT else value


class HTTPResponse(urllib.response.addinfourl):
    """What `urlopen` returns (as http.client's response, wrapped by urllib): `status`, `code`,
    `reason`, `msg` (the reason, as urllib sets it), `headers`, `url`, `read()`, `getheader()`."""

    def __init__(self, response, url):
        message = http.client.HTTPMessage()
        for name, value in response.headers:
            message[name] = value
        super().__init__(io.BufferedReader(response.body, _READ_SIZE), message, url, response.status)
        self.reason = response.reason
        self.msg = response.reason
        self.version = 11
        length = message.get("content-length")
        self.length = int(length) if length and length.isdigit() else None

    def getheader(self, name, default=None):
        values = self.headers.get_all(name)
        return ", ".join(values) if values else default

    def getheaders(self):
        return list(self.headers.items())


class FnhostHTTPHandler(urllib.request.AbstractHTTPHandler):
    """urllib's handler for `http://` and `https://` URLs inside fnhost: requests go through
    the host (wasi:http); TLS is the host's, so `context` and `check_hostname` are accepted
    and not used."""

    def __init__(self, debuglevel=None, context=None, check_hostname=None):
        super().__init__(debuglevel or 0)

    def _open(self, req):
        if req.has_proxy() or getattr(req, "_tunnel_host", None):
            raise urllib.error.URLError("proxies are not supported inside fnhost: requests go through the host")
        headers = dict(req.unredirected_hdrs)
        headers.update({k: v for k, v in req.headers.items() if k not in headers})
        timeout = _timeout(req.timeout)
        try:
            response = send(req.get_method(), req.full_url, headers, req.data, timeout, timeout)
        except OutboundError as e:
            raise urllib.error.URLError(e) from None
        return HTTPResponse(response, req.get_full_url())

    def http_open(self, req):
        return self._open(req)

    def https_open(self, req):
        return self._open(req)

    http_request = urllib.request.AbstractHTTPHandler.do_request_
    https_request = urllib.request.AbstractHTTPHandler.do_request_


class FnhostHTTPSHandler(FnhostHTTPHandler):
    """`urllib.request.HTTPSHandler` inside fnhost (the WASI build has no ssl module)."""


def install():
    """Make urllib's openers (and so `urlopen`) use the host for http and https."""
    urllib.request.HTTPHandler = FnhostHTTPHandler
    urllib.request.HTTPSHandler = FnhostHTTPSHandler
    # Built again, from the handlers above, at the first urlopen (at run time: the proxy
    # settings of the packaging machine are not kept).
    urllib.request.install_opener(None)
