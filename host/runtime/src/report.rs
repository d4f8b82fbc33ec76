//! START / END / REPORT: Lambda's log framing, kept both as data and as text.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

/// Measurements of one invocation, as Lambda's REPORT line carries them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The invocation's request id.
    pub request_id: String,
    /// `$LATEST` or a version number.
    pub version: String,
    /// Wall time from instantiation to the end of the call.
    #[serde(serialize_with = "as_ms")]
    pub duration: Duration,
    /// `ceil(duration)` in whole milliseconds, as Lambda bills since Dec 2020.
    pub billed_duration_ms: u64,
    /// The configured memory cap.
    pub memory_size_mb: u32,
    /// Peak total linear memory, measured, rounded up to MB.
    pub max_memory_used_mb: u64,
    /// Load time (compile or cache load, linking) on a function's first invocation.
    #[serde(serialize_with = "opt_as_ms", skip_serializing_if = "Option::is_none")]
    pub init_duration: Option<Duration>,
    /// Fuel consumed, when the function is metered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel_consumed: Option<u64>,
}

fn as_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(ms(*d))
}

fn opt_as_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_f64(ms(*d)),
        None => s.serialize_none(),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Billed milliseconds for a duration: rounded up, at least 1.
pub fn billed_ms(d: Duration) -> u64 {
    (d.as_nanos().div_ceil(1_000_000) as u64).max(1)
}

impl Report {
    /// `START RequestId: <id> Version: <version>`
    pub fn start_line(&self) -> String {
        format!(
            "START RequestId: {} Version: {}",
            self.request_id, self.version
        )
    }

    /// `END RequestId: <id>`
    pub fn end_line(&self) -> String {
        format!("END RequestId: {}", self.request_id)
    }

    /// The tab-separated REPORT line, with Lambda's field order and trailing tab.
    pub fn report_line(&self) -> String {
        let mut line = format!(
            "REPORT RequestId: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
            self.request_id,
            ms(self.duration),
            self.billed_duration_ms,
            self.memory_size_mb,
            self.max_memory_used_mb,
        );
        if let Some(init) = self.init_duration {
            let _ = write!(line, "Init Duration: {:.2} ms\t", ms(init));
        }
        if let Some(fuel) = self.fuel_consumed {
            let _ = write!(line, "Fuel Consumed: {fuel}\t");
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            request_id: "4ce9340a-b765-490f-ad8a-02ab3415e2bf".into(),
            version: "$LATEST".into(),
            duration: Duration::from_micros(26_730),
            billed_duration_ms: billed_ms(Duration::from_micros(26_730)),
            memory_size_mb: 128,
            max_memory_used_mb: 2,
            init_duration: None,
            fuel_consumed: None,
        }
    }

    #[test]
    fn lines_match_lambdas_text() {
        let r = report();
        assert_eq!(
            r.start_line(),
            "START RequestId: 4ce9340a-b765-490f-ad8a-02ab3415e2bf Version: $LATEST"
        );
        assert_eq!(
            r.end_line(),
            "END RequestId: 4ce9340a-b765-490f-ad8a-02ab3415e2bf"
        );
        assert_eq!(
            r.report_line(),
            "REPORT RequestId: 4ce9340a-b765-490f-ad8a-02ab3415e2bf\tDuration: 26.73 ms\tBilled Duration: 27 ms\tMemory Size: 128 MB\tMax Memory Used: 2 MB\t"
        );
    }

    #[test]
    fn init_and_fuel_come_last() {
        let mut r = report();
        r.init_duration = Some(Duration::from_micros(410));
        r.fuel_consumed = Some(1234);
        assert!(
            r.report_line()
                .ends_with("Max Memory Used: 2 MB\tInit Duration: 0.41 ms\tFuel Consumed: 1234\t")
        );
    }

    #[test]
    fn billing_rounds_up_to_the_millisecond() {
        assert_eq!(billed_ms(Duration::from_micros(1)), 1);
        assert_eq!(billed_ms(Duration::from_millis(3)), 3);
        assert_eq!(billed_ms(Duration::from_micros(3_001)), 4);
    }
}
