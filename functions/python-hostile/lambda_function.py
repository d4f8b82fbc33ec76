"""Test fixture for the Python runtime; the event's "do" picks the behaviour.

- "raise": raises a ValueError from a helper (an exception with a two-frame trace)
- "loop": never returns (stopped by the timeout)
- "bomb": allocates until the memory cap stops it
- "context": returns the context's fields and how get_remaining_time_in_millis() moves
- "objects": calls fnhost_objects on a bucket the function has no grant for
- "unserializable": returns a value json cannot encode
"""

import os
import time

import fnhost_objects


def check(value):
    if value is None:
        raise ValueError("value is required")
    return value


def lambda_handler(event, context):
    what = event.get("do")
    print(f"python-hostile: {what}")
    if what == "raise":
        return check(event.get("value"))
    if what == "loop":
        while True:
            pass
    if what == "bomb":
        hoard = []
        while True:
            hoard.append(bytearray(8 << 20))
    if what == "context":
        before = context.get_remaining_time_in_millis()
        time.sleep(0.03)
        after = context.get_remaining_time_in_millis()
        return {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "before": before,
            "after": after,
            "greeting": os.environ.get("GREETING"),
        }
    if what == "objects":
        try:
            fnhost_objects.get_object("uploads", "a.txt")
        except fnhost_objects.ObjectError as e:
            return {"error": type(e).__name__, "message": str(e)}
        return {"error": None}
    if what == "unserializable":
        return {"when": object()}
    return {"ok": True}
