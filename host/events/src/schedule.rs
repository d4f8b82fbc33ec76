//! EventBridge "Scheduled Event" payloads.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The event a schedule rule named `rule` sends at `time`.
pub fn scheduled_event(rule: &str, time: DateTime<Utc>) -> Value {
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": crate::ACCOUNT,
        "time": time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": crate::REGION,
        "resources": [format!("arn:aws:events:{}:{}:rule/{rule}", crate::REGION, crate::ACCOUNT)],
        "detail": {},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_matches_eventbridge() {
        let t = DateTime::from_timestamp(1_772_446_500, 0).unwrap();
        let e = scheduled_event("nightly", t);
        assert_eq!(e["detail-type"], "Scheduled Event");
        assert_eq!(e["time"], "2026-03-02T10:15:00Z");
        assert_eq!(
            e["resources"][0],
            "arn:aws:events:us-east-1:000000000000:rule/nightly"
        );
        assert_eq!(e["detail"], json!({}));
    }
}
