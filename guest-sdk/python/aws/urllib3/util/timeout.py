"""urllib3's `Timeout`: connect and read limits in seconds (here: wasi:http's connect,
first-byte and between-bytes timeouts)."""

import enum


class _TYPE_DEFAULT(enum.Enum):
    token = -1


_DEFAULT_TIMEOUT = _TYPE_DEFAULT.token


class Timeout:
    """`Timeout(total=None, connect=DEFAULT, read=DEFAULT)`; `total` bounds both when they are
    not given."""

    DEFAULT_TIMEOUT = _DEFAULT_TIMEOUT

    def __init__(self, total=None, connect=_DEFAULT_TIMEOUT, read=_DEFAULT_TIMEOUT):
        self._connect = self._validate_timeout(connect, "connect")
        self._read = self._validate_timeout(read, "read")
        self.total = self._validate_timeout(total, "total")
        self._start_connect = None

    def __repr__(self):
        return f"{type(self).__name__}(connect={self._connect!r}, read={self._read!r}, total={self.total!r})"

    __str__ = __repr__

    @staticmethod
    def resolve_default_timeout(timeout):
        return None if timeout is _DEFAULT_TIMEOUT else timeout

    @classmethod
    def _validate_timeout(cls, value, name):
        if value is None or value is _DEFAULT_TIMEOUT:
            return value
        if isinstance(value, bool):
            raise ValueError("Timeout cannot be a boolean value. It must be an int, float or None.")
        try:
            float(value)
        except (TypeError, ValueError):
            raise ValueError(f"Timeout value {name} was {value}, but it must be an int, float or None.") from None
        if value <= 0:
            raise ValueError(f"Attempted to set {name} timeout to {value}, but the timeout cannot be set to a value less than or equal to 0.")
        return value

    @classmethod
    def from_float(cls, timeout):
        return Timeout(read=timeout, connect=timeout)

    def clone(self):
        return Timeout(connect=self._connect, read=self._read, total=self.total)

    def start_connect(self):
        return None

    def get_connect_duration(self):
        return None

    @property
    def connect_timeout(self):
        """Seconds allowed to connect (None: no limit of its own)."""
        if self.total is None:
            return self._connect
        if self._connect is None or self._connect is _DEFAULT_TIMEOUT:
            return self.total
        return min(self._connect, self.total)

    @property
    def read_timeout(self):
        """Seconds allowed for the first byte and between bytes (None: no limit of its own)."""
        if self.total is not None and self._read is not None and self._read is not _DEFAULT_TIMEOUT:
            return min(self._read, self.total)
        if self.total is not None:
            return self.total
        return self._read


def to_timeout(value):
    """A Timeout for what callers pass: a Timeout, seconds, None or the default."""
    if isinstance(value, Timeout):
        return value
    if value is _DEFAULT_TIMEOUT:
        return Timeout()
    return Timeout.from_float(value)


def seconds(timeout):
    """`(connect, read)` seconds for the transport (None: the host's defaults)."""
    timeout = to_timeout(timeout)
    connect, read = timeout.connect_timeout, timeout.read_timeout
    return (None if connect is _DEFAULT_TIMEOUT else connect, None if read is _DEFAULT_TIMEOUT else read)
