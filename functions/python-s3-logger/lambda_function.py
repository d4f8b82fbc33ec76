"""Logs every object an S3 event notification reports (the Python original of functions/s3-logger).

Response: {"statusCode": 200, "body": B} where B is the JSON text
{"processed": N, "files": [{"bucket": "photos", "key": "2026/red flower.jpg"}, ...]}.
"""

import json
import urllib.parse


def lambda_handler(event, context):
    files = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"], encoding="utf-8")
        print(f"새로운 파일이 감지되었습니다! 버킷: {bucket}, 파일명: {key}")
        files.append({"bucket": bucket, "key": key})
    return {
        "statusCode": 200,
        "body": json.dumps({"processed": len(files), "files": files}, separators=(",", ":"), ensure_ascii=False),
    }
