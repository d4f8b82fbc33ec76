//! Returns every context field, the remaining time read twice, `$GREETING` and the event.
//!
//! `remainingMsBefore` and `remainingMsAfter` are read around ~20 ms of busy work, so a test can
//! check that the remaining time decreases. `greeting` is `null` when `GREETING` is unset.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

use fnhost_sdk::Context;
use serde_json::{Value, json};

fn echo(event: Value, ctx: &Context) -> Result<Value, Infallible> {
    let before = ctx.remaining_time();
    busy_work(Duration::from_millis(20));
    let after = ctx.remaining_time();

    let greeting = std::env::var("GREETING").ok();
    if let Some(greeting) = &greeting {
        println!("GREETING={greeting}");
    }

    Ok(json!({
        "requestId": ctx.request_id,
        "functionName": ctx.function_name,
        "functionVersion": ctx.function_version,
        "invokedFunctionArn": ctx.invoked_function_arn,
        "memoryLimitMb": ctx.memory_limit_mb,
        "deadlineMs": ctx.deadline_ms,
        "logGroupName": ctx.log_group_name,
        "logStreamName": ctx.log_stream_name,
        "remainingMsBefore": millis(before),
        "remainingMsAfter": millis(after),
        "greeting": greeting,
        "event": event,
    }))
}

/// Spin (not sleep) so the time passes inside the guest, as CPU work would.
fn busy_work(duration: Duration) {
    let start = Instant::now();
    let mut x = 0u64;
    while start.elapsed() < duration {
        for _ in 0..1_000 {
            x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fnhost_sdk::handler!(echo);

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    #[test]
    fn echoes_context_and_event() {
        let now_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let ctx = Context {
            request_id: "8a3f1c2e".into(),
            function_name: "context-echo".into(),
            memory_limit_mb: 128,
            deadline_ms: now_ms + 60_000,
            ..Default::default()
        };
        let out = echo(json!({"a": 1}), &ctx).unwrap();
        assert_eq!(out["requestId"], "8a3f1c2e");
        assert_eq!(out["functionName"], "context-echo");
        assert_eq!(out["memoryLimitMb"], 128);
        assert_eq!(out["event"], json!({"a": 1}));
        let before = out["remainingMsBefore"].as_u64().unwrap();
        let after = out["remainingMsAfter"].as_u64().unwrap();
        assert!(after < before && before <= 60_000, "{before} -> {after}");
    }
}
