"""boto3 end to end: aliases of uploaded functions. Versions 1 and 2, an alias with
AdditionalVersionWeights {"2": 0.1} over 2,000 invocations, each response's context naming the
version that ran, every error row of Lambda's alias table, UpdateAlias moving the alias,
ListAliases paging, GetFunction through an alias, DeleteAlias, calls from another function.

FNHOST_TEST_PHASE=restart checks, after the host restarted, that the aliases are still there
and still route, then that deleting a function deletes its aliases."""

import base64
import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

from common import client, create, done, expect_error, fnhost, guest, wait_for, zip_of

c = client(max_pool_connections=16)
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"
PHASE = os.environ.get("FNHOST_TEST_PHASE", "main")


def updated(name):
    c.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})


def two_versions(name, wasm, **extra):
    """Create `name` and publish versions 1 and 2 (which differ in their description)."""
    create(c, name, zip_of({"fn.wasm": wasm}), Description="one", **extra)
    c.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
    assert c.publish_version(FunctionName=name)["Version"] == "1"
    c.update_function_configuration(FunctionName=name, Description="two")
    updated(name)
    assert c.publish_version(FunctionName=name)["Version"] == "2"


def expect_message(code, status, text, call, *args, **kwargs):
    got = expect_error(code, status, call, *args, **kwargs)["Error"]["Message"]
    assert got == text, f"message {got!r}, expected {text!r}"


if PHASE == "main":
    two_versions("alias-hello", guest("hello"))
    two_versions("alias-ctx", guest("context-echo"))

    # --- CreateAlias and its shape.
    live = c.create_alias(
        FunctionName="alias-hello",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
    )
    assert live["ResponseMetadata"]["HTTPStatusCode"] == 201, live
    assert live["AliasArn"] == ARN + "alias-hello:live", live
    assert (live["Name"], live["FunctionVersion"], live["Description"]) == ("live", "1", ""), live
    assert live["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.1}}, live
    assert len(live["RevisionId"]) == 36, live
    got = c.get_alias(FunctionName="alias-hello", Name="live")
    assert got["RevisionId"] == live["RevisionId"] and got["RoutingConfig"] == live["RoutingConfig"], got
    plain = c.create_alias(FunctionName=ARN + "alias-hello", Name="2024-01-02", FunctionVersion="$LATEST")
    assert "RoutingConfig" not in plain and plain["FunctionVersion"] == "$LATEST", plain

    # --- 2,000 invocations through the alias: 10 % ± 3 % run version 2. The three ways to
    # name an alias take turns.
    forms = [
        dict(FunctionName="alias-hello", Qualifier="live"),
        dict(FunctionName="alias-hello:live"),
        dict(FunctionName=ARN + "alias-hello:live"),
    ]

    def run(i):
        r = c.invoke(Payload=json.dumps({"name": f"n{i}"}), **forms[i % 3])
        assert r["StatusCode"] == 200 and "FunctionError" not in r, r
        body = json.loads(r["Payload"].read())
        assert f"Hello, n{i}!" in body["body"], body
        return r["ExecutedVersion"]

    with ThreadPoolExecutor(8) as pool:
        ran = list(pool.map(run, range(2000)))
    assert set(ran) == {"1", "2"}, set(ran)
    share = ran.count("2") / len(ran)
    print(f"version 2 ran {ran.count('2')} of {len(ran)} invocations ({share:.1%})")
    assert 0.07 <= share <= 0.13, share
    # Unqualified and version invocations name their version too.
    assert c.invoke(FunctionName="alias-hello")["ExecutedVersion"] == "$LATEST"
    assert c.invoke(FunctionName="alias-hello", Qualifier="1")["ExecutedVersion"] == "1"
    assert c.invoke(FunctionName="alias-hello:2024-01-02")["ExecutedVersion"] == "$LATEST"

    # --- Each response's context names the version that ran and the alias ARN it was invoked by;
    # the log's START line shows the version.
    c.create_alias(
        FunctionName="alias-ctx",
        Name="canary",
        FunctionVersion="1",
        Description="half and half",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )

    def ctx(i):
        r = c.invoke(FunctionName="alias-ctx", Qualifier="canary", Payload=b"{}", LogType="Tail")
        payload = json.loads(r["Payload"].read())
        version = r["ExecutedVersion"]
        assert payload["functionVersion"] == version, (payload, version)
        assert payload["invokedFunctionArn"] == ARN + "alias-ctx:canary", payload
        assert payload["functionName"] == "alias-ctx", payload
        log = base64.b64decode(r["LogResult"]).decode()
        assert log.startswith(f"START RequestId: {payload['requestId']} Version: {version}\n"), log
        return version

    with ThreadPoolExecutor(4) as pool:
        versions = list(pool.map(ctx, range(100)))
    assert set(versions) == {"1", "2"}, versions
    # The stored invocation records carry the version that ran.
    starts = fnhost("logs", "alias-ctx", "--filter", "START RequestId")
    assert "Version: 1" in starts and "Version: 2" in starts, starts

    # --- Functions calling functions through an alias.
    create(
        c,
        "alias-caller",
        zip_of({"fn.wasm": guest("invoke-probe")}),
        Tags={"fnhost:invoke": "alias-ctx"},
    )
    c.get_waiter("function_active_v2").wait(FunctionName="alias-caller", WaiterConfig={"Delay": 1})
    for _ in range(10):
        r = c.invoke(
            FunctionName="alias-caller",
            Payload=json.dumps({"call": "alias-ctx", "qualifier": "canary", "type": "RequestResponse", "payload": {}}),
        )
        answer = json.loads(r["Payload"].read())
        assert answer["status"] == 200, answer
        inner = answer["payload"]
        inner = json.loads(inner) if isinstance(inner, str) else inner
        assert answer["executedVersion"] in ("1", "2"), answer
        assert inner["functionVersion"] == answer["executedVersion"], answer
        assert inner["invokedFunctionArn"] == ARN + "alias-ctx:canary", answer
    r = c.invoke(
        FunctionName="alias-caller",
        Payload=json.dumps({"call": "alias-ctx", "qualifier": "nope", "type": "RequestResponse", "payload": {}}),
    )
    answer = json.loads(r["Payload"].read())
    assert answer["error"] == "ResourceNotFoundException", answer
    assert ARN + "alias-ctx:nope" in answer["message"], answer

    # --- Every error row of Lambda's alias table.
    def create_alias(name="x", version="1", weights=None, function="alias-hello"):
        args = dict(FunctionName=function, Name=name, FunctionVersion=version)
        if weights is not None:
            args["RoutingConfig"] = {"AdditionalVersionWeights": weights}
        return c.create_alias(**args)

    expect_message(
        "InvalidParameterValueException", 400,
        "Number of items in AdditionalVersionWeights cannot be greater than 1",
        create_alias, weights={"2": 0.1, "3": 0.1},
    )
    expect_message(
        "ValidationException", 400,
        "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]",
        create_alias, weights={"2": 2.0},
    )
    expect_message(
        "InvalidParameterValueException", 400,
        "Invalid function version 1. Function version 1 is already included in routing configuration.",
        create_alias, weights={"1": 0.5},
    )
    expect_message(
        "InvalidParameterValueException", 400,
        "$LATEST is not supported for an alias pointing to more than 1 version",
        create_alias, version="$LATEST", weights={"2": 0.5},
    )
    expect_message(
        "ResourceNotFoundException", 404, f"Function not found: {ARN}alias-hello:9",
        create_alias, version="9",
    )
    expect_message(
        "ResourceNotFoundException", 404, f"Function not found: {ARN}alias-hello:7",
        create_alias, weights={"7": 0.5},
    )
    expect_message(
        "ResourceNotFoundException", 404, f"Function not found: {ARN}alias-hello:nope",
        c.invoke, FunctionName="alias-hello", Qualifier="nope",
    )
    expect_message(
        "ResourceNotFoundException", 404, f"Function not found: {ARN}alias-hello:nope",
        c.get_function, FunctionName="alias-hello:nope",
    )
    expect_message(
        "ResourceNotFoundException", 404, f"Function not found: {ARN}no-such-function",
        create_alias, function="no-such-function",
    )
    expect_message(
        "ResourceConflictException", 409, f"Alias already exists: {ARN}alias-hello:live",
        create_alias, name="live",
    )
    expect_message(
        "ResourceNotFoundException", 404, f"Cannot find alias arn: {ARN}alias-hello:nope",
        c.get_alias, FunctionName="alias-hello", Name="nope",
    )
    expect_message(
        "ResourceNotFoundException", 404, f"Alias not found: {ARN}alias-hello:nope",
        c.update_alias, FunctionName="alias-hello", Name="nope", FunctionVersion="1",
    )
    r = c.delete_alias(FunctionName="alias-hello", Name="nope")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204, r
    expect_message(
        "ValidationException", 400,
        "1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
        create_alias, name="2024",
    )
    expect_error("ValidationException", 400, create_alias, version="latest")
    # Versions an alias uses cannot be deleted; DeleteFunction does not delete aliases.
    for version in ["1", "2"]:
        expect_message(
            "ResourceConflictException", 409,
            "Unable to delete version because the following aliases reference it: [live]",
            c.delete_function, FunctionName="alias-hello", Qualifier=version,
        )
    expect_message(
        "InvalidParameterValueException", 400, "Deletion of aliases is not currently supported.",
        c.delete_function, FunctionName="alias-hello", Qualifier="live",
    )
    # Functions of fnhost.toml have no versions, so no aliases.
    err = expect_error("ResourceConflictException", 409, create_alias, function="hello", version="$LATEST")
    assert "fnhost.toml" in err["Error"]["Message"], err
    assert c.list_aliases(FunctionName="hello")["Aliases"] == []

    # --- UpdateAlias: a stale RevisionId is refused, then the alias moves to version 2 alone.
    expect_message(
        "PreconditionFailedException", 412,
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
        c.update_alias, FunctionName="alias-hello", Name="live", FunctionVersion="2", RevisionId="stale",
    )
    expect_message(
        "InvalidParameterValueException", 400,
        "Invalid function version 2. Function version 2 is already included in routing configuration.",
        c.update_alias, FunctionName="alias-hello", Name="live", FunctionVersion="2",
    )
    moved = c.update_alias(
        FunctionName="alias-hello",
        Name="live",
        FunctionVersion="2",
        Description="all on 2",
        RoutingConfig={"AdditionalVersionWeights": {}},
        RevisionId=live["RevisionId"],
    )
    assert moved["FunctionVersion"] == "2" and moved["Description"] == "all on 2", moved
    assert "RoutingConfig" not in moved and moved["RevisionId"] != live["RevisionId"], moved
    with ThreadPoolExecutor(4) as pool:
        ran = list(pool.map(lambda i: c.invoke(FunctionName="alias-hello:live")["ExecutedVersion"], range(40)))
    assert set(ran) == {"2"}, ran
    # An Event invocation through the alias is queued under it and runs version 2.
    marker = "ev-" + uuid.uuid4().hex[:8]
    r = c.invoke(FunctionName="alias-hello", Qualifier="live", InvocationType="Event", Payload=json.dumps({"name": marker}))
    assert r["StatusCode"] == 202, r
    ran = wait_for(
        "the Event invocation through the alias in `fnhost logs`",
        lambda: [json.loads(line) for line in fnhost("logs", "alias-hello", "--json", "--filter", marker).splitlines()],
    )
    request_id = ran[0]["requestId"]
    start = [json.loads(line)["line"] for line in fnhost("logs", "alias-hello", "--json", "--filter", request_id).splitlines()]
    assert f"START RequestId: {request_id} Version: 2" in start, start
    # Only the description changes; the rest stays.
    described = c.update_alias(FunctionName="alias-hello", Name="live", Description="still 2")
    assert described["FunctionVersion"] == "2" and described["Description"] == "still 2", described

    # --- GetFunction / GetFunctionConfiguration through the alias.
    conf = c.get_function(FunctionName="alias-hello", Qualifier="live")["Configuration"]
    assert conf["FunctionArn"] == ARN + "alias-hello:live" and conf["Version"] == "2", conf
    assert conf["Description"] == "two", conf
    conf = c.get_function_configuration(FunctionName=ARN + "alias-hello:live")
    assert conf["FunctionArn"] == ARN + "alias-hello:live" and conf["Version"] == "2", conf

    # --- ListAliases: sorted by name, in pages, filtered by version.
    for i in range(5):
        c.create_alias(FunctionName="alias-hello", Name=f"page-{i}", FunctionVersion="1")
    names, marker, pages = [], None, 0
    while True:
        args = dict(FunctionName="alias-hello", MaxItems=2)
        if marker:
            args["Marker"] = marker
        page = c.list_aliases(**args)
        pages += 1
        assert len(page["Aliases"]) <= 2, page
        names += [a["Name"] for a in page["Aliases"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    expected = ["2024-01-02", "live", "page-0", "page-1", "page-2", "page-3", "page-4"]
    assert names == expected and pages == 4, (names, pages)
    on_one = c.list_aliases(FunctionName="alias-hello", FunctionVersion="1")["Aliases"]
    assert [a["Name"] for a in on_one] == [f"page-{i}" for i in range(5)], on_one
    on_two = c.list_aliases(FunctionName="alias-hello", FunctionVersion="2")["Aliases"]
    assert [a["Name"] for a in on_two] == ["live"], on_two
    # The canary's additional version counts as a use of version 2.
    assert [a["Name"] for a in c.list_aliases(FunctionName="alias-ctx", FunctionVersion="2")["Aliases"]] == ["canary"]

    # --- DeleteAlias: 204, gone, and 204 again.
    assert c.delete_alias(FunctionName="alias-hello", Name="page-4")["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error("ResourceNotFoundException", 404, c.get_alias, FunctionName="alias-hello", Name="page-4")
    expect_error("ResourceNotFoundException", 404, c.invoke, FunctionName="alias-hello:page-4")
    assert c.delete_alias(FunctionName="alias-hello", Name="page-4")["ResponseMetadata"]["HTTPStatusCode"] == 204

elif PHASE == "restart":
    # The aliases survived the restart, with their revisions, and still route.
    live = c.get_alias(FunctionName="alias-hello", Name="live")
    assert live["FunctionVersion"] == "2" and live["Description"] == "still 2", live
    names = [a["Name"] for a in c.list_aliases(FunctionName="alias-hello")["Aliases"]]
    assert names == ["2024-01-02", "live", "page-0", "page-1", "page-2", "page-3"], names
    assert c.invoke(FunctionName="alias-hello", Qualifier="live")["ExecutedVersion"] == "2"
    assert c.invoke(FunctionName="alias-hello", Qualifier="page-0")["ExecutedVersion"] == "1"
    ran = {c.invoke(FunctionName="alias-ctx:canary")["ExecutedVersion"] for _ in range(40)}
    assert ran == {"1", "2"}, ran

    # Deleting the function deletes its aliases: a new function of the same name has none.
    c.delete_function(FunctionName="alias-ctx")
    expect_error("ResourceNotFoundException", 404, c.invoke, FunctionName="alias-ctx:canary")
    create(c, "alias-ctx", zip_of({"fn.wasm": guest("context-echo")}))
    c.get_waiter("function_active_v2").wait(FunctionName="alias-ctx", WaiterConfig={"Delay": 1})
    assert c.list_aliases(FunctionName="alias-ctx")["Aliases"] == []
    expect_error("ResourceNotFoundException", 404, c.invoke, FunctionName="alias-ctx:canary")

done()
