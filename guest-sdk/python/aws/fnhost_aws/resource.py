"""`boto3.resource("s3")`: Object, Bucket, ObjectSummary over the same S3 client."""


class _Meta:
    def __init__(self, client, data=None):
        self.client = client
        self.service_name = "s3"
        self.data = data


def _snake(fields):
    """head_object/get_object fields as resource attributes (ContentLength -> content_length)."""
    names = {
        "ContentLength": "content_length",
        "ContentType": "content_type",
        "ETag": "e_tag",
        "LastModified": "last_modified",
        "Metadata": "metadata",
        "AcceptRanges": "accept_ranges",
        "ServerSideEncryption": "server_side_encryption",
    }
    return {names[k]: v for k, v in fields.items() if k in names}


class Object:
    """`s3.Object(bucket_name, key)`: get, put, delete, load and the transfer helpers."""

    def __init__(self, client, bucket_name, key):
        self.meta = _Meta(client)
        self.bucket_name = bucket_name
        self.key = key
        self._loaded = None

    def __repr__(self):
        return f"s3.Object(bucket_name={self.bucket_name!r}, key={self.key!r})"

    def __eq__(self, other):
        return isinstance(other, Object) and (self.bucket_name, self.key) == (other.bucket_name, other.key)

    def __hash__(self):
        return hash((self.bucket_name, self.key))

    def get(self, **kwargs):
        """client.get_object for this object."""
        return self.meta.client.get_object(Bucket=self.bucket_name, Key=self.key, **kwargs)

    def put(self, **kwargs):
        """client.put_object for this object."""
        return self.meta.client.put_object(Bucket=self.bucket_name, Key=self.key, **kwargs)

    def delete(self, **kwargs):
        """client.delete_object for this object."""
        return self.meta.client.delete_object(Bucket=self.bucket_name, Key=self.key, **kwargs)

    def load(self):
        """Fetch the attributes (head_object); a missing object is ClientError `404`."""
        fields = self.meta.client.head_object(Bucket=self.bucket_name, Key=self.key)
        self._loaded = _snake(fields)
        self.meta.data = {k: v for k, v in fields.items() if k != "ResponseMetadata"}

    reload = load

    def __getattr__(self, name):
        if name in (
            "content_length",
            "content_type",
            "e_tag",
            "last_modified",
            "metadata",
            "accept_ranges",
            "server_side_encryption",
        ):
            if self._loaded is None:
                self.load()
            return self._loaded[name]
        raise AttributeError(f"'s3.Object' object has no attribute '{name}'")

    def copy_from(self, **kwargs):
        """client.copy_object into this object."""
        return self.meta.client.copy_object(Bucket=self.bucket_name, Key=self.key, **kwargs)

    def copy(self, CopySource, ExtraArgs=None, Callback=None, SourceClient=None, Config=None):
        """Managed copy into this object."""
        return self.meta.client.copy(CopySource, self.bucket_name, self.key, ExtraArgs, Callback, SourceClient, Config)

    def download_file(self, Filename, ExtraArgs=None, Callback=None, Config=None):
        return self.meta.client.download_file(self.bucket_name, self.key, Filename, ExtraArgs, Callback, Config)

    def download_fileobj(self, Fileobj, ExtraArgs=None, Callback=None, Config=None):
        return self.meta.client.download_fileobj(self.bucket_name, self.key, Fileobj, ExtraArgs, Callback, Config)

    def upload_file(self, Filename, ExtraArgs=None, Callback=None, Config=None):
        return self.meta.client.upload_file(Filename, self.bucket_name, self.key, ExtraArgs, Callback, Config)

    def upload_fileobj(self, Fileobj, ExtraArgs=None, Callback=None, Config=None):
        return self.meta.client.upload_fileobj(Fileobj, self.bucket_name, self.key, ExtraArgs, Callback, Config)

    def Bucket(self):
        return Bucket(self.meta.client, self.bucket_name)


class ObjectSummary:
    """An entry of `bucket.objects`: key, size, e_tag, last_modified, storage_class."""

    def __init__(self, client, bucket_name, entry):
        self.meta = _Meta(client, entry)
        self.bucket_name = bucket_name
        self.key = entry["Key"]
        self.size = entry["Size"]
        self.e_tag = entry["ETag"]
        self.last_modified = entry["LastModified"]
        self.storage_class = entry.get("StorageClass", "STANDARD")

    def __repr__(self):
        return f"s3.ObjectSummary(bucket_name={self.bucket_name!r}, key={self.key!r})"

    def Object(self):
        return Object(self.meta.client, self.bucket_name, self.key)

    def get(self, **kwargs):
        return self.meta.client.get_object(Bucket=self.bucket_name, Key=self.key, **kwargs)

    def put(self, **kwargs):
        return self.meta.client.put_object(Bucket=self.bucket_name, Key=self.key, **kwargs)

    def delete(self, **kwargs):
        return self.meta.client.delete_object(Bucket=self.bucket_name, Key=self.key, **kwargs)


class ObjectCollection:
    """`bucket.objects`: `all()`, `filter(Prefix=...)`, `limit(n)`, `page_size(n)`,
    `pages()`, `delete()`; iterating lists lazily, page by page."""

    def __init__(self, client, bucket_name, params=None, limit=None, page_size=None):
        self._client = client
        self._bucket = bucket_name
        self._params = dict(params or {})
        self._limit = limit
        self._page_size = page_size

    def _copy(self, **changes):
        state = {"params": self._params, "limit": self._limit, "page_size": self._page_size}
        state.update(changes)
        return ObjectCollection(self._client, self._bucket, **state)

    def all(self):
        return self._copy()

    def filter(self, **kwargs):
        return self._copy(params={**self._params, **kwargs})

    def limit(self, count):
        return self._copy(limit=count)

    def page_size(self, count):
        return self._copy(page_size=count)

    def pages(self):
        """Lists of ObjectSummary, one per list_objects_v2 call."""
        params = dict(self._params)
        if self._page_size is not None:
            params["MaxKeys"] = self._page_size
        left = self._limit
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, **params):
            items = [ObjectSummary(self._client, self._bucket, e) for e in page.get("Contents", [])]
            if left is not None:
                items = items[:left]
                left -= len(items)
            yield items
            if left is not None and left <= 0:
                return

    def __iter__(self):
        for page in self.pages():
            yield from page

    def delete(self):
        """Delete every object in the collection; the delete_objects responses."""
        responses = []
        for page in self.pages():
            if page:
                responses.append(
                    self._client.delete_objects(Bucket=self._bucket, Delete={"Objects": [{"Key": o.key} for o in page]})
                )
        return responses


class Bucket:
    """`s3.Bucket(name)`: objects, Object, put_object and the transfer helpers."""

    def __init__(self, client, name):
        self.meta = _Meta(client)
        self.name = name
        self.objects = ObjectCollection(client, name)

    def __repr__(self):
        return f"s3.Bucket(name={self.name!r})"

    def Object(self, key):
        return Object(self.meta.client, self.name, key)

    def put_object(self, **kwargs):
        """client.put_object into this bucket; the new Object."""
        self.meta.client.put_object(Bucket=self.name, **kwargs)
        return Object(self.meta.client, self.name, kwargs["Key"])

    def delete_objects(self, **kwargs):
        return self.meta.client.delete_objects(Bucket=self.name, **kwargs)

    def copy(self, CopySource, Key, ExtraArgs=None, Callback=None, SourceClient=None, Config=None):
        return self.meta.client.copy(CopySource, self.name, Key, ExtraArgs, Callback, SourceClient, Config)

    def download_file(self, Key, Filename, ExtraArgs=None, Callback=None, Config=None):
        return self.meta.client.download_file(self.name, Key, Filename, ExtraArgs, Callback, Config)

    def download_fileobj(self, Key, Fileobj, ExtraArgs=None, Callback=None, Config=None):
        return self.meta.client.download_fileobj(self.name, Key, Fileobj, ExtraArgs, Callback, Config)

    def upload_file(self, Filename, Key, ExtraArgs=None, Callback=None, Config=None):
        return self.meta.client.upload_file(Filename, self.name, Key, ExtraArgs, Callback, Config)

    def upload_fileobj(self, Fileobj, Key, ExtraArgs=None, Callback=None, Config=None):
        return self.meta.client.upload_fileobj(Fileobj, self.name, Key, ExtraArgs, Callback, Config)


class S3ServiceResource:
    """`boto3.resource("s3")`."""

    def __init__(self, client):
        self.meta = _Meta(client)

    def Object(self, bucket_name, key):
        return Object(self.meta.client, bucket_name, key)

    def ObjectSummary(self, bucket_name, key):
        return ObjectSummary(self.meta.client, bucket_name, {"Key": key, "Size": None, "ETag": None, "LastModified": None})

    def Bucket(self, name):
        return Bucket(self.meta.client, name)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"'s3.ServiceResource' object has no attribute '{name}': fnhost's boto3 s3 resource "
            "supports Object(bucket, key), Bucket(name) (objects.all/filter, put_object, "
            "download_file, upload_file) and meta.client"
        )
