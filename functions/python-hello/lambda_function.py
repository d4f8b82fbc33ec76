"""Lambda's getting-started function in Python: greets event.name (default World)."""

import json


def lambda_handler(event, context):
    name = event.get("name", "World")
    print(f"Hello function invoked for {name}")
    return {
        "statusCode": 200,
        "body": json.dumps({"message": f"Hello, {name}! This is your first AWS Lambda function."}),
    }
