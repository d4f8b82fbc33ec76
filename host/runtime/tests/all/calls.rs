//! The runtime's side of `functions.invoke`, through the real `invoke-probe` guest and a
//! [`FunctionCalls`] that records what reaches it: the caller's identity, chain and deadline come
//! from the host (the guest passes none of them), and the answer or refusal goes back to the
//! guest unchanged. (The dispatcher's implementation is tested end to end in the CLI's
//! `exec_calls`.)

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fnhost_runtime::{
    CallFailure, CallFuture, CallRequest, CallResponse, Caller, FunctionCalls, InvocationType,
    InvokeRequest, Lineage, Trigger,
};
use serde_json::{Value, json};

use crate::support::{json as payload_json, load, runtime, spec};

/// Answers the first call, refuses the rest; keeps every call it saw.
#[derive(Debug, Default)]
struct Recorded {
    calls: Mutex<Vec<(Caller, CallRequest)>>,
}

impl FunctionCalls for Recorded {
    fn invoke(&self, caller: Caller, request: CallRequest) -> CallFuture {
        let mut calls = self.calls.lock().unwrap();
        let first = calls.is_empty();
        calls.push((caller, request));
        Box::pin(async move {
            if first {
                Ok(CallResponse {
                    status_code: 200,
                    function_error: Some("Unhandled".into()),
                    executed_version: Some("3".into()),
                    payload: br#"{"answer":42}"#.to_vec(),
                    log_result: Some("dGFpbA==".into()),
                })
            } else {
                Err(CallFailure::RecursiveInvocation("hop 16 of chain c".into()))
            }
        })
    }
}

#[tokio::test]
async fn the_host_supplies_the_caller_and_passes_answers_back() {
    let state = tempfile::tempdir().unwrap();
    let rt = runtime(state.path());
    let recorded = Arc::new(Recorded::default());
    let mut spec = spec("caller");
    spec.calls = recorded.clone();
    spec.timeout = Duration::from_secs(30);
    let caller = load(&rt, spec, "invoke-probe");

    let lineage = Lineage {
        chain_id: "chain-9".into(),
        hop: 2,
    };
    let run = |event: Value| {
        let mut request = InvokeRequest::new(event.to_string(), Trigger::Cli);
        request.request_id = Some("req-7".into());
        request.lineage = Some(lineage.clone());
        request
    };
    let before = Instant::now();
    let done = rt
        .invoke(
            &caller,
            run(json!({"call": "callee:3", "type": "Event", "payload": {"x": 1}, "tail": true})),
        )
        .await
        .unwrap();
    let answer = payload_json(&done);
    assert_eq!(
        answer,
        json!({
            "status": 200,
            "functionError": "Unhandled",
            "executedVersion": "3",
            "payload": {"answer": 42},
            "logResult": "dGFpbA==",
            "callerRemainingMs": answer["callerRemainingMs"],
        })
    );
    let done = rt
        .invoke(&caller, run(json!({"call": "callee", "type": "DryRun"})))
        .await
        .unwrap();
    assert_eq!(
        payload_json(&done),
        json!({"error": "RecursiveInvocationException", "message": "hop 16 of chain c"})
    );

    let calls = recorded.calls.lock().unwrap();
    assert_eq!(calls.len(), 2);
    let (who, what) = &calls[0];
    assert_eq!(
        (who.function.as_str(), who.request_id.as_str()),
        ("caller", "req-7")
    );
    assert_eq!(who.lineage.as_ref(), Some(&lineage));
    // The invocation's own deadline: its 30 s timeout from when it started.
    assert!(who.deadline > before + Duration::from_secs(25), "{who:?}");
    assert!(
        who.deadline <= Instant::now() + Duration::from_secs(30),
        "{who:?}"
    );
    assert_eq!(what.function_name, "callee:3");
    assert_eq!(what.qualifier, None);
    assert_eq!(what.invocation_type, InvocationType::Event);
    assert_eq!(&what.payload[..], br#"{"x":1}"#);
    assert!(what.log_tail);
    assert_eq!(calls[1].1.invocation_type, InvocationType::DryRun);
    assert!(calls[1].1.payload.is_empty());
}
