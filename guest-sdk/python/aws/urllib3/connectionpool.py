"""urllib3's connection pools. Inside fnhost there is no socket to keep: each request goes
to the host through wasi:http (fnhost_http.send), which keeps connections itself. A pool is
the scheme, host and port requests are made to, with urllib3's retry and redirect rules."""

import json as _json
import urllib.parse

import fnhost_http

from ._collections import HTTPHeaderDict
from .exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    HostChangedError,
    LocationValueError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from .filepost import encode_multipart_formdata
from .response import HTTPResponse
from .util.retry import Retry
from .util.timeout import Timeout, _DEFAULT_TIMEOUT, seconds
from .util.url import parse_url

port_by_scheme = {"http": 80, "https": 443}

_URL_ENCODED_METHODS = frozenset(["DELETE", "GET", "HEAD", "OPTIONS"])


class HTTPConnection:
    """Stands for the connection a request would have used (named in error messages)."""

    default_port = 80
    scheme = "http"

    def __init__(self, host, port=None, **kw):
        self.host = host
        self.port = port or self.default_port

    def __repr__(self):
        # No quotes: this text ends up inside the repr of NewConnectionError.
        return f"<urllib3.connection.{type(self).__name__} to {self.host}:{self.port}>"


class HTTPSConnection(HTTPConnection):
    default_port = 443
    scheme = "https"


def _error(e, pool, url, timeout):
    """urllib3's exception for a transport error (the host's message kept verbatim)."""
    conn = pool.ConnectionCls(pool.host, pool.port)
    code = e.code
    if code == "internal-error":
        # fnhost refused the request (allow-list, blocked network, limits): not retried.
        error = NewConnectionError(conn, f"Failed to establish a new connection: {e}")
        error.fnhost_refused = True
        return error
    if code in ("dns-error", "dns-timeout"):
        return NameResolutionError(pool.host, conn, e)
    if code in ("connection-refused", "destination-not-found", "destination-unavailable", "destination-ip-prohibited", "destination-ip-unroutable", "connection-limit-reached"):
        return NewConnectionError(conn, f"Failed to establish a new connection: {e}")
    if code == "connection-timeout":
        return ConnectTimeoutError(conn, f"Connection to {pool.host} timed out. (connect timeout={timeout.connect_timeout})")
    if code in ("http-response-timeout", "connection-read-timeout"):
        return ReadTimeoutError(pool, url, f"Read timed out. (read timeout={timeout.read_timeout})")
    if code.startswith("tls-"):
        return SSLError(str(e))
    return ProtocolError("Connection aborted.", e)


class ConnectionPool:
    """Base of the pools: scheme, host and port."""

    scheme = None

    def __init__(self, host, port=None):
        if not host:
            raise LocationValueError("No host specified.")
        self.host = host.strip("[]").lower() if host.startswith("[") else host.lower()
        self._proxy_host = self.host
        self.port = port

    def __str__(self):
        return f"{type(self).__name__}(host={self.host!r}, port={self.port!r})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        self._closed = True


class HTTPConnectionPool(ConnectionPool):
    """Requests to one `http://host:port`."""

    scheme = "http"
    ConnectionCls = HTTPConnection

    def __init__(self, host, port=None, timeout=_DEFAULT_TIMEOUT, maxsize=1, block=False, headers=None, retries=None, _proxy=None, _proxy_headers=None, _proxy_config=None, **conn_kw):
        super().__init__(host, port)
        if not isinstance(timeout, Timeout):
            timeout = Timeout.from_float(timeout)
        if retries is None:
            retries = Retry.DEFAULT
        self.timeout = timeout
        self.retries = retries
        self.headers = headers or {}
        self.conn_kw = conn_kw
        self._closed = False
        self.num_connections = 0
        self.num_requests = 0

    def _url(self, url):
        if url.startswith("/"):
            host = f"[{self.host}]" if ":" in self.host else self.host
            port = f":{self.port}" if self.port and self.port != port_by_scheme[self.scheme] else ""
            return f"{self.scheme}://{host}{port}{url}"
        return url

    def is_same_host(self, url):
        """Whether `url` is on this pool's scheme, host and port."""
        if url.startswith("/"):
            return True
        u = parse_url(url)
        host = u.host.strip("[]").lower() if u.host else None
        port = u.port or port_by_scheme.get(u.scheme or "http")
        return (u.scheme or "http", host, port) == (self.scheme, self.host, self.port or port_by_scheme[self.scheme])

    def request(self, method, url, body=None, fields=None, headers=None, json=None, **urlopen_kw):
        """As PoolManager.request, on this pool."""
        return _request(self, method, url, body, fields, headers, json, urlopen_kw)

    def urlopen(
        self,
        method,
        url,
        body=None,
        headers=None,
        retries=None,
        redirect=True,
        assert_same_host=True,
        timeout=_DEFAULT_TIMEOUT,
        pool_timeout=None,
        release_conn=None,
        chunked=False,
        body_pos=None,
        preload_content=True,
        decode_content=True,
        **response_kw,
    ):
        """Send one request (and retries, and redirects on this host when `redirect`)."""
        if self._closed:
            raise ClosedPoolError(self, "Pool is closed.")
        if headers is None:
            headers = self.headers
        if not isinstance(retries, Retry):
            retries = Retry.from_int(retries, redirect=redirect, default=self.retries)
        if assert_same_host and not self.is_same_host(url):
            raise HostChangedError(self, url, retries)
        full_url = self._url(url)
        timeout = self.timeout if timeout is _DEFAULT_TIMEOUT else timeout
        timeout = timeout if isinstance(timeout, Timeout) else Timeout.from_float(timeout)
        if body_pos is None and hasattr(body, "tell"):
            try:
                body_pos = body.tell()
            except OSError:
                body_pos = None
        elif body_pos is not None and hasattr(body, "seek"):
            body.seek(body_pos)
        connect, read = seconds(timeout)
        self.num_requests += 1
        self.num_connections += 1
        try:
            sent = fnhost_http.send(method, full_url, list(HTTPHeaderDict(headers).iteritems()), body, connect, read)
        except fnhost_http.OutboundError as e:
            error = _error(e, self, url, timeout)
            retries = retries.increment(method, url, error=error, _pool=self)
            retries.sleep()
            return self.urlopen(method, url, body, headers, retries, redirect, assert_same_host, timeout, pool_timeout, release_conn, chunked, body_pos, preload_content, decode_content, **response_kw)
        response = HTTPResponse(
            body=sent.body,
            headers=HTTPHeaderDict(sent.headers),
            status=sent.status,
            reason=sent.reason,
            preload_content=preload_content,
            decode_content=decode_content,
            request_method=method,
            request_url=full_url,
            retries=retries,
            pool=self,
        )

        redirect_location = redirect and response.get_redirect_location()
        if redirect_location:
            if response.status == 303:
                method = "GET"
                body = None
                headers = HTTPHeaderDict(headers)._prepare_for_method_change()
            try:
                retries = retries.increment(method, url, response=response, _pool=self)
            except MaxRetryError:
                if retries.raise_on_redirect:
                    response.drain_conn()
                    raise
                return response
            response.drain_conn()
            retries.sleep_for_retry(response)
            return self.urlopen(method, redirect_location, body, headers, retries=retries, redirect=redirect, assert_same_host=assert_same_host, timeout=timeout, pool_timeout=pool_timeout, release_conn=release_conn, chunked=chunked, body_pos=body_pos, preload_content=preload_content, decode_content=decode_content, **response_kw)

        has_retry_after = bool(response.headers.get("Retry-After"))
        if retries.is_retry(method, response.status, has_retry_after):
            try:
                retries = retries.increment(method, url, response=response, _pool=self)
            except MaxRetryError:
                if retries.raise_on_status:
                    response.drain_conn()
                    raise
                return response
            response.drain_conn()
            retries.sleep(response)
            return self.urlopen(method, url, body, headers, retries=retries, redirect=redirect, assert_same_host=assert_same_host, timeout=timeout, pool_timeout=pool_timeout, release_conn=release_conn, chunked=chunked, body_pos=body_pos, preload_content=preload_content, decode_content=decode_content, **response_kw)
        return response


class HTTPSConnectionPool(HTTPConnectionPool):
    """Requests to one `https://host:port`; TLS is the host's (its roots and the operator's
    `[network] ca_certificates`), so certificate arguments are accepted and not used."""

    scheme = "https"
    ConnectionCls = HTTPSConnection

    def __init__(self, host, port=None, timeout=_DEFAULT_TIMEOUT, maxsize=1, block=False, headers=None, retries=None, _proxy=None, _proxy_headers=None, key_file=None, cert_file=None, cert_reqs=None, key_password=None, ca_certs=None, ssl_version=None, ssl_minimum_version=None, ssl_maximum_version=None, assert_hostname=None, assert_fingerprint=None, ca_cert_dir=None, **conn_kw):
        super().__init__(host, port, timeout, maxsize, block, headers, retries, _proxy, _proxy_headers, **conn_kw)


def connection_from_url(url, **kw):
    """A pool for the scheme, host and port of `url`."""
    u = parse_url(url)
    scheme = u.scheme or "http"
    port = u.port or port_by_scheme.get(scheme, 80)
    if scheme == "https":
        return HTTPSConnectionPool(u.host, port=port, **kw)
    return HTTPConnectionPool(u.host, port=port, **kw)


def _request(opener, method, url, body, fields, headers, json, urlopen_kw):
    """urllib3's RequestMethods.request: `fields` in the query (GET, HEAD, DELETE, OPTIONS) or
    as a form, `json` as a JSON body, then `opener.urlopen`."""
    method = method.upper()
    if json is not None and body is not None:
        raise TypeError("request got values for both 'body' and 'json' parameters which are mutually exclusive")
    if fields is not None and (body is not None or json is not None):
        raise TypeError("request got values for both 'fields' and 'body', can only specify one.")
    headers = HTTPHeaderDict(opener.headers if headers is None else headers)
    if json is not None:
        if "content-type" not in headers:
            headers["Content-Type"] = "application/json"
        body = _json.dumps(json, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if fields is not None:
        if method in _URL_ENCODED_METHODS:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(fields)
        elif urlopen_kw.pop("encode_multipart", True):
            body, content_type = encode_multipart_formdata(fields, boundary=urlopen_kw.pop("multipart_boundary", None))
            headers["Content-Type"] = content_type
        else:
            body = urllib.parse.urlencode(fields).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
    urlopen_kw.pop("encode_multipart", None)
    urlopen_kw.pop("multipart_boundary", None)
    return opener.urlopen(method, url, body=body, headers=headers, **urlopen_kw)
