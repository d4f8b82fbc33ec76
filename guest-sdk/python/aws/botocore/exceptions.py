"""The exceptions botocore raises, with botocore's names, bases and message formats."""


class BotoCoreError(Exception):
    """The base of botocore's own (non-service) errors."""

    fmt = "An unspecified error occurred"

    def __init__(self, **kwargs):
        msg = self.fmt.format(**kwargs)
        Exception.__init__(self, msg)
        self.kwargs = kwargs


class DataNotFoundError(BotoCoreError):
    """Data for a service or resource is not available."""

    fmt = "Unable to load data for: {data_path}"


class UnknownServiceError(DataNotFoundError):
    """`boto3.client(name)` for a service fnhost does not provide."""

    fmt = "Unknown service: '{service_name}'. Valid service names are: {known_service_names}"


class NoRegionError(BotoCoreError):
    """No region was given or configured."""

    fmt = "You must specify a region."


class NoCredentialsError(BotoCoreError):
    """No credentials were found."""

    fmt = "Unable to locate credentials"


class PartialCredentialsError(BotoCoreError):
    """Only part of a set of credentials was given."""

    fmt = "Partial credentials found in {provider}, missing: {cred_var}"


class EndpointConnectionError(BotoCoreError):
    """The endpoint could not be reached (fnhost never raises it: calls go through the host)."""

    fmt = 'Could not connect to the endpoint URL: "{endpoint_url}"'


class ConnectionClosedError(EndpointConnectionError):
    """The connection closed early (never raised by fnhost)."""

    fmt = 'Connection was closed before we received a valid response from endpoint URL: "{endpoint_url}".'


class ReadTimeoutError(EndpointConnectionError):
    """Reading a response timed out (never raised by fnhost)."""

    fmt = 'Read timeout on endpoint URL: "{endpoint_url}"'


class ConnectTimeoutError(EndpointConnectionError):
    """Connecting timed out (never raised by fnhost)."""

    fmt = 'Connect timeout on endpoint URL: "{endpoint_url}"'


class IncompleteReadError(BotoCoreError):
    """A streamed body ended before its Content-Length."""

    fmt = "{actual_bytes} read, but total bytes expected is {expected_bytes}."


class ResponseStreamingError(BotoCoreError):
    """Reading a streamed body failed."""

    fmt = "An error occurred while reading from response stream: {error}"


class ParamValidationError(BotoCoreError):
    """The parameters of a call are missing, unknown or of the wrong type."""

    fmt = "Parameter validation failed:\n{report}"


class OperationNotPageableError(BotoCoreError):
    """`get_paginator` for an operation that has no paginator."""

    fmt = "Operation cannot be paginated: {operation_name}"


class WaiterError(BotoCoreError):
    """A waiter failed (fnhost has no waiters)."""

    fmt = "Waiter {name} failed: {reason}"


class ClientError(Exception):
    """A service answered with an error: `e.response["Error"]["Code"]`, `e.operation_name`."""

    MSG_TEMPLATE = (
        "An error occurred ({error_code}) when calling the {operation_name} "
        "operation{retry_info}: {error_message}"
    )

    def __init__(self, error_response, operation_name):
        retry_info = self._get_retry_info(error_response)
        error = error_response.get("Error", {})
        msg = self.MSG_TEMPLATE.format(
            error_code=error.get("Code", "Unknown"),
            error_message=error.get("Message", "Unknown"),
            operation_name=operation_name,
            retry_info=retry_info,
        )
        super().__init__(msg)
        self.response = error_response
        self.operation_name = operation_name

    @staticmethod
    def _get_retry_info(response):
        metadata = response.get("ResponseMetadata", {})
        if metadata.get("MaxAttemptsReached", False) and "RetryAttempts" in metadata:
            return f" (reached max retries: {metadata['RetryAttempts']})"
        return ""

    def __reduce__(self):
        return self.__class__, (self.response, self.operation_name)
