//! The Dead letters page: events that failed every attempt, with their error and event, and
//! re-driving one or all of them into the queue (as `fnhost dead-letters redrive` does).

use std::collections::BTreeMap;

use fnhost_store::DeadLetter;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::console::{Console, Reply, blocking, json_ok};
use crate::error::ConsoleError;

/// Characters of an event shown in the list.
const PREVIEW_CHARS: usize = 200;

fn shown(d: &DeadLetter, whole: bool) -> Value {
    let event = String::from_utf8_lossy(&d.payload);
    let mut value = json!({
        "id": d.id,
        "function": d.function,
        "requestId": d.request_id,
        "trigger": d.trigger.to_string(),
        "attempts": d.attempts,
        "maxAttempts": d.max_attempts,
        "error": d.error,
        "reason": d.reason.as_str(),
        "enqueuedMs": d.enqueued_at_ms,
        "failedMs": d.failed_at_ms,
        "eventPreview": event.chars().take(PREVIEW_CHARS).collect::<String>(),
    });
    if whole && let Some(object) = value.as_object_mut() {
        object.insert("event".into(), json!(event));
    }
    value
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Redrive {
    #[serde(default)]
    ids: Vec<i64>,
    #[serde(default)]
    all: bool,
    #[serde(default)]
    function: Option<String>,
}

impl Console {
    /// `GET dead-letters?function=F`.
    pub(crate) async fn dead_letters(&self, query: &BTreeMap<String, String>) -> Reply {
        let (store, function) = (self.store.clone(), query.get("function").cloned());
        let letters = blocking(move || Ok(store.dead_letters(function.as_deref())?)).await?;
        let listed: Vec<Value> = letters.iter().map(|d| shown(d, false)).collect();
        json_ok(&json!({ "deadLetters": listed }))
    }

    /// `GET dead-letters/{id}`.
    pub(crate) async fn dead_letter(&self, id: &str) -> Reply {
        let wanted: i64 = id
            .parse()
            .map_err(|_| ConsoleError::BadRequest(format!("`{id}` is not a dead letter id")))?;
        let store = self.store.clone();
        let letters = blocking(move || Ok(store.dead_letters(None)?)).await?;
        let letter = letters
            .iter()
            .find(|d| d.id == wanted)
            .ok_or_else(|| ConsoleError::NotFound(format!("no dead letter has id {wanted}")))?;
        json_ok(&shown(letter, true))
    }

    /// `POST dead-letters/redrive` with `{"ids": [...]}` or `{"all": true}`.
    pub(crate) async fn redrive(&self, body: &[u8]) -> Reply {
        let input: Redrive = serde_json::from_slice(body).map_err(|e| {
            ConsoleError::BadRequest(format!(
                "the body is not {{\"ids\": [..]}} or {{\"all\": true}}: {e}"
            ))
        })?;
        if input.ids.is_empty() != input.all {
            return Err(ConsoleError::BadRequest(
                "name the dead letters to re-drive in `ids`, or send `\"all\": true`".into(),
            ));
        }
        let store = self.store.clone();
        let now = fnhost_core::unix_ms();
        let queued = blocking(move || {
            store
                .redrive(
                    &input.ids,
                    input.function.as_deref(),
                    now,
                    now + fnhost_api::REDRIVE_MAX_AGE_MS,
                )
                .map_err(|e| match e {
                    fnhost_store::StoreError::UnknownDeadLetter { .. } => {
                        ConsoleError::NotFound(e.to_string())
                    }
                    other => other.into(),
                })
        })
        .await?;
        self.api.queue_changed();
        json_ok(&json!({ "redriven": queued.len() }))
    }
}
