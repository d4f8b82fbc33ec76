//! Functions calling functions through the host (`functions.invoke`) and server-side copies
//! (`objects.copy-object`), end to end: the real `fnhost up`, the `invoke-probe` fixture as the
//! caller (it answers each call's response or error code), invoked through the Lambda API.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::fs_events::probes;
use crate::up::{Server, client, create_function as create, function, metrics};

/// `POST /2015-03-31/functions/NAME/invocations` on the admin listener: the status and the
/// body as JSON.
async fn invoke(admin: SocketAddr, name: &str, event: &Value) -> (u16, Value) {
    let (status, _, body) = crate::up::invoke_api(admin, name, event).await;
    (status, body)
}

/// Invocations per (function, trigger), from `/metrics`.
async fn by_trigger(admin: SocketAddr) -> BTreeMap<(String, String), u64> {
    metrics(admin)
        .await
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("fnhost_trigger_invocations_total{function=\"")?;
            let (function, rest) = rest.split_once("\",trigger=\"")?;
            let (trigger, n) = rest.split_once("\"} ")?;
            Some(((function.to_owned(), trigger.to_owned()), n.parse().ok()?))
        })
        .collect()
}

/// Poll `/metrics` until `function` has run `n` times by `trigger`.
async fn wait_runs(server: &Server, function: &str, trigger: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = by_trigger(server.admin).await;
        let runs = seen
            .get(&(function.to_owned(), trigger.to_owned()))
            .copied()
            .unwrap_or(0);
        if runs >= n {
            assert_eq!(runs, n, "{function} ran too often by {trigger}: {seen:?}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{function} ran {runs} of {n} times by {trigger}: {seen:?}\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn probe(name: &str, extra: &str) -> String {
    function(name, "invoke-probe", extra)
}

#[tokio::test]
async fn a_rust_function_calls_another_sync_as_an_event_and_dry_run() {
    let functions = probe("caller", "invoke = [\"callee\", \"hello\"]") + &probe("callee", "");
    let server = Server::start(&(functions + &function("hello", "hello", "")), &["-q"]);

    // RequestResponse: the callee's answer comes back, with its version and log tail.
    let (status, r) = invoke(
        server.admin,
        "caller",
        &json!({"call": "hello", "payload": {"name": "Ada"}, "tail": true}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["status"], 200, "{r}");
    let greeting = r["payload"]["body"].as_str().unwrap();
    assert!(greeting.contains("Hello, Ada!"), "{r}");
    assert_eq!(r["executedVersion"], "$LATEST");
    assert!(r["functionError"].is_null(), "{r}");
    let tail = base64::engine::general_purpose::STANDARD
        .decode(r["logResult"].as_str().unwrap())
        .unwrap();
    let tail = String::from_utf8(tail).unwrap();
    assert!(tail.contains("REPORT RequestId:"), "{tail}");
    // By ARN and qualifier too.
    let (_, r) = invoke(
        server.admin,
        "caller",
        &json!({
            "call": "arn:aws:lambda:us-east-1:000000000000:function:callee",
            "qualifier": "$LATEST",
            "payload": {"echo": [1, 2]},
        }),
    )
    .await;
    assert_eq!(r["payload"], json!({"echo": [1, 2]}), "{r}");
    wait_runs(&server, "hello", "invoke", 1).await;
    wait_runs(&server, "callee", "invoke", 1).await;

    // Event: 202 at once; the host's queue runs it (as the Lambda API's Event does).
    let (_, r) = invoke(
        server.admin,
        "caller",
        &json!({"call": "callee", "type": "Event", "payload": {"queued": true}}),
    )
    .await;
    assert_eq!(r["status"], 202, "{r}");
    assert_eq!(r["payload"], "", "{r}");
    wait_runs(&server, "callee", "api-event", 1).await;

    // DryRun: checked, not run.
    let (_, r) = invoke(
        server.admin,
        "caller",
        &json!({"call": "hello", "type": "DryRun"}),
    )
    .await;
    assert_eq!(r["status"], 204, "{r}");
    let (_, r) = invoke(
        server.admin,
        "caller",
        &json!({"call": "callee", "type": "DryRun"}),
    )
    .await;
    assert_eq!(r["status"], 204, "{r}");
    let seen = by_trigger(server.admin).await;
    assert_eq!(
        seen[&("hello".to_owned(), "invoke".to_owned())],
        1,
        "{seen:?}"
    );
    assert_eq!(
        seen[&("callee".to_owned(), "invoke".to_owned())],
        1,
        "{seen:?}"
    );

    // A callee's failure is its payload, flagged as Lambda flags it.
    let (_, r) = invoke(
        server.admin,
        "caller",
        &json!({"call": "callee", "payload": "not json"}),
    )
    .await;
    assert_eq!(r["error"], "InvalidParameterValueException", "{r}");
}

#[tokio::test]
async fn calls_need_a_grant_and_a_callee() {
    let functions = probe("caller", "invoke = [\"callee\", \"ghost\"]")
        + &probe("callee", "")
        + &probe("loner", "")
        + &function("hello", "hello", "");
    let server = Server::start(&functions, &["-q"]);
    for kind in ["RequestResponse", "Event", "DryRun"] {
        let (status, r) = invoke(
            server.admin,
            "caller",
            &json!({"call": "hello", "type": kind, "payload": {}}),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(r["error"], "AccessDeniedException", "{kind}: {r}");
        assert_eq!(
            r["message"],
            "function `caller` is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:hello; add `invoke = [\"callee\", \"ghost\", \"hello\"]` to [function.caller] in fnhost.toml",
            "{kind}"
        );
    }
    // No grant at all.
    let (_, r) = invoke(server.admin, "loner", &json!({"call": "callee"})).await;
    assert_eq!(r["error"], "AccessDeniedException", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .ends_with("add `invoke = [\"callee\"]` to [function.loner] in fnhost.toml"),
        "{r}"
    );
    // Granted but not deployed, and a version that does not exist.
    let (_, r) = invoke(server.admin, "caller", &json!({"call": "ghost"})).await;
    assert_eq!(r["error"], "ResourceNotFoundException", "{r}");
    assert_eq!(
        r["message"],
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:ghost"
    );
    let (_, r) = invoke(server.admin, "caller", &json!({"call": "callee:7"})).await;
    assert_eq!(r["error"], "ResourceNotFoundException", "{r}");
    // A name that is not one.
    let (_, r) = invoke(server.admin, "caller", &json!({"call": "../etc"})).await;
    assert_eq!(r["error"], "InvalidParameterValueException", "{r}");
    // Nothing ran but the callers.
    let seen = by_trigger(server.admin).await;
    assert!(
        seen.keys()
            .all(|(f, t)| t == "api" && (f == "caller" || f == "loner")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_self_invoking_chain_stops_at_loop_hops() {
    let functions = format!(
        "[events]\nloop_hops = 4\n\n{}",
        probe("looper", "invoke = [\"looper\"]\ntimeout_s = 30")
    );
    let server = Server::start(&functions, &["-q"]);
    // Synchronous: hops 1, 2 and 3 run; the call that would be hop 4 is refused.
    let (status, r) = invoke(
        server.admin,
        "looper",
        &json!({"recurse": "looper", "depth": 0}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["error"], "RecursiveInvocationException", "{r}");
    assert_eq!(r["stoppedAt"], 3, "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("would be hop 4 of chain"),
        "{r}"
    );
    wait_runs(&server, "looper", "invoke", 3).await;

    // As events: each call is queued one hop further; delivery dead-letters hop 4.
    let (_, r) = invoke(
        server.admin,
        "looper",
        &json!({"call": "looper", "type": "Event", "payload": "$event"}),
    )
    .await;
    assert_eq!(r["status"], 202, "{r}");
    assert!(
        server.await_stderr("stopped a loop", Duration::from_secs(60)),
        "{}",
        server.stderr()
    );
    wait_runs(&server, "looper", "api-event", 3).await;
}

#[tokio::test]
async fn a_callee_never_outlives_its_caller() {
    let functions = probe("caller", "invoke = [\"callee\"]\ntimeout_s = 3")
        + &probe("callee", "timeout_s = 60");
    let server = Server::start(&functions, &["-q"]);
    let (_, r) = invoke(
        server.admin,
        "caller",
        &json!({"call": "callee", "payload": {"remaining": true}}),
    )
    .await;
    assert_eq!(r["status"], 200, "{r}");
    let caller = r["callerRemainingMs"].as_u64().unwrap();
    let callee = r["payload"]["remainingMs"].as_u64().unwrap();
    // The callee's own timeout would leave it ~60 s; its caller had at most 3 s left.
    assert!(caller <= 3000, "{r}");
    assert!(
        callee <= caller,
        "callee {callee} ms > caller {caller} ms: {r}"
    );
    // Invoked directly, the same function has its own timeout.
    let (_, direct) = invoke(server.admin, "callee", &json!({"remaining": true})).await;
    assert!(direct["remainingMs"].as_u64().unwrap() > 3000, "{direct}");
}

#[tokio::test]
async fn a_copy_needs_both_grants_and_fires_object_created_copy() {
    let functions = format!(
        "[bucket.inbox]\npath = \"in\"\n\n[bucket.outbox]\npath = \"out\"\n\n[events]\nquiet_ms = 200\n\n{}{}{}{}",
        probe(
            "copier",
            "objects = { read = [\"inbox\"], write = [\"outbox\"] }"
        ),
        probe("reader", "objects = { read = [\"inbox\", \"outbox\"] }"),
        function(
            "watch",
            "s3-probe",
            "[[function.watch.s3]]\nbucket = \"outbox\"\nevents = [\"s3:ObjectCreated:*\"]\n"
        ),
        function(
            "watch-in",
            "s3-probe",
            "[[function.watch-in.s3]]\nbucket = \"inbox\"\nevents = [\"s3:ObjectCreated:*\"]\n"
        ),
    );
    let server = Server::start_with_dirs(&functions, &["in", "out"], &[]);
    std::fs::write(server.dir.path().join("in/photo.txt"), "hello copy").unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !probes(&server.stdout())
        .iter()
        .any(|p| p.key == "photo.txt")
    {
        assert!(Instant::now() < deadline, "{}", server.stdout());
        tokio::time::sleep(Duration::from_millis(25)).await;
    }

    // No write grant on `out`: refused, naming the grant.
    let (_, r) = invoke(
        server.admin,
        "reader",
        &json!({"copy": ["inbox", "photo.txt", "outbox", "copy.txt"]}),
    )
    .await;
    assert_eq!(r["error"], "AccessDenied", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("no write access to bucket `outbox`"),
        "{r}"
    );
    // No read grant on the source (`out`).
    let (_, r) = invoke(
        server.admin,
        "copier",
        &json!({"copy": ["outbox", "x.txt", "outbox", "copy.txt"]}),
    )
    .await;
    assert_eq!(r["error"], "AccessDenied", "{r}");
    assert!(!server.dir.path().join("out/copy.txt").exists());

    let (_, r) = invoke(
        server.admin,
        "copier",
        &json!({"copy": ["inbox", "photo.txt", "outbox", "sub/copy.txt"]}),
    )
    .await;
    assert_eq!(r["key"], "sub/copy.txt", "{r}");
    assert_eq!(r["size"], 10, "{r}");
    assert_eq!(
        std::fs::read_to_string(server.dir.path().join("out/sub/copy.txt")).unwrap(),
        "hello copy"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let seen = loop {
        let seen: Vec<_> = probes(&server.stdout())
            .into_iter()
            .filter(|p| p.function == "watch")
            .collect();
        if !seen.is_empty() {
            break seen;
        }
        assert!(Instant::now() < deadline, "{}", server.stdout());
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(seen[0].event, "ObjectCreated:Copy");
    assert_eq!(
        (seen[0].bucket.as_str(), seen[0].key.as_str()),
        ("outbox", "sub/copy.txt")
    );
    assert_eq!(seen[0].etag, r["etag"].as_str().unwrap());
}

#[tokio::test]
async fn an_uploaded_function_calls_with_its_tag_grants() {
    let server = Server::start(&function("hello", "hello", ""), &["-q"]);
    let upload = crate::up::uploader("invoke-probe");
    let (status, r) = create(
        server.admin,
        &upload(
            "granted",
            json!({"fnhost:invoke": "hello other", "team": "a"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    let (status, r) = create(server.admin, &upload("plain", json!({}))).await;
    assert_eq!(status, 201, "{r}");
    let (status, r) = create(
        server.admin,
        &upload("bad", json!({"fnhost:invoke": "hello ../x"})),
    )
    .await;
    assert_eq!(status, 400, "{r}");

    let (_, r) = invoke(
        server.admin,
        "granted",
        &json!({"call": "hello", "payload": {"name": "Tag"}}),
    )
    .await;
    assert!(
        r["payload"]["body"]
            .as_str()
            .unwrap()
            .contains("Hello, Tag!"),
        "{r}"
    );
    let (_, r) = invoke(server.admin, "plain", &json!({"call": "hello"})).await;
    assert_eq!(r["error"], "AccessDeniedException", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .ends_with("tag function `plain` with `fnhost:invoke=hello` (TagResource, or Tags in CreateFunction)"),
        "{r}"
    );

    // TagResource grants `plain` the call from its next invocation; UntagResource takes it back.
    let tags_url = format!(
        "http://{}/2017-03-31/tags/arn:aws:lambda:us-east-1:000000000000:function:plain",
        server.admin
    );
    let r = client()
        .post(&tags_url)
        .header("content-type", "application/json")
        .body(json!({"Tags": {"fnhost:invoke": "hello"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204, "{}", r.text().await.unwrap());
    let (_, r) = invoke(server.admin, "plain", &json!({"call": "hello"})).await;
    assert_eq!(r["status"], 200, "{r}");
    let listed: Value = client()
        .get(&tags_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!({"Tags": {"fnhost:invoke": "hello"}}));
    let r = client()
        .delete(format!("{tags_url}?tagKeys=fnhost%3Ainvoke"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (_, r) = invoke(server.admin, "plain", &json!({"call": "hello"})).await;
    assert_eq!(r["error"], "AccessDeniedException", "{r}");
    // A manifest function's grants are fnhost.toml's, not tags.
    let r = client()
        .post(format!("http://{}/2017-03-31/tags/hello", server.admin))
        .header("content-type", "application/json")
        .body(json!({"Tags": {"fnhost:invoke": "hello"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);

    let r = client()
        .get(format!(
            "http://{}/2015-03-31/functions/granted",
            server.admin
        ))
        .send()
        .await
        .unwrap();
    let r: Value = r.json().await.unwrap();
    assert_eq!(
        r["Tags"],
        json!({"fnhost:invoke": "hello other", "team": "a"}),
        "{r}"
    );
}
