"""`make_headers`, as urllib3 has it."""

from base64 import b64encode

ACCEPT_ENCODING = "gzip,deflate"
SKIP_HEADER = "@@@SKIP_HEADER@@@"
SKIPPABLE_HEADERS = frozenset(["accept-encoding", "host", "user-agent"])


def make_headers(keep_alive=None, accept_encoding=None, user_agent=None, basic_auth=None, proxy_basic_auth=None, disable_cache=None):
    """Common request headers: Accept-Encoding, User-Agent, Authorization, ..."""
    headers = {}
    if accept_encoding:
        if isinstance(accept_encoding, str):
            pass
        elif isinstance(accept_encoding, list):
            accept_encoding = ",".join(accept_encoding)
        else:
            accept_encoding = ACCEPT_ENCODING
        headers["accept-encoding"] = accept_encoding
    if user_agent:
        headers["user-agent"] = user_agent
    if keep_alive:
        headers["connection"] = "keep-alive"
    if basic_auth:
        headers["authorization"] = f"Basic {b64encode(basic_auth.encode('latin-1')).decode()}"
    if proxy_basic_auth:
        headers["proxy-authorization"] = f"Basic {b64encode(proxy_basic_auth.encode('latin-1')).decode()}"
    if disable_cache:
        headers["cache-control"] = "no-cache"
    return headers
