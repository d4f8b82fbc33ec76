"""`boto3.s3.transfer`: TransferConfig (accepted; transfers are single host calls) and
S3Transfer over a client."""


class TransferConfig:
    """Multipart and threading settings; accepted and kept, with no effect in fnhost."""

    def __init__(
        self,
        multipart_threshold=8 * 1024 * 1024,
        max_concurrency=10,
        multipart_chunksize=8 * 1024 * 1024,
        num_download_attempts=5,
        max_io_queue=100,
        io_chunksize=256 * 1024,
        use_threads=True,
        max_bandwidth=None,
        preferred_transfer_client="auto",
    ):
        self.multipart_threshold = multipart_threshold
        self.max_concurrency = max_concurrency
        self.multipart_chunksize = multipart_chunksize
        self.num_download_attempts = num_download_attempts
        self.max_io_queue = max_io_queue
        self.io_chunksize = io_chunksize
        self.use_threads = use_threads
        self.max_bandwidth = max_bandwidth
        self.preferred_transfer_client = preferred_transfer_client


class S3Transfer:
    """`S3Transfer(client).upload_file(...)` / `.download_file(...)`."""

    def __init__(self, client=None, config=None, osutil=None, manager=None):
        if client is None:
            raise ValueError("S3Transfer needs a client: S3Transfer(boto3.client('s3'))")
        self._client = client
        self._config = config

    def upload_file(self, filename, bucket, key, callback=None, extra_args=None):
        self._client.upload_file(filename, bucket, key, ExtraArgs=extra_args, Callback=callback)

    def download_file(self, bucket, key, filename, extra_args=None, callback=None):
        self._client.download_file(bucket, key, filename, ExtraArgs=extra_args, Callback=callback)
