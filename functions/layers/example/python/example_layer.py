"""A layer file: functions that list `layers = ["example"]` see it at /opt/python/example_layer.py."""

GREETING = "hello from the example layer"
