"""`client.get_paginator("list_objects_v2" | "list_objects")`, as botocore's paginators."""

from botocore.exceptions import OperationNotPageableError

from fnhost_aws import supported

# operation: (input token, output token, page size parameter, result keys)
_PAGINATED = {
    "list_objects_v2": ("ContinuationToken", "NextContinuationToken", "MaxKeys", ("Contents", "CommonPrefixes")),
    "list_objects": ("Marker", "NextMarker", "MaxKeys", ("Contents", "CommonPrefixes")),
}


class Paginator:
    """`paginate(**params)` iterates over pages; `PaginationConfig` takes MaxItems, PageSize
    and StartingToken."""

    def __init__(self, client, operation_name):
        if operation_name not in _PAGINATED:
            raise OperationNotPageableError(operation_name=f"{operation_name} (fnhost's boto3 supports {supported()})")
        self._method = getattr(client, operation_name)
        self._operation = operation_name

    def paginate(self, **kwargs):
        """The pages of the operation called with `kwargs`."""
        config = dict(kwargs.pop("PaginationConfig", None) or {})
        return PageIterator(self._method, self._operation, kwargs, config)


class PageIterator:
    """Iterating calls the operation page by page; `build_full_result()` merges them."""

    def __init__(self, method, operation, params, config):
        self._method = method
        self._operation = operation
        self._params = params
        self._max_items = config.get("MaxItems")
        self._page_size = config.get("PageSize")
        self._starting_token = config.get("StartingToken")
        self.resume_token = None

    def __iter__(self):
        input_token, output_token, limit_key, result_keys = _PAGINATED[self._operation]
        params = dict(self._params)
        if self._page_size is not None:
            params[limit_key] = self._page_size
        if self._starting_token is not None:
            params[input_token] = self._starting_token
        remaining = self._max_items
        while True:
            if remaining is not None:
                params[limit_key] = min(params.get(limit_key, 1000), remaining)
            page = self._method(**params)
            count = sum(len(page.get(k, ())) for k in result_keys)
            next_token = page.get(output_token)
            if next_token is None and self._operation == "list_objects" and page.get("IsTruncated"):
                # ListObjects gives NextMarker only with a Delimiter; boto3 then uses the last key.
                next_token = page["Contents"][-1]["Key"]
            if remaining is not None:
                remaining -= count
            yield page
            if not page.get("IsTruncated") or not next_token:
                return
            if remaining is not None and remaining <= 0:
                self.resume_token = next_token
                return
            params[input_token] = next_token

    def build_full_result(self):
        """Every page merged: the result lists concatenated, `NextToken` when MaxItems cut it."""
        _, _, _, result_keys = _PAGINATED[self._operation]
        merged = {}
        for page in self:
            for k in result_keys:
                if k in page:
                    merged.setdefault(k, []).extend(page[k])
        if self.resume_token is not None:
            merged["NextToken"] = self.resume_token
        return merged

    def search(self, expression):
        raise NotImplementedError(
            "fnhost's boto3 has no JMESPath search; iterate over the pages instead "
            "(for page in paginator.paginate(...): page.get('Contents', []))"
        )
