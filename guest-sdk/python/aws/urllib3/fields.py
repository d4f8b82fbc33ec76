"""`RequestField`: one part of a multipart/form-data body, as urllib3 has it."""

import mimetypes


def guess_content_type(filename, default="application/octet-stream"):
    if filename:
        return mimetypes.guess_type(filename)[0] or default
    return default


def format_multipart_header_param(name, value):
    """`name="value"` with the characters HTML5 escapes in form field names."""
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    value = value.translate({10: "%0A", 13: "%0D", 34: "%22"})
    return f'{name}="{value}"'


class RequestField:
    """A form field: `name`, `data`, an optional `filename` and headers."""

    def __init__(self, name, data, filename=None, headers=None, header_formatter=None):
        self._name = name
        self._filename = filename
        self.data = data
        self.headers = dict(headers) if headers else {}
        self.header_formatter = header_formatter or format_multipart_header_param

    @classmethod
    def from_tuples(cls, fieldname, value, header_formatter=None):
        """A field from `(filename, data[, mime type])` or a plain value."""
        if isinstance(value, tuple):
            if len(value) == 3:
                filename, data, content_type = value
            else:
                filename, data = value
                content_type = guess_content_type(filename)
        else:
            filename, content_type, data = None, None, value
        field = cls(fieldname, data, filename=filename, header_formatter=header_formatter)
        field.make_multipart(content_type=content_type)
        return field

    def _render_part(self, name, value):
        return self.header_formatter(name, value)

    def _render_parts(self, header_parts):
        items = header_parts.items() if isinstance(header_parts, dict) else header_parts
        return "; ".join(self._render_part(name, value) for name, value in items if value is not None)

    def render_headers(self):
        """The part's header lines and the blank line after them."""
        lines = []
        for key in ("Content-Disposition", "Content-Type", "Content-Location"):
            if self.headers.get(key, False):
                lines.append(f"{key}: {self.headers[key]}")
        for key, value in self.headers.items():
            if key not in ("Content-Disposition", "Content-Type", "Content-Location") and value:
                lines.append(f"{key}: {value}")
        lines.append("\r\n")
        return "\r\n".join(lines)

    def make_multipart(self, content_disposition=None, content_type=None, content_location=None):
        self.headers["Content-Disposition"] = (content_disposition or "form-data") + "; " + self._render_parts((("name", self._name), ("filename", self._filename)))
        self.headers["Content-Type"] = content_type
        self.headers["Content-Location"] = content_location
