"""urllib3's `HTTPResponse`: status, reason, headers (HTTPHeaderDict), data, read(), json(),
stream(), release_conn(), ... over a body read from the host as it arrives."""

import io
import json as _json
import urllib.parse
import zlib

from ._collections import HTTPHeaderDict
from .exceptions import DecodeError, ProtocolError


class _Decoder:
    def __init__(self, encoding):
        # gzip (and x-gzip) by its header; deflate as zlib, or raw deflate as some servers send.
        self._first = encoding == "deflate"
        wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._obj = zlib.decompressobj(wbits)

    def decompress(self, data):
        if not data:
            return b""
        if self._first:
            self._first = False
            try:
                return self._obj.decompress(data)
            except zlib.error:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._obj.decompress(data)

    def flush(self):
        return self._obj.flush()


class BaseHTTPResponse(io.IOBase):
    """What every urllib3 response is."""

    CONTENT_DECODERS = ["gzip", "x-gzip", "deflate"]
    REDIRECT_STATUSES = [301, 302, 303, 307, 308]


class HTTPResponse(BaseHTTPResponse):
    """A response. `body` is bytes or a binary file object read on demand; with
    `preload_content` (the default) the whole body is read at once into `data`."""

    def __init__(
        self,
        body="",
        headers=None,
        status=0,
        version=11,
        version_string="HTTP/1.1",
        reason=None,
        preload_content=True,
        decode_content=True,
        original_response=None,
        pool=None,
        connection=None,
        msg=None,
        retries=None,
        enforce_content_length=True,
        request_method=None,
        request_url=None,
        auto_close=True,
        sock_shutdown=None,
    ):
        self.headers = headers if isinstance(headers, HTTPHeaderDict) else HTTPHeaderDict(headers)
        self.status = status
        self.version = version
        self.version_string = version_string
        self.reason = reason
        self.decode_content = decode_content
        self._request_url = request_url
        self.retries = retries
        self.enforce_content_length = enforce_content_length
        self.auto_close = auto_close
        self._original_response = original_response
        self._pool = pool
        self._connection = connection
        self.msg = msg
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        self.length_remaining = None
        length = self.headers.get("content-length")
        if length and length.strip().isdigit() and request_method != "HEAD":
            self.length_remaining = int(length)
        if request_method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            self.length_remaining = 0
        self._body = None
        self._fp = None
        self._fp_bytes_read = 0
        self._decoder = None
        self._decoded_buffer = b""
        if isinstance(body, (str, bytes)):
            self._body = body.encode() if isinstance(body, str) else body
        elif body is not None and hasattr(body, "read"):
            self._fp = body
        if preload_content and self._body is None:
            self._body = self.read(decode_content=decode_content)

    # --- headers and identity ---

    def get_redirect_location(self):
        """The Location of a redirect (None when it has none), False when not a redirect."""
        if self.status in self.REDIRECT_STATUSES:
            return self.headers.get("location")
        return False

    def getheaders(self):
        return self.headers

    def getheader(self, name, default=None):
        return self.headers.get(name, default)

    def info(self):
        return self.headers

    def geturl(self):
        return self._request_url

    @property
    def url(self):
        return self._request_url

    @url.setter
    def url(self, url):
        self._request_url = url

    @property
    def connection(self):
        return self._connection

    @property
    def retries(self):
        return self._retries

    @retries.setter
    def retries(self, retries):
        # After redirects, the URL of the last hop (absolute, where urllib3 keeps the Location
        # as sent).
        if retries is not None and retries.history and retries.history[-1].redirect_location:
            self.url = urllib.parse.urljoin(self.url or "", retries.history[-1].redirect_location)
        self._retries = retries

    # --- the body ---

    @property
    def data(self):
        """The whole body (read now when it was not preloaded)."""
        if self._body is not None:
            return self._body
        if self._fp is not None:
            return self.read(cache_content=True)
        return None

    def json(self):
        """The body parsed as JSON (UTF-8); raises json.JSONDecodeError when it is not."""
        return _json.loads(self.data.decode("utf-8"))

    def _init_decoder(self):
        encoding = self.headers.get("content-encoding", "").lower().strip()
        if self._decoder is None and encoding in self.CONTENT_DECODERS:
            self._decoder = _Decoder(encoding)

    def _decode(self, data, decode_content, flush):
        if not decode_content:
            return data
        self._init_decoder()
        if self._decoder is None:
            return data
        try:
            data = self._decoder.decompress(data)
            if flush:
                data += self._decoder.flush()
        except zlib.error as e:
            content_encoding = self.headers.get("content-encoding", "").lower()
            raise DecodeError(f"Received response with content-encoding: {content_encoding}, but failed to decode it.", e) from e
        return data

    def _raw_read(self, amt=None):
        if self._fp is None:
            return b""
        try:
            data = self._fp.read() if amt is None else self._fp.read(amt)
        except OSError as e:
            self._close_fp()
            raise ProtocolError(f"Connection broken: {e}", e) from e
        self._fp_bytes_read += len(data)
        if self.length_remaining is not None:
            self.length_remaining = max(0, self.length_remaining - len(data))
        if (amt is None or (amt and not data)) and self.auto_close:
            self._close_fp()
        return data

    def _close_fp(self):
        if self._fp is not None:
            fp, self._fp = self._fp, None
            fp.close()

    def read(self, amt=None, decode_content=None, cache_content=False):
        """Up to `amt` bytes of the body (all of it when None), decoded per Content-Encoding
        unless `decode_content` is False."""
        if decode_content is None:
            decode_content = self.decode_content
        if self._fp is None:
            # Preloaded (or finished): the body is in `data`; read() gives what is left.
            if amt is None:
                data, self._decoded_buffer = self._decoded_buffer, b""
            else:
                data, self._decoded_buffer = self._decoded_buffer[:amt], self._decoded_buffer[amt:]
            return data
        if amt is None:
            data = self._decoded_buffer + self._decode(self._raw_read(), decode_content, flush=True)
            self._decoded_buffer = b""
            if cache_content:
                self._body = data
            return data
        if amt <= 0:
            return b""
        while len(self._decoded_buffer) < amt and self._fp is not None:
            raw = self._raw_read(amt)
            self._decoded_buffer += self._decode(raw, decode_content, flush=not raw)
            if not raw:
                break
        data, self._decoded_buffer = self._decoded_buffer[:amt], self._decoded_buffer[amt:]
        return data

    def read1(self, amt=None, decode_content=None):
        return self.read(amt if amt is not None and amt >= 0 else 65536, decode_content)

    def stream(self, amt=2**16, decode_content=None):
        """The body in pieces of at most `amt` bytes."""
        if self._fp is None and self._body is not None:
            # Preloaded: the stored body, in pieces (urllib3 2.x gives nothing more here, but
            # code written for 1.x streams it).
            body = self._body
            step = amt or len(body) or 1
            for i in range(0, len(body), step):
                yield body[i : i + step]
            return
        while self._fp is not None or self._decoded_buffer:
            data = self.read(amt=amt, decode_content=decode_content)
            if data:
                yield data
            elif self._fp is None:
                break

    def readinto(self, b):
        temp = self.read(len(b))
        if len(temp) == 0:
            return 0
        b[: len(temp)] = temp
        return len(temp)

    def readable(self):
        return True

    def __iter__(self):
        buffer = []
        for chunk in self.stream(decode_content=True):
            if b"\n" in chunk:
                chunks = chunk.split(b"\n")
                yield b"".join(buffer) + chunks[0] + b"\n"
                for x in chunks[1:-1]:
                    yield x + b"\n"
                buffer = [chunks[-1]] if chunks[-1] else []
            else:
                buffer.append(chunk)
        if buffer:
            yield b"".join(buffer)

    def tell(self):
        return self._fp_bytes_read

    # --- the connection (each request is its own inside fnhost) ---

    def release_conn(self):
        """Give the connection back: the body is dropped unread (its stream is closed)."""
        self._close_fp()

    def drain_conn(self):
        try:
            self.read()
        except (OSError, ProtocolError, DecodeError):
            pass

    def shutdown(self):
        self._close_fp()

    def close(self):
        self._close_fp()
        super().close()

    @property
    def closed(self):
        if not self.auto_close:
            return io.IOBase.closed.__get__(self)
        return self._fp is None

    def fileno(self):
        raise OSError("The file-like object this HTTPResponse is wrapped around has no file descriptor")

    def flush(self):
        pass

    def supports_chunked_reads(self):
        return False

    def __repr__(self):
        return f"<urllib3.response.HTTPResponse status={self.status} url={self._request_url!r}>"
