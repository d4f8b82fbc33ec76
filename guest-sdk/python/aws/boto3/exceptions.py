"""boto3's own exceptions."""

import botocore.exceptions


class Boto3Error(Exception):
    """The base of boto3's exceptions."""


class ResourceLoadException(Boto3Error):
    pass


class NoVersionFound(Boto3Error):
    pass


class RetriesExceededError(Boto3Error):
    def __init__(self, last_exception, msg="Max Retries Exceeded"):
        super().__init__(msg)
        self.last_exception = last_exception


class S3TransferFailedError(Boto3Error):
    pass


class S3UploadFailedError(Boto3Error):
    """upload_file failed: `Failed to upload <file> to <bucket>/<key>: <ClientError>`."""


class DynamoDBOperationNotSupportedError(Boto3Error):
    pass


class DynamoDBNeedsConditionError(Boto3Error):
    pass


class DynamoDBNeedsKeyConditionError(Boto3Error):
    pass


class PythonDeprecationWarning(Warning):
    pass


class ResourceNotExistsError(Boto3Error, botocore.exceptions.DataNotFoundError):
    """`boto3.resource(name)` for a service without a resource."""

    def __init__(self, service_name, available_services, has_low_level_client):
        msg = (
            "The '{}' resource does not exist.\n"
            "The available resources are:\n"
            "   - {}\n".format(service_name, "\n   - ".join(available_services))
        )
        if has_low_level_client:
            msg = (
                f"{msg}\nConsider using a boto3.client('{service_name}') "
                f"instead of a resource for '{service_name}'"
            )
        # Bypass DataNotFoundError's format.
        Boto3Error.__init__(self, msg)
