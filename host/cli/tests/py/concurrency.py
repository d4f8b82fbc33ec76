"""boto3 end to end: reserved concurrency of an uploaded function (PutFunctionConcurrency,
GetFunctionConcurrency, DeleteFunctionConcurrency), as the web console's Configuration tab
edits it.

The host runs with --max-concurrency 10 and --queue-timeout-ms 100; fnhost.toml declares
`sleepy` (hostile-sleep) with reserved_concurrency = 2. FNHOST_TEST_PHASE is `first`, then
`restarted` against the same state after a restart: the reservation the first phase leaves
(1 on cc-sleep) must be back, and hold.
"""

import json
import os
import threading
import time

import botocore.exceptions

from common import client, create, done, expect_error, guest

PHASE = os.environ["FNHOST_TEST_PHASE"]
MAX = 10
MANIFEST_RESERVED = 2

c = client()


def unreserved():
    return c.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]


def invoke(function, ms):
    """Invoke hostile-sleep for `ms`; returns the throttle's Reason, or None when it ran."""
    try:
        r = client().invoke(FunctionName=function, Payload=json.dumps({"ms": ms}))
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "TooManyRequestsException", e.response
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 429, e.response
        return e.response["Reason"]
    assert r["StatusCode"] == 200 and "FunctionError" not in r, r
    assert json.loads(r["Payload"].read()) == {"sleptMs": ms}
    return None


def while_one_runs(holder_function, probe_function):
    """Run `holder_function` for 3 s and invoke `probe_function` meanwhile, until a probe is
    throttled or the holder is done. Returns the probes' outcomes and the holder's."""
    held = {}

    def hold():
        held["reason"] = invoke(holder_function, 3000)

    holder = threading.Thread(target=hold)
    holder.start()
    probes = []
    while holder.is_alive():
        reason = invoke(probe_function, 1)
        probes.append(reason)
        if reason is not None:
            break
        time.sleep(0.05)
    holder.join()
    return probes, held["reason"]


if PHASE == "first":
    create(c, "cc-sleep", guest("hostile-sleep"), Timeout=10)
    c.get_waiter("function_active_v2").wait(FunctionName="cc-sleep", WaiterConfig={"Delay": 1})
    assert c.publish_version(FunctionName="cc-sleep")["Version"] == "1"
    c.create_alias(FunctionName="cc-sleep", Name="live", FunctionVersion="1")

    # None yet: GetFunctionConcurrency answers {} and GetFunction has no Concurrency.
    got = c.get_function_concurrency(FunctionName="cc-sleep")
    assert "ReservedConcurrentExecutions" not in got, got
    assert "Concurrency" not in c.get_function(FunctionName="cc-sleep"), "no reservation yet"
    assert unreserved() == MAX - MANIFEST_RESERVED

    # Reserve 1: one invocation at a time over the whole function, versions and aliases
    # included. The holder runs version 1 through the alias, the probes run $LATEST.
    r = c.put_function_concurrency(FunctionName="cc-sleep", ReservedConcurrentExecutions=1)
    assert r["ReservedConcurrentExecutions"] == 1, r
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200, r
    assert c.get_function_concurrency(FunctionName="cc-sleep")["ReservedConcurrentExecutions"] == 1
    shown = c.get_function(FunctionName="cc-sleep")
    assert shown["Concurrency"] == {"ReservedConcurrentExecutions": 1}, shown
    assert unreserved() == MAX - MANIFEST_RESERVED - 1
    probes, holder = while_one_runs("cc-sleep:live", "cc-sleep")
    assert holder is None, "the holder ran"
    assert probes[-1] == "ReservedFunctionConcurrentInvocationLimitExceeded", probes
    print(f"ok  reserved 1: throttled after {len(probes)} probe(s)")

    # Delete: back on the shared gate, both run at once.
    r = c.delete_function_concurrency(FunctionName="cc-sleep")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204, r
    got = c.get_function_concurrency(FunctionName="cc-sleep")
    assert "ReservedConcurrentExecutions" not in got, got
    assert "Concurrency" not in c.get_function(FunctionName="cc-sleep")
    assert unreserved() == MAX - MANIFEST_RESERVED
    probes, holder = while_one_runs("cc-sleep:live", "cc-sleep")
    assert holder is None and all(p is None for p in probes), probes
    # Deleting what is not there is no error either (Lambda's 204).
    c.delete_function_concurrency(FunctionName="cc-sleep")

    # 0 stops the function: every invocation throttled at once, whatever the version.
    c.put_function_concurrency(FunctionName="cc-sleep", ReservedConcurrentExecutions=0)
    assert c.get_function_concurrency(FunctionName="cc-sleep")["ReservedConcurrentExecutions"] == 0
    for function in ["cc-sleep", "cc-sleep:1", "cc-sleep:live", "cc-sleep"]:
        r = expect_error("TooManyRequestsException", 429, c.invoke, FunctionName=function, Payload=b'{"ms": 1}')
        assert r["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded", r
    assert unreserved() == MAX - MANIFEST_RESERVED

    # What the host can reserve: 10 slots, 2 for the manifest, 1 kept unreserved.
    r = expect_error(
        "InvalidParameterValueException", 400,
        c.put_function_concurrency, FunctionName="cc-sleep", ReservedConcurrentExecutions=MAX - MANIFEST_RESERVED,
    )
    assert r["Error"]["Message"].startswith(
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [1]."
    ), r
    assert c.get_function_concurrency(FunctionName="cc-sleep")["ReservedConcurrentExecutions"] == 0
    c.put_function_concurrency(FunctionName="cc-sleep", ReservedConcurrentExecutions=MAX - MANIFEST_RESERVED - 1)
    assert unreserved() == 1
    # A second function finds nothing left to reserve.
    create(c, "cc-other", guest("hostile-sleep"))
    c.get_waiter("function_active_v2").wait(FunctionName="cc-other", WaiterConfig={"Delay": 1})
    expect_error(
        "InvalidParameterValueException", 400,
        c.put_function_concurrency, FunctionName="cc-other", ReservedConcurrentExecutions=1,
    )
    c.put_function_concurrency(FunctionName="cc-other", ReservedConcurrentExecutions=0)
    c.put_function_concurrency(FunctionName="cc-sleep", ReservedConcurrentExecutions=3)
    c.put_function_concurrency(FunctionName="cc-other", ReservedConcurrentExecutions=2)
    assert unreserved() == MAX - MANIFEST_RESERVED - 5

    # Deleting the function deletes its reservation: a new function of that name has none.
    c.delete_function(FunctionName="cc-other")
    assert unreserved() == MAX - MANIFEST_RESERVED - 3
    create(c, "cc-other", guest("hostile-sleep"))
    got = c.get_function_concurrency(FunctionName="cc-other")
    assert "ReservedConcurrentExecutions" not in got, got

    # Functions of fnhost.toml take theirs from reserved_concurrency, shown but not changed.
    r = expect_error(
        "ResourceConflictException", 409,
        c.put_function_concurrency, FunctionName="sleepy", ReservedConcurrentExecutions=1,
    )
    assert "reserved_concurrency" in r["Error"]["Message"] and "fnhost.toml" in r["Error"]["Message"], r
    expect_error("ResourceConflictException", 409, c.delete_function_concurrency, FunctionName="sleepy")
    assert c.get_function_concurrency(FunctionName="sleepy")["ReservedConcurrentExecutions"] == MANIFEST_RESERVED

    # Unknown functions, versions and aliases.
    for call, extra in [
        (c.put_function_concurrency, {"ReservedConcurrentExecutions": 1}),
        (c.get_function_concurrency, {}),
        (c.delete_function_concurrency, {}),
    ]:
        expect_error("ResourceNotFoundException", 404, call, FunctionName="cc-missing", **extra)
        r = expect_error("ValidationException", 400, call, FunctionName="cc-sleep:1", **extra)
        assert "functionName" in r["Error"]["Message"], r

    # Leave 1 reserved for the restart.
    c.put_function_concurrency(
        FunctionName="arn:aws:lambda:us-east-1:000000000000:function:cc-sleep", ReservedConcurrentExecutions=1
    )
elif PHASE == "restarted":
    assert c.get_function_concurrency(FunctionName="cc-sleep")["ReservedConcurrentExecutions"] == 1
    assert c.get_function(FunctionName="cc-sleep")["Concurrency"] == {"ReservedConcurrentExecutions": 1}
    assert "ReservedConcurrentExecutions" not in c.get_function_concurrency(FunctionName="cc-other")
    assert unreserved() == MAX - MANIFEST_RESERVED - 1
    probes, holder = while_one_runs("cc-sleep:live", "cc-sleep")
    assert holder is None, "the holder ran"
    assert probes[-1] == "ReservedFunctionConcurrentInvocationLimitExceeded", probes
    print(f"ok  restored reservation 1: throttled after {len(probes)} probe(s)")
else:
    raise AssertionError(f"unknown FNHOST_TEST_PHASE {PHASE}")
done()
