"""`botocore.client.BaseClient`, the base class of every client `boto3.client()` returns."""

from fnhost_aws.client import BaseClient, ClientMeta

__all__ = ["BaseClient", "ClientMeta"]
