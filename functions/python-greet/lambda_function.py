"""Greets the caller in Korean from API Gateway query parameters `name` and `age`.

The Python original of functions/greet-query: a missing or null `queryStringParameters` counts
as empty, and the body keeps the Korean text as UTF-8 (ensure_ascii=False).
"""

import json


def param(params, key, default):
    """A query parameter as text; API Gateway sends strings, direct invokes may send numbers."""
    value = params.get(key)
    if value is None:
        return default
    return value if isinstance(value, str) else json.dumps(value)


def lambda_handler(event, context):
    params = event.get("queryStringParameters") or {}
    name = param(params, "name", "Guest")
    age = param(params, "age", "unknown")
    message = f"안녕하세요 {name}님! 당신의 나이는 {age}세이군요."
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json; charset=utf-8"},
        "body": json.dumps({"message": message}, ensure_ascii=False),
    }
