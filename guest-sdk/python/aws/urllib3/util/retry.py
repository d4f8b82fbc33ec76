"""urllib3's `Retry`: how many times, and which failures, to try again (urllib3 2.x rules)."""

import email.utils
import random
import re
import time
from itertools import takewhile
from typing import NamedTuple

from ..exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
)


class RequestHistory(NamedTuple):
    method: object
    url: object
    error: object
    status: object
    redirect_location: object


class Retry:
    """`Retry(total=10, connect=None, read=None, redirect=None, status=None, other=None, ...)`;
    `Retry.DEFAULT` is `Retry(3)`. A request fnhost refuses is not retried: asking again gets
    the same answer."""

    DEFAULT_ALLOWED_METHODS = frozenset(["HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"])
    RETRY_AFTER_STATUS_CODES = frozenset([413, 429, 503])
    DEFAULT_REMOVE_HEADERS_ON_REDIRECT = frozenset(["Cookie", "Authorization", "Proxy-Authorization"])
    DEFAULT_BACKOFF_MAX = 120
    DEFAULT = None  # set below

    def __init__(
        self,
        total=10,
        connect=None,
        read=None,
        redirect=None,
        status=None,
        other=None,
        allowed_methods=DEFAULT_ALLOWED_METHODS,
        status_forcelist=None,
        backoff_factor=0,
        backoff_max=DEFAULT_BACKOFF_MAX,
        raise_on_redirect=True,
        raise_on_status=True,
        history=None,
        respect_retry_after_header=True,
        remove_headers_on_redirect=DEFAULT_REMOVE_HEADERS_ON_REDIRECT,
        backoff_jitter=0.0,
    ):
        self.total = total
        self.connect = connect
        self.read = read
        self.status = status
        self.other = other
        if redirect is False or total is False:
            redirect = 0
            raise_on_redirect = False
        self.redirect = redirect
        self.status_forcelist = status_forcelist or set()
        self.allowed_methods = allowed_methods
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.raise_on_redirect = raise_on_redirect
        self.raise_on_status = raise_on_status
        self.history = history or ()
        self.respect_retry_after_header = respect_retry_after_header
        self.remove_headers_on_redirect = frozenset(h.lower() for h in remove_headers_on_redirect)
        self.backoff_jitter = backoff_jitter

    def new(self, **kw):
        params = dict(
            total=self.total,
            connect=self.connect,
            read=self.read,
            redirect=self.redirect,
            status=self.status,
            other=self.other,
            allowed_methods=self.allowed_methods,
            status_forcelist=self.status_forcelist,
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            raise_on_redirect=self.raise_on_redirect,
            raise_on_status=self.raise_on_status,
            history=self.history,
            remove_headers_on_redirect=self.remove_headers_on_redirect,
            respect_retry_after_header=self.respect_retry_after_header,
            backoff_jitter=self.backoff_jitter,
        )
        params.update(kw)
        return type(self)(**params)

    @classmethod
    def from_int(cls, retries, redirect=True, default=None):
        """A Retry from what callers pass: a Retry, a count, False or None (the default)."""
        if retries is None:
            retries = default if default is not None else cls.DEFAULT
        if isinstance(retries, Retry):
            return retries
        redirect = bool(redirect) and None
        return cls(retries, redirect=redirect)

    def get_backoff_time(self):
        consecutive_errors_len = len(list(takewhile(lambda x: x.redirect_location is None, reversed(self.history))))
        if consecutive_errors_len <= 1:
            return 0
        backoff_value = self.backoff_factor * (2 ** (consecutive_errors_len - 1))
        if self.backoff_jitter != 0.0:
            backoff_value += random.random() * self.backoff_jitter
        return float(max(0, min(self.backoff_max, backoff_value)))

    def parse_retry_after(self, retry_after):
        if re.match(r"^\s*[0-9]+\s*$", retry_after):
            seconds = int(retry_after)
        else:
            retry_date_tuple = email.utils.parsedate_tz(retry_after)
            if retry_date_tuple is None:
                raise InvalidHeader(f"Invalid Retry-After header: {retry_after}")
            retry_date = email.utils.mktime_tz(retry_date_tuple)
            seconds = retry_date - time.time()
        return max(seconds, 0)

    def get_retry_after(self, response):
        retry_after = response.headers.get("Retry-After")
        if retry_after is None:
            return None
        return self.parse_retry_after(retry_after)

    def sleep_for_retry(self, response):
        retry_after = self.get_retry_after(response)
        if retry_after:
            time.sleep(retry_after)
            return True
        return False

    def _sleep_backoff(self):
        backoff = self.get_backoff_time()
        if backoff <= 0:
            return
        time.sleep(backoff)

    def sleep(self, response=None):
        if self.respect_retry_after_header and response:
            if self.sleep_for_retry(response):
                return
        self._sleep_backoff()

    def _is_connection_error(self, err):
        if isinstance(err, ProxyError):
            err = err.original_error
        return isinstance(err, ConnectTimeoutError)

    def _is_read_error(self, err):
        return isinstance(err, (ReadTimeoutError, ProtocolError))

    def _is_method_retryable(self, method):
        return not (self.allowed_methods and method.upper() not in self.allowed_methods)

    def is_retry(self, method, status_code, has_retry_after=False):
        if not self._is_method_retryable(method):
            return False
        if self.status_forcelist and status_code in self.status_forcelist:
            return True
        return bool(self.total and self.respect_retry_after_header and has_retry_after and (status_code in self.RETRY_AFTER_STATUS_CODES))

    def is_exhausted(self):
        retry_counts = [x for x in (self.total, self.connect, self.read, self.redirect, self.status, self.other) if x]
        if not retry_counts:
            return False
        return min(retry_counts) < 0

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        """The Retry for the next attempt, or MaxRetryError when none is left."""
        if self.total is False and error:
            raise error
        total = self.total
        if total is not None:
            total -= 1
        connect, read, redirect, status_count, other = self.connect, self.read, self.redirect, self.status, self.other
        cause = "unknown"
        status = None
        redirect_location = None
        if error is not None and getattr(error, "fnhost_refused", False):
            # The host refused the request (allow-list, blocked network, limits): final.
            raise MaxRetryError(_pool, url, error) from error
        if error and self._is_connection_error(error):
            if connect is False:
                raise error
            elif connect is not None:
                connect -= 1
        elif error and self._is_read_error(error):
            if read is False or method is None or not self._is_method_retryable(method):
                raise error
            elif read is not None:
                read -= 1
        elif error:
            if other is not None:
                other -= 1
        elif response and response.get_redirect_location():
            if redirect is not None:
                redirect -= 1
            cause = "too many redirects"
            redirect_location = response.get_redirect_location()
            status = response.status
        else:
            cause = ResponseError.GENERIC_ERROR
            if response and response.status:
                if status_count is not None:
                    status_count -= 1
                cause = ResponseError.SPECIFIC_ERROR.format(status_code=response.status)
                status = response.status
        history = self.history + (RequestHistory(method, url, error, status, redirect_location),)
        new_retry = self.new(total=total, connect=connect, read=read, redirect=redirect, status=status_count, other=other, history=history)
        if new_retry.is_exhausted():
            reason = error or ResponseError(cause)
            raise MaxRetryError(_pool, url, reason) from reason
        return new_retry

    def __repr__(self):
        return f"{type(self).__name__}(total={self.total}, connect={self.connect}, read={self.read}, redirect={self.redirect}, status={self.status})"


Retry.DEFAULT = Retry(3)
