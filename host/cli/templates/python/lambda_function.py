"""{{name}}: Lambda's getting-started function in Python. Greets event["name"] (default World).

Run it:    fnhost invoke {{name}} -e events/{{name}}.json
Behind an HTTP route or a function URL the event is API Gateway's, which has no top-level
"name"; the name then comes from the query string (?name=Ada).
"""

import json


def lambda_handler(event, context):
    name = event.get("name")
    if name is None:
        name = (event.get("queryStringParameters") or {}).get("name")
    if name is None:
        name = "World"
    print(f"Hello function invoked for {name}")
    return {
        "statusCode": 200,
        "body": json.dumps({"message": f"Hello, {name}! This is your first AWS Lambda function."}),
    }
