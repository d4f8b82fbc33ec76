"""The implementation behind fnhost's `boto3` and `botocore` stand-ins.

Inside a function, `import boto3` gives these modules (the runtime puts them ahead of any real
boto3 bundled in the package): the S3 calls go to the host's buckets through the `objects`
interface of `wit/handler.wit`, and `lambda.invoke` to other functions through `functions`.

Nothing here calls the host when a client is made: `s3 = boto3.client("s3")` at module level
runs while the function is packaged, where host calls are not available.
"""

S3_OPERATIONS = (
    "get_object",
    "put_object",
    "head_object",
    "delete_object",
    "delete_objects",
    "list_objects_v2",
    "list_objects",
    "copy_object",
    "copy",
    "download_file",
    "upload_file",
    "download_fileobj",
    "upload_fileobj",
    "get_paginator('list_objects_v2' | 'list_objects')",
)
LAMBDA_OPERATIONS = ("invoke",)
SERVICES = {"s3": S3_OPERATIONS, "lambda": LAMBDA_OPERATIONS}


def supported() -> str:
    """One line naming every service and operation fnhost's boto3 provides."""
    return "; ".join(f"{name}: {', '.join(ops)}" for name, ops in sorted(SERVICES.items()))
