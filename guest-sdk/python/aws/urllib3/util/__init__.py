"""urllib3.util, as far as fnhost's urllib3 goes."""

from .request import SKIP_HEADER, SKIPPABLE_HEADERS, make_headers
from .retry import Retry
from .timeout import Timeout
from .url import Url, get_host, parse_url

__all__ = ("SKIP_HEADER", "SKIPPABLE_HEADERS", "Retry", "Timeout", "Url", "get_host", "make_headers", "parse_url")
