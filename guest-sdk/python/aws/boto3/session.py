"""`boto3.session.Session`: makes clients and resources; credentials and profiles are
accepted and unused (the host authorises calls by the function's grants)."""

import os

from boto3.exceptions import ResourceNotExistsError
from botocore.exceptions import UnknownServiceError

from fnhost_aws import SERVICES, supported
from fnhost_aws import lambda_ as _lambda
from fnhost_aws import resource as _resource
from fnhost_aws import s3 as _s3


class Session:
    """A session: `client(name)`, `resource(name)`, `region_name`."""

    def __init__(
        self,
        aws_access_key_id=None,
        aws_secret_access_key=None,
        aws_session_token=None,
        region_name=None,
        botocore_session=None,
        profile_name=None,
        aws_account_id=None,
    ):
        self._region_name = region_name
        self._profile = profile_name

    def __repr__(self):
        return f"Session(region_name={self._region_name!r})"

    @property
    def region_name(self):
        return self._region_name or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")

    @property
    def profile_name(self):
        return self._profile or "default"

    @property
    def available_profiles(self):
        return []

    def get_available_services(self):
        return sorted(SERVICES)

    def get_available_resources(self):
        return ["s3"]

    def get_available_regions(self, service_name, partition_name="aws", allow_non_regional=False):
        return []

    def client(
        self,
        service_name,
        region_name=None,
        api_version=None,
        use_ssl=True,
        verify=None,
        endpoint_url=None,
        aws_access_key_id=None,
        aws_secret_access_key=None,
        aws_session_token=None,
        config=None,
        aws_account_id=None,
    ):
        """A client for `s3` or `lambda`; made without calling the host."""
        region = region_name or self._region_name
        if service_name == "s3":
            return _s3.S3(region, endpoint_url, config)
        if service_name == "lambda":
            return _lambda.Lambda(region, endpoint_url, config)
        raise UnknownServiceError(
            service_name=service_name,
            known_service_names=f"{', '.join(sorted(SERVICES))} (fnhost's boto3 runs inside a function; it supports {supported()})",
        )

    def resource(
        self,
        service_name,
        region_name=None,
        api_version=None,
        use_ssl=True,
        verify=None,
        endpoint_url=None,
        aws_access_key_id=None,
        aws_secret_access_key=None,
        aws_session_token=None,
        config=None,
    ):
        """`resource("s3")`; any other service is ResourceNotExistsError."""
        if service_name != "s3":
            raise ResourceNotExistsError(service_name, ["s3"], service_name in SERVICES)
        return _resource.S3ServiceResource(self.client("s3", region_name, endpoint_url=endpoint_url, config=config))
