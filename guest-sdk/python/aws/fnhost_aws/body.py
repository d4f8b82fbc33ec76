"""Response bodies: botocore's `StreamingBody`, over bytes or over ranged object reads."""

import io

from botocore.exceptions import IncompleteReadError


class StreamingBody(io.IOBase):
    """A body read once: `read(amt)`, `iter_chunks()`, `iter_lines()`, iteration, `with`.

    As botocore's, a body that ends before its content length raises `IncompleteReadError`.
    """

    _DEFAULT_CHUNK_SIZE = 1024

    def __init__(self, raw_stream, content_length):
        self._raw_stream = raw_stream
        self._content_length = content_length
        self._amount_read = 0

    def __del__(self):
        pass

    def set_socket_timeout(self, timeout):
        """Accepted; there is no socket."""

    def readable(self):
        try:
            return self._raw_stream.readable()
        except AttributeError:
            return False

    def read(self, amt=None):
        """At most `amt` bytes, or everything left when `amt` is None."""
        chunk = self._raw_stream.read() if amt is None else self._raw_stream.read(amt)
        self._amount_read += len(chunk)
        if amt is None or (not chunk and amt > 0):
            self._verify_content_length()
        return chunk

    def readinto(self, b):
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readlines(self):
        return self._raw_stream.readlines()

    def __iter__(self):
        return self.iter_chunks(self._DEFAULT_CHUNK_SIZE)

    def __next__(self):
        current_chunk = self.read(self._DEFAULT_CHUNK_SIZE)
        if current_chunk:
            return current_chunk
        raise StopIteration()

    def __enter__(self):
        return self

    def __exit__(self, type, value, traceback):
        self.close()

    next = __next__

    def iter_lines(self, chunk_size=_DEFAULT_CHUNK_SIZE, keepends=False):
        """The body's lines, as bytes (without line ends unless `keepends`)."""
        pending = b""
        for chunk in self.iter_chunks(chunk_size):
            lines = (pending + chunk).splitlines(True)
            for line in lines[:-1]:
                yield line.splitlines(keepends)[0]
            pending = lines[-1]
        if pending:
            yield pending.splitlines(keepends)[0]

    def iter_chunks(self, chunk_size=_DEFAULT_CHUNK_SIZE):
        """The body in pieces of at most `chunk_size` bytes."""
        while True:
            current_chunk = self.read(chunk_size)
            if current_chunk == b"":
                break
            yield current_chunk

    def _verify_content_length(self):
        if self._content_length is not None and self._amount_read != int(self._content_length):
            raise IncompleteReadError(
                actual_bytes=self._amount_read,
                expected_bytes=int(self._content_length),
            )

    def tell(self):
        return self._raw_stream.tell()

    def close(self):
        """Release the body; later reads give nothing."""
        self._raw_stream.close()


class RangedReader(io.RawIOBase):
    """An object too large for one host call, read in ranges as it is consumed.

    `fetch(first, last)` returns the inclusive byte range; `size` is the object's length when
    the body was opened. Each step reads at most `step` bytes.
    """

    STEP = 8 << 20

    def __init__(self, fetch, size, step=None):
        self._fetch = fetch
        self._size = size
        self._step = step or self.STEP
        self._pos = 0
        self._buffer = b""

    def readable(self):
        return True

    def tell(self):
        return self._pos - len(self._buffer)

    def _fill(self, want):
        while len(self._buffer) < want and self._pos < self._size:
            last = min(self._pos + self._step, self._size) - 1
            piece = self._fetch(self._pos, last)
            if not piece:
                self._size = self._pos  # the object shrank: what was read is the body
                break
            self._pos += len(piece)
            self._buffer += piece

    def read(self, size=-1):
        if self.closed:
            return b""
        if size is None or size < 0:
            self._fill(self._size)
            out, self._buffer = self._buffer, b""
            return out
        self._fill(size)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def readall(self):
        return self.read(-1)

    def readinto(self, b):
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self):
        self._buffer = b""
        super().close()
