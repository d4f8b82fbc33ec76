"""fnhost's stand-in for botocore inside a function (real botocore needs sockets and ssl,
which a WebAssembly guest does not have).

Only the parts Lambda code touches are here: `botocore.exceptions` (ClientError and friends),
`botocore.response.StreamingBody`, `botocore.config.Config` and `botocore.client.BaseClient`.
The clients themselves come from `boto3.client(...)`.
"""

__version__ = "1.40.0+fnhost"
