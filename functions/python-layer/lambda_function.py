"""Test fixture: a Python function whose module comes from a layer (`layers = ["example"]`).

`example_layer` is not in this directory: packaging finds it under the layer's `python/`, as
Lambda's runtime finds it under `/opt/python`.
"""

import example_layer


def lambda_handler(event, context):
    return {"greeting": example_layer.GREETING, "file": example_layer.__file__}
