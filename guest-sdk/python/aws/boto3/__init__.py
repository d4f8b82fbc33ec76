"""fnhost's boto3 inside a function: `boto3.client("s3")`, `boto3.client("lambda")` and
`boto3.resource("s3")`, served by the host (real boto3 needs sockets and ssl, which a
WebAssembly guest does not have).

What is covered: S3 get_object, put_object, head_object, delete_object(s), list_objects(_v2)
and their paginators, copy_object, download_file/fileobj, upload_file/fileobj; Lambda invoke.
Any other service or operation raises an error naming what is supported.
"""

import logging

from boto3.session import Session

__author__ = "fnhost"
__version__ = "1.40.0+fnhost"

DEFAULT_SESSION = None


def setup_default_session(**kwargs):
    """Replace the default session (the one `boto3.client` and `boto3.resource` use)."""
    global DEFAULT_SESSION
    DEFAULT_SESSION = Session(**kwargs)


def set_stream_logger(name="boto3", level=logging.DEBUG, format_string=None):
    """Log `name` to stderr (fnhost's boto3 logs little: there is no HTTP traffic)."""
    if format_string is None:
        format_string = "%(asctime)s %(name)s [%(levelname)s] %(message)s"
    logger = logging.getLogger(name)
    logger.setLevel(level)
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(format_string))
    logger.addHandler(handler)


def _get_default_session():
    if DEFAULT_SESSION is None:
        setup_default_session()
    return DEFAULT_SESSION


def client(*args, **kwargs):
    """A low-level client: `boto3.client("s3")` or `boto3.client("lambda")`."""
    return _get_default_session().client(*args, **kwargs)


def resource(*args, **kwargs):
    """A resource: `boto3.resource("s3")`."""
    return _get_default_session().resource(*args, **kwargs)


class NullHandler(logging.Handler):
    def emit(self, record):
        pass


logging.getLogger("boto3").addHandler(NullHandler())
