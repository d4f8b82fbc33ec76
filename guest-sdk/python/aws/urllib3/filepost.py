"""`encode_multipart_formdata`, as urllib3 has it."""

import binascii
import mimetypes
import os


def choose_boundary():
    """A random boundary for multipart/form-data."""
    return binascii.hexlify(os.urandom(16)).decode()


def _fields(fields):
    items = fields.items() if hasattr(fields, "items") else fields
    for item in items:
        if hasattr(item, "render_headers"):  # a RequestField
            yield item.render_headers(), item.data
            continue
        name, value = item
        filename, content_type = None, None
        if isinstance(value, tuple):
            if len(value) == 3:
                filename, value, content_type = value
            else:
                filename, value = value
                content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        lines = [f"Content-Disposition: {disposition}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        yield "\r\n".join(lines) + "\r\n\r\n", value


def encode_multipart_formdata(fields, boundary=None):
    """`(body bytes, content type)` of `fields` (a dict or list of `(name, value)`, a value
    being str, bytes, or `(filename, data[, mime type])`) as multipart/form-data."""
    boundary = boundary or choose_boundary()
    body = bytearray()
    for headers, data in _fields(fields):
        body += f"--{boundary}\r\n".encode("latin-1")
        body += headers.encode("utf-8")
        if isinstance(data, int):
            data = str(data)
        body += data.encode("utf-8") if isinstance(data, str) else bytes(data)
        body += b"\r\n"
    body += f"--{boundary}--\r\n".encode("latin-1")
    return bytes(body), f"multipart/form-data; boundary={boundary}"
