"""`parse_url` and `Url`, as urllib3 has them."""

import urllib.parse
from typing import NamedTuple, Optional

from ..exceptions import LocationParseError


class Url(NamedTuple):
    scheme: Optional[str] = None
    auth: Optional[str] = None
    host: Optional[str] = None
    port: Optional[int] = None
    path: Optional[str] = None
    query: Optional[str] = None
    fragment: Optional[str] = None

    @property
    def hostname(self):
        return self.host

    @property
    def request_uri(self):
        uri = self.path or "/"
        if self.query is not None:
            uri += "?" + self.query
        return uri

    @property
    def authority(self):
        if self.auth:
            return f"{self.auth}@{self.netloc}"
        return self.netloc

    @property
    def netloc(self):
        if self.host is None:
            return None
        if self.port:
            return f"{self.host}:{self.port}"
        return self.host

    @property
    def url(self):
        url = ""
        if self.scheme is not None:
            url += self.scheme + "://"
        if self.auth is not None:
            url += self.auth + "@"
        if self.host is not None:
            url += self.host
        if self.port is not None:
            url += ":" + str(self.port)
        if self.path is not None:
            url += self.path
        if self.query is not None:
            url += "?" + self.query
        if self.fragment is not None:
            url += "#" + self.fragment
        return url

    def __str__(self):
        return self.url


def parse_url(url):
    """Split a URL; a missing scheme is allowed (`example.com/x`), as in urllib3."""
    if not url:
        return Url()
    source = url
    if "://" not in url and not url.startswith("//"):
        url = "//" + url
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise LocationParseError(source) from None
    netloc = parts.netloc
    auth = None
    if "@" in netloc:
        auth = netloc.rpartition("@")[0]
    host = parts.hostname
    if host is not None and ":" in host:
        host = f"[{host}]"
    return Url(
        scheme=parts.scheme.lower() or None,
        auth=auth,
        host=host,
        port=port,
        path=parts.path or None,
        query=parts.query if "?" in url else None,
        fragment=parts.fragment if "#" in url else None,
    )


def get_host(url):
    p = parse_url(url)
    return p.scheme or "http", p.hostname, p.port
