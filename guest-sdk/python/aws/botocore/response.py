"""`botocore.response.StreamingBody`: a response body read once, as a stream."""

from fnhost_aws.body import StreamingBody

__all__ = ["StreamingBody"]
