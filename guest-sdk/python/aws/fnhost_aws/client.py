"""What every client shares: `meta`, `exceptions`, parameter checks and error responses."""

import os

from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

from fnhost_aws import SERVICES, supported

_REASONS = {
    200: "OK",
    202: "Accepted",
    204: "No Content",
    206: "Partial Content",
    304: "Not Modified",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    416: "Requested Range Not Satisfiable",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def reason(status):
    """The HTTP reason phrase of `status` (HeadObject errors use it as their message)."""
    return _REASONS.get(status, "Unknown")


def request_id():
    """A fresh request id, shaped like S3's (16 upper-case hex digits)."""
    return os.urandom(8).hex().upper()


def metadata(status, headers=None, rid=None):
    """A `ResponseMetadata` dict, as every botocore result carries."""
    rid = rid or request_id()
    return {
        "RequestId": rid,
        "HostId": "",
        "HTTPStatusCode": status,
        "HTTPHeaders": dict(headers or {}),
        "RetryAttempts": 0,
    }


class ClientMeta:
    """`client.meta`: the service, region and config the client was made with."""

    def __init__(self, service_name, region_name, endpoint_url, config):
        self.service_model = _ServiceModel(service_name)
        self._region_name = region_name
        self.endpoint_url = endpoint_url
        self.config = config
        self.partition = "aws"
        self.events = None

    @property
    def region_name(self):
        # Read when asked, not when the client is made: module-level clients are made while
        # the function is packaged, before its environment exists.
        return (
            self._region_name
            or (self.config.region_name if self.config is not None else None)
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or "us-east-1"
        )


class _ServiceModel:
    def __init__(self, name):
        self.service_name = name
        self.signing_name = name
        self.service_id = {"s3": "S3", "lambda": "Lambda"}.get(name, name)

    def __repr__(self):
        return f"ServiceModel({self.service_name})"


class ClientExceptions:
    """`client.exceptions`: the modeled error classes of one service, and `from_code`."""

    def __init__(self, code_to_exception):
        self._code_to_exception = code_to_exception
        self.ClientError = ClientError
        for name, cls in code_to_exception.items():
            setattr(self, name, cls)

    def from_code(self, error_code):
        """The class raised for `error_code` (ClientError when the service does not model it)."""
        return self._code_to_exception.get(error_code, ClientError)


def modeled_errors(names):
    """One ClientError subclass per modeled error code, as botocore generates them."""
    return {name: type(name, (ClientError,), {"__doc__": f"The service's `{name}` error."}) for name in names}


def check_params(operation, kwargs, required, optional):
    """Refuse missing or unknown parameters with botocore's ParamValidationError text."""
    report = []
    for name in required:
        if name not in kwargs:
            report.append(f'Missing required parameter in input: "{name}"')
    allowed = tuple(required) + tuple(optional)
    for name in kwargs:
        if name not in allowed:
            report.append(
                f'Unknown parameter in input: "{name}", must be one of: {", ".join(allowed)}'
                " (fnhost's boto3 supports these)"
            )
    for name in required:
        value = kwargs.get(name)
        if name in ("Bucket", "Key", "FunctionName") and isinstance(value, str) and not value:
            report.append(f"Invalid length for parameter {name}, value: 0, valid min length: 1")
        elif name in kwargs and name in ("Bucket", "Key", "FunctionName") and not isinstance(value, str):
            report.append(
                f"Invalid type for parameter {name}, value: {value!r}, type: {type(value)}, "
                "valid types: <class 'str'>"
            )
    if report:
        raise ParamValidationError(report="\n".join(report))


class BaseClient:
    """The base of every client: `meta`, `exceptions`, and a clear error for what is missing."""

    _SERVICE = ""

    def __init__(self, region_name=None, endpoint_url=None, config=None):
        if config is not None and not isinstance(config, Config):
            raise TypeError("config must be a botocore.config.Config")
        self.meta = ClientMeta(self._SERVICE, region_name, endpoint_url, config)

    def can_paginate(self, operation_name):
        """Whether `get_paginator(operation_name)` works."""
        return False

    def get_waiter(self, waiter_name):
        raise NotImplementedError(
            f"fnhost's boto3 has no waiters (asked for `{waiter_name}`); it supports {supported()}"
        )

    def generate_presigned_url(self, *args, **kwargs):
        raise NotImplementedError(
            "fnhost's boto3 cannot make presigned URLs: objects are only reachable from inside "
            f"functions; it supports {supported()}"
        )

    def close(self):
        """Nothing to release: there are no connections."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        ops = ", ".join(SERVICES.get(self._SERVICE, ()))
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{name}': fnhost's boto3 "
            f"{self._SERVICE} client supports {ops}"
        )

    def __repr__(self):
        return f"<botocore.client.{type(self).__name__} object at {id(self):#x}>"


def no_positional(operation, args):
    """botocore's clients take keyword arguments only."""
    if args:
        raise TypeError(f"{operation}() only accepts keyword arguments.")
