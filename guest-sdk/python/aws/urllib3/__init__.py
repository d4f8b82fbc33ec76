"""fnhost's urllib3: the urllib3 2.x API functions use (PoolManager().request, urllib3.request,
HTTPResponse, HTTPHeaderDict, Timeout, Retry, the exceptions) over the host's outbound HTTP
(wasi:http), served instead of any real urllib3 in the package (which needs sockets and ssl).

The host checks every request, redirect hops included, against the function's
`allowed_outbound_hosts`; a refused request raises MaxRetryError caused by a
NewConnectionError whose text is the host's message (or the NewConnectionError itself with
`retries=False`).
"""

from . import exceptions, fields, filepost, response, util  # noqa: F401  (loaded at packaging time)
from ._collections import HTTPHeaderDict
from .connectionpool import HTTPConnectionPool, HTTPSConnectionPool, connection_from_url
from .filepost import encode_multipart_formdata
from .poolmanager import PoolManager, ProxyManager, proxy_from_url
from .response import BaseHTTPResponse, HTTPResponse
from .util.request import make_headers
from .util.retry import Retry
from .util.timeout import Timeout

__version__ = "2.2.3"
__author__ = "fnhost (urllib3's API)"
__license__ = "MIT"

__all__ = (
    "BaseHTTPResponse",
    "HTTPConnectionPool",
    "HTTPHeaderDict",
    "HTTPResponse",
    "HTTPSConnectionPool",
    "PoolManager",
    "ProxyManager",
    "Retry",
    "Timeout",
    "add_stderr_logger",
    "connection_from_url",
    "disable_warnings",
    "encode_multipart_formdata",
    "make_headers",
    "proxy_from_url",
    "request",
)

_DEFAULT_POOL = PoolManager()


def request(method, url, *, body=None, fields=None, headers=None, preload_content=True, decode_content=True, redirect=True, retries=None, timeout=3, json=None):
    """One request with a module-level PoolManager (urllib3 2.x: a 3 s timeout by default)."""
    return _DEFAULT_POOL.request(
        method,
        url,
        body=body,
        fields=fields,
        headers=headers,
        preload_content=preload_content,
        decode_content=decode_content,
        redirect=redirect,
        retries=retries,
        timeout=timeout,
        json=json,
    )


def disable_warnings(category=exceptions.HTTPWarning):
    """As urllib3's: ignore its warnings (fnhost's issues none)."""
    import warnings

    warnings.simplefilter("ignore", category)


def add_stderr_logger(level=10):
    """As urllib3's: log this package's messages to stderr."""
    import logging

    logger = logging.getLogger(__name__)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler
