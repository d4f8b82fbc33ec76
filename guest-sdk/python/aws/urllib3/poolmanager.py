"""urllib3's `PoolManager`: requests to any URL, redirects followed across hosts (each hop is
a new request, which fnhost checks against the function's allow-list again)."""

import urllib.parse

from ._collections import HTTPHeaderDict
from .connectionpool import HTTPConnectionPool, HTTPSConnectionPool, _request, port_by_scheme
from .exceptions import LocationValueError, MaxRetryError, ProxyError, URLSchemeUnknown
from .util.retry import Retry
from .util.url import parse_url

pool_classes_by_scheme = {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}


class RequestMethods:
    """`request()` for pools and pool managers."""

    def __init__(self, headers=None):
        self.headers = headers or {}


class PoolManager(RequestMethods):
    """`PoolManager(num_pools=10, headers=None, **connection_pool_kw)`: `request(method, url,
    body=, fields=, headers=, json=, timeout=, retries=, redirect=, preload_content=)`."""

    proxy = None
    proxy_config = None

    def __init__(self, num_pools=10, headers=None, **connection_pool_kw):
        super().__init__(headers)
        self.connection_pool_kw = connection_pool_kw
        self.pools = {}
        self.pool_classes_by_scheme = pool_classes_by_scheme

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.clear()
        return False

    def clear(self):
        self.pools.clear()

    def connection_from_host(self, host, port=None, scheme="http", pool_kwargs=None):
        if not host:
            raise LocationValueError("No host specified.")
        scheme = (scheme or "http").lower()
        if scheme not in self.pool_classes_by_scheme:
            raise URLSchemeUnknown(scheme)
        port = port or port_by_scheme.get(scheme, 80)
        kw = dict(self.connection_pool_kw)
        if pool_kwargs:
            kw.update(pool_kwargs)
        key = (scheme, host.lower(), port, tuple(sorted((k, repr(v)) for k, v in kw.items())))
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pool_classes_by_scheme[scheme](host, port, **kw)
            self.pools[key] = pool
        return pool

    def connection_from_url(self, url, pool_kwargs=None):
        u = parse_url(url)
        return self.connection_from_host(u.host, port=u.port, scheme=u.scheme, pool_kwargs=pool_kwargs)

    def request(self, method, url, body=None, fields=None, headers=None, json=None, **urlopen_kw):
        """Send a request; the response (urllib3.response.HTTPResponse)."""
        return _request(self, method, url, body, fields, headers, json, urlopen_kw)

    def request_encode_url(self, method, url, fields=None, headers=None, **urlopen_kw):
        return _request(self, method, url, None, fields, headers, None, urlopen_kw)

    def request_encode_body(self, method, url, fields=None, headers=None, encode_multipart=True, multipart_boundary=None, **urlopen_kw):
        urlopen_kw.update(encode_multipart=encode_multipart, multipart_boundary=multipart_boundary)
        return _request(self, method, url, None, fields, headers, None, urlopen_kw)

    def urlopen(self, method, url, redirect=True, **kw):
        """Send a request, following redirects across hosts as urllib3 does."""
        u = parse_url(url)
        conn = self.connection_from_host(u.host, port=u.port, scheme=u.scheme)
        kw["assert_same_host"] = False
        kw["redirect"] = False
        if "headers" not in kw:
            kw["headers"] = self.headers
        response = conn.urlopen(method, u.request_uri, **kw)
        redirect_location = redirect and response.get_redirect_location()
        if not redirect_location:
            return response
        redirect_location = urllib.parse.urljoin(url, redirect_location)
        if response.status == 303:
            method = "GET"
            kw["body"] = None
            kw["headers"] = HTTPHeaderDict(kw["headers"])._prepare_for_method_change()
        retries = kw.get("retries")
        if not isinstance(retries, Retry):
            retries = Retry.from_int(retries, redirect=redirect)
        if retries.remove_headers_on_redirect and not conn.is_same_host(redirect_location):
            new_headers = HTTPHeaderDict(kw["headers"])
            for header in list(new_headers):
                if header.lower() in retries.remove_headers_on_redirect:
                    new_headers.discard(header)
            kw["headers"] = new_headers
        try:
            retries = retries.increment(method, url, response=response, _pool=conn)
        except MaxRetryError:
            if retries.raise_on_redirect:
                response.drain_conn()
                raise
            return response
        kw["retries"] = retries
        kw["redirect"] = redirect
        response.drain_conn()
        return self.urlopen(method, redirect_location, **kw)


class ProxyManager(PoolManager):
    """Proxies are not supported inside fnhost: requests go through the host."""

    def __init__(self, proxy_url, *args, **kwargs):
        raise ProxyError("proxies are not supported inside fnhost: requests go through the host", None)


def proxy_from_url(url, **kw):
    return ProxyManager(proxy_url=url, **kw)
