"""urllib3's exceptions, same names, bases and messages (urllib3 2.x)."""

import http.client


class HTTPError(Exception):
    """Base exception used by this module."""


class HTTPWarning(Warning):
    """Base warning used by this module."""


class PoolError(HTTPError):
    """Base exception for errors caused within a pool."""

    def __init__(self, pool, message):
        self.pool = pool
        super().__init__(f"{pool}: {message}")

    def __reduce__(self):
        return self.__class__, (None, None)


class RequestError(PoolError):
    """Base exception for PoolErrors that have associated URLs."""

    def __init__(self, pool, url, message):
        self.url = url
        super().__init__(pool, message)

    def __reduce__(self):
        return self.__class__, (None, self.url, None)


class SSLError(HTTPError):
    """Raised when SSL certificate fails in an HTTPS connection."""


class ProxyError(HTTPError):
    """Raised when the connection to a proxy fails."""

    def __init__(self, message, error):
        super().__init__(message, error)
        self.original_error = error


class DecodeError(HTTPError):
    """Raised when automatic decoding based on Content-Type fails."""


class ProtocolError(HTTPError):
    """Raised when something unexpected happens mid-request/response."""


#: Renamed to ProtocolError but aliased for backwards compatibility.
ConnectionError = ProtocolError


class MaxRetryError(RequestError):
    """Raised when the maximum number of retries is exceeded; `reason` is the last error."""

    def __init__(self, pool, url, reason=None):
        self.reason = reason
        message = f"Max retries exceeded with url: {url} (Caused by {reason!r})"
        super().__init__(pool, url, message)


class HostChangedError(RequestError):
    """Raised when an existing pool gets a request for a foreign host."""

    def __init__(self, pool, url, retries=3):
        message = f"Tried to open a foreign host with url: {url}"
        super().__init__(pool, url, message)
        self.retries = retries


class TimeoutStateError(HTTPError):
    """Raised when passing an invalid state to a timeout."""


class TimeoutError(HTTPError):
    """Raised when a socket timeout error occurs (read or connect)."""


class ReadTimeoutError(TimeoutError, RequestError):
    """Raised when a socket timeout occurs while receiving data from a server."""


class ConnectTimeoutError(TimeoutError):
    """Raised when a socket timeout occurs while connecting to a server."""


class NewConnectionError(ConnectTimeoutError, HTTPError):
    """Raised when we fail to establish a new connection (here: also when fnhost refuses the
    request; the message is the host's)."""

    def __init__(self, conn, message):
        self.conn = conn
        super().__init__(f"{conn}: {message}")

    def __reduce__(self):
        return self.__class__, (None, None)

    @property
    def pool(self):
        return self.conn


class NameResolutionError(NewConnectionError):
    """Raised when host name resolution fails."""

    def __init__(self, host, conn, reason):
        message = f"Failed to resolve '{host}' ({reason})"
        super().__init__(conn, message)


class EmptyPoolError(PoolError):
    """Raised when a pool runs out of connections and no more are allowed."""


class FullPoolError(PoolError):
    """Raised when we try to add a connection to a full pool in blocking mode."""


class ClosedPoolError(PoolError):
    """Raised when a request enters a pool after the pool has been closed."""


class LocationValueError(ValueError, HTTPError):
    """Raised when there is something wrong with a given URL input."""


class LocationParseError(LocationValueError):
    """Raised when get_host or similar fails to parse the URL input."""

    def __init__(self, location):
        message = f"Failed to parse: {location}"
        super().__init__(message)
        self.location = location


class URLSchemeUnknown(LocationValueError):
    """Raised when a URL input has an unsupported scheme."""

    def __init__(self, scheme):
        message = f"Not supported URL scheme {scheme}"
        super().__init__(message)
        self.scheme = scheme


class ResponseError(HTTPError):
    """Used as a container for an error reason supplied in a MaxRetryError."""

    GENERIC_ERROR = "too many error responses"
    SPECIFIC_ERROR = "too many {status_code} error responses"


class SecurityWarning(HTTPWarning):
    """Warned when performing security reducing actions."""


class InsecureRequestWarning(SecurityWarning):
    """Warned when making an unverified HTTPS request."""


class NotOpenSSLWarning(SecurityWarning):
    """Warned when using unsupported SSL library."""


class SystemTimeWarning(SecurityWarning):
    """Warned when system time is suspected to be wrong."""


class InsecurePlatformWarning(SecurityWarning):
    """Warned when certain TLS/SSL configuration is not available on a platform."""


class DependencyWarning(HTTPWarning):
    """Warned when an attempt is made to import a module with missing optional dependencies."""


class ResponseNotChunked(ProtocolError, ValueError):
    """Response needs to be chunked in order to read it as chunks."""


class BodyNotHttplibCompatible(HTTPError):
    """Body should be an http.client.HTTPResponse like object."""


class IncompleteRead(HTTPError, http.client.IncompleteRead):
    """Response length doesn't match expected Content-Length."""

    def __init__(self, partial, expected):
        self.partial = partial
        self.expected = expected

    def __repr__(self):
        return f"IncompleteRead({self.partial} bytes read, {self.expected} more expected)"


class InvalidChunkLength(HTTPError, http.client.IncompleteRead):
    """Invalid chunk length in a chunked response."""


class InvalidHeader(HTTPError):
    """The header provided was somehow invalid."""


class ProxySchemeUnknown(AssertionError, URLSchemeUnknown):
    """ProxyManager does not support the supplied scheme."""

    def __init__(self, scheme):
        if scheme == "localhost":
            scheme = None
        message = "Proxy URL had no scheme, should start with http:// or https://" if scheme is None else f"Proxy URL had unsupported scheme {scheme}, should use http:// or https://"
        super().__init__(message)


class ProxySchemeUnsupported(ValueError):
    """Fetching HTTPS resources through HTTPS proxies is unsupported."""


class HeaderParsingError(HTTPError):
    """Raised by assert_header_parsing, but we convert it to a log.warning statement."""

    def __init__(self, defects, unparsed_data):
        super().__init__(f"{defects or 'Unknown'}, unparsed data: {unparsed_data!r}")


class UnrewindableBodyError(HTTPError):
    """urllib3 encountered an error when trying to rewind a body."""
