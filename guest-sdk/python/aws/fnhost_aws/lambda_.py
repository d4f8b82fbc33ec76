"""`boto3.client("lambda").invoke(...)`: calling another function through the host.

The host applies the caller's `invoke` grant, the loop guard (chain id and hop count) and the
caller's remaining time; the response has Lambda's shape (reference: lambda-env.md §G).
"""

import io
import json
import os

from botocore.exceptions import ClientError, ParamValidationError

from fnhost_aws import host
from fnhost_aws.body import StreamingBody
from fnhost_aws.client import BaseClient, ClientExceptions, check_params, metadata, modeled_errors, no_positional
from fnhost_aws.host import HostError


def _uuid4():
    """A random (version 4) UUID, as Lambda's request ids."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

LAMBDA_ERRORS = modeled_errors(
    [
        "CodeStorageExceededException",
        "EC2AccessDeniedException",
        "EC2ThrottledException",
        "EC2UnexpectedException",
        "EFSIOException",
        "ENILimitReachedException",
        "InvalidParameterValueException",
        "InvalidRequestContentException",
        "InvalidRuntimeException",
        "InvalidZipFileException",
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
        "PolicyLengthExceededException",
        "PreconditionFailedException",
        "ProvisionedConcurrencyConfigNotFoundException",
        "RecursiveInvocationException",
        "RequestTooLargeException",
        "ResourceConflictException",
        "ResourceInUseException",
        "ResourceNotFoundException",
        "ResourceNotReadyException",
        "ServiceException",
        "SnapStartException",
        "SnapStartNotReadyException",
        "SnapStartTimeoutException",
        "SubnetIPAddressLimitReachedException",
        "TooManyRequestsException",
        "UnsupportedMediaTypeException",
    ]
)
EXCEPTIONS = ClientExceptions(LAMBDA_ERRORS)

# WIT error case -> (HTTP status, Lambda's error code). AWS sends RequestEntityTooLargeException
# for the modeled RequestTooLargeException, and AccessDeniedException is not modeled: both reach
# boto3 code as plain ClientError.
_CODES = {
    "resource-not-found": (404, "ResourceNotFoundException"),
    "access-denied": (403, "AccessDeniedException"),
    "too-many-requests": (429, "TooManyRequestsException"),
    "request-too-large": (413, "RequestEntityTooLargeException"),
    "invalid-parameter": (400, "InvalidParameterValueException"),
    "recursive-invocation": (400, "RecursiveInvocationException"),
    "service": (500, "ServiceException"),
}


def lambda_error(code, message, status, operation="Invoke"):
    """The ClientError boto3 raises for a Lambda service error."""
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": metadata(status, {"x-amzn-errortype": code}, rid=_uuid4()),
        "Type": "Service" if status >= 500 else "User",
        "Message": message,
    }
    return LAMBDA_ERRORS.get(code, ClientError)(response, operation)


def _payload(value):
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    read = getattr(value, "read", None)
    if callable(read):
        data = read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise ParamValidationError(
        report=f"Invalid type for parameter Payload, value: {value!r}, type: {type(value)}, "
        "valid types: <class 'bytes'>, <class 'bytearray'>, file-like object"
    )


class Lambda(BaseClient):
    """`boto3.client("lambda")`: `invoke` another function of this host."""

    _SERVICE = "lambda"
    exceptions = EXCEPTIONS

    def invoke(self, *args, **kwargs):
        """Invoke `FunctionName` (RequestResponse, Event or DryRun) and return Lambda's
        response: StatusCode, FunctionError, ExecutedVersion, Payload (a StreamingBody),
        LogResult (with `LogType="Tail"`)."""
        no_positional("invoke", args)
        check_params(
            "Invoke",
            kwargs,
            ("FunctionName",),
            ("InvocationType", "LogType", "ClientContext", "Payload", "Qualifier", "TenantId"),
        )
        name = kwargs["FunctionName"]
        kind = kwargs.get("InvocationType", "RequestResponse")
        if kind not in host.INVOCATION_TYPES:
            raise lambda_error(
                "ValidationException",
                f"1 validation error detected: Value '{kind}' at 'invocationType' failed to satisfy "
                "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
                400,
            )
        log_type = kwargs.get("LogType", "None")
        if log_type not in ("None", "Tail"):
            raise lambda_error(
                "ValidationException",
                f"1 validation error detected: Value '{log_type}' at 'logType' failed to satisfy "
                "constraint: Member must satisfy enum value set: [Tail, None]",
                400,
            )
        payload = _payload(kwargs.get("Payload"))
        if kind != "DryRun":
            if not payload.strip():
                payload = b"{}"  # Lambda runs the function with an empty event, {}
            try:
                json.loads(payload)
            except ValueError as e:
                raise lambda_error(
                    "InvalidRequestContentException",
                    f"Could not parse request body into json: Could not parse payload into json: {e}",
                    400,
                ) from None
        try:
            res = host.invoke(name, kwargs.get("Qualifier"), kind, payload, log_type == "Tail")
        except HostError as e:
            status, code = _CODES.get(e.kind, (500, "ServiceException"))
            raise lambda_error(code, e.message, status) from None
        rid = _uuid4()
        headers = {"x-amzn-requestid": rid}
        out = {"StatusCode": res.status_code}
        if res.function_error is not None:
            out["FunctionError"] = res.function_error
            headers["x-amz-function-error"] = res.function_error
        if res.log_result is not None and kind == "RequestResponse":
            out["LogResult"] = res.log_result
            headers["x-amz-log-result"] = res.log_result
        if res.executed_version is not None and kind == "RequestResponse":
            out["ExecutedVersion"] = res.executed_version
            headers["x-amz-executed-version"] = res.executed_version
        body = bytes(res.payload)
        out["Payload"] = StreamingBody(io.BytesIO(body), len(body))
        out["ResponseMetadata"] = metadata(res.status_code, headers, rid=rid)
        return out
