//! Reserved concurrency of uploaded functions: PutFunctionConcurrency,
//! GetFunctionConcurrency and DeleteFunctionConcurrency, with Lambda's paths, shapes and
//! errors.
//!
//! As in Lambda, a reservation belongs to the function, not to a version: `$LATEST`, every
//! published version and so every alias run behind one gate of that many slots, carved out of
//! `max_concurrency` by the rule manifest reservations follow
//! ([`fnhost_dispatch::check_reservations`]: at least one slot stays unreserved). A
//! reservation of 0 throttles every invocation (Lambda's "stop" switch). A change takes
//! effect at once: the function's registry entries are swapped for ones behind the new gate
//! (invocations already running finish on the old one) and the shared gate is resized. The
//! reservations live in the store and are put back by [`Api::restore_concurrency`] at start;
//! deleting the function deletes its reservation. Functions of `fnhost.toml` take theirs from
//! its `reserved_concurrency` and are refused here.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use fnhost_dispatch::{Deployed, Gate, Origin, check_reservations};
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use serde::Deserialize;
use serde_json::json;

use crate::api::{Api, blocking, empty, json_response};
use crate::config::parse_body;
use crate::error::ApiError;
use crate::name::{self, FunctionRef};

type Reply = Result<Response<Full<Bytes>>, ApiError>;

/// Lambda's FunctionName pattern for the concurrency operations (no qualifier), quoted in
/// validation errors.
const PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)";

/// Slots fnhost always leaves unreserved (Lambda leaves 100 of an account's 1000).
const MIN_UNRESERVED: u32 = 1;

/// A concurrency operation, by method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConcurrencyOp {
    /// `PUT /2017-10-31/functions/{F}/concurrency`.
    Put(String),
    /// `GET /2019-09-30/functions/{F}/concurrency`.
    Get(String),
    /// `DELETE /2017-10-31/functions/{F}/concurrency`.
    Delete(String),
}

/// The concurrency operation for `method` at `/{date}/functions/{rest}` (the function
/// name segment percent-decoded).
pub(crate) fn route(method: &Method, date: &str, rest: &str) -> Option<ConcurrencyOp> {
    let (function, "concurrency") = rest.split_once('/')? else {
        return None;
    };
    let function = fnhost_edge::percent_decode(function);
    Some(match (date, method.as_str()) {
        ("2017-10-31", "PUT") => ConcurrencyOp::Put(function),
        ("2017-10-31", "DELETE") => ConcurrencyOp::Delete(function),
        ("2019-09-30", "GET") => ConcurrencyOp::Get(function),
        _ => return None,
    })
}

/// PutFunctionConcurrency's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutInput {
    reserved_concurrent_executions: Option<i64>,
}

/// The reservation asked for: Lambda's validation of `ReservedConcurrentExecutions`
/// (required, at least 0). Values past `u32` are kept as `u32::MAX`, which no host can
/// reserve.
fn requested(input: &PutInput) -> Result<u32, ApiError> {
    match input.reserved_concurrent_executions {
        None => Err(ApiError::Validation(
            "1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null".into(),
        )),
        Some(n) if n < 0 => Err(ApiError::Validation(format!(
            "1 validation error detected: Value '{n}' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0"
        ))),
        Some(n) => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
    }
}

/// The function the operation is about: a name or ARN without a qualifier.
fn unqualified(function: &str) -> Result<FunctionRef, ApiError> {
    let reference = name::parse(function, None)?;
    if reference.qualifier.is_some() {
        return Err(ApiError::Validation(format!(
            "1 validation error detected: Value '{function}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: {PATTERN}"
        )));
    }
    Ok(reference)
}

/// Refuse `reserved` for a function when the other reservations (`others`, the manifest's
/// included) would then leave fewer than [`MIN_UNRESERVED`] of `max` slots: the one rule,
/// [`check_reservations`], with Lambda's message and how to fix it.
fn check_fits(max: u32, others: u32, reserved: u32) -> Result<(), ApiError> {
    check_reservations(max, [others, reserved]).map_err(|_| {
        let room = max.saturating_sub(MIN_UNRESERVED).saturating_sub(others);
        ApiError::InvalidParameter(format!(
            "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]. fnhost's max_concurrency is {max} and other functions reserve {others}, so at most {room} can be reserved for this one; ask for fewer, or raise max_concurrency (--max-concurrency or [http] max_concurrency)"
        ))
    })?;
    Ok(())
}

fn manifest_conflict(name: &str) -> ApiError {
    ApiError::Conflict(format!(
        "Function `{name}` is declared in fnhost.toml; set its reserved concurrency with `reserved_concurrency` in fnhost.toml (fnhost reloads it), not through the API"
    ))
}

fn store_err(what: &'static str) -> impl Fn(fnhost_store::StoreError) -> ApiError {
    move |e| ApiError::internal(what, e)
}

/// One function's reservation and the gate all its versions share.
#[derive(Debug, Clone)]
struct Reservation {
    reserved: u32,
    gate: Arc<Gate>,
}

/// The reservations of uploaded functions, by name: what [`Api::deployed`] puts a function's
/// versions behind.
#[derive(Debug, Default)]
pub(crate) struct Reservations {
    table: Mutex<BTreeMap<String, Reservation>>,
}

impl Reservations {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Reservation>> {
        // Every change is one insert or remove: a panic elsewhere leaves the map whole.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The reservation of `name` and its gate.
    pub(crate) fn get(&self, name: &str) -> Option<(u32, Arc<Gate>)> {
        self.lock().get(name).map(|r| (r.reserved, r.gate.clone()))
    }

    /// Set (`Some`) or remove (`None`) the reservation of `name`; returns the new sum of all.
    fn set(&self, name: &str, reservation: Option<Reservation>) -> u32 {
        let mut table = self.lock();
        match reservation {
            Some(r) => {
                table.insert(name.to_owned(), r);
            }
            None => {
                table.remove(name);
            }
        }
        table
            .values()
            .fold(0u32, |sum, r| sum.saturating_add(r.reserved))
    }

    /// The sum of every reservation but that of `name`.
    fn others(&self, name: &str) -> u32 {
        self.lock()
            .iter()
            .filter(|(n, _)| *n != name)
            .fold(0u32, |sum, (_, r)| sum.saturating_add(r.reserved))
    }
}

impl Api {
    pub(crate) async fn concurrency_op(&self, op: ConcurrencyOp, body: &[u8]) -> Reply {
        match op {
            ConcurrencyOp::Put(function) => self.put_concurrency(&function, body).await,
            ConcurrencyOp::Get(function) => self.get_concurrency(&function).await,
            ConcurrencyOp::Delete(function) => self.delete_concurrency(&function).await,
        }
    }

    /// The gate a version of uploaded function `name` runs behind, and its reservation.
    pub(crate) fn gate_of(&self, name: &str) -> (Arc<Gate>, Option<u32>) {
        match self.reservations.get(name) {
            Some((reserved, gate)) => (gate, Some(reserved)),
            None => (self.dispatcher.admission().gate(None), None),
        }
    }

    /// The reservation of uploaded function `name` (GetFunction's `Concurrency`).
    pub(crate) fn reserved_of(&self, name: &str) -> Option<u32> {
        self.reservations.get(name).map(|(reserved, _)| reserved)
    }

    /// An uploaded function the caller may change the reservation of (caller holds the write
    /// lock).
    async fn reservable(&self, function: &str) -> Result<FunctionRef, ApiError> {
        let reference = unqualified(function)?;
        if self
            .dispatcher
            .registry()
            .get(&reference.name)
            .is_some_and(|d| d.origin == Origin::Manifest)
        {
            return Err(manifest_conflict(&reference.name));
        }
        self.uploaded(&reference).await?;
        Ok(reference)
    }

    async fn put_concurrency(&self, function: &str, body: &[u8]) -> Reply {
        let input: PutInput = parse_body(body)?;
        let reserved = requested(&input)?;
        let _writes = self.writes.lock().await;
        let reference = self.reservable(function).await?;
        let name = reference.name;
        let admission = self.dispatcher.admission();
        // A reservation that does not grow is always taken, even when the host's limits
        // changed under the ones already made.
        if self.reserved_of(&name).is_none_or(|now| reserved > now) {
            let others = admission
                .reserved_by_manifest()
                .saturating_add(self.reservations.others(&name));
            check_fits(admission.config().max_concurrency, others, reserved)?;
        }
        let (store, saved) = (self.store.clone(), name.clone());
        blocking(move || {
            store
                .set_function_concurrency(&saved, reserved)
                .map_err(store_err("storing the reserved concurrency"))
        })
        .await?;
        self.apply_reservation(&name, Some(reserved));
        tracing::info!(function = %name, reserved, "reserved concurrency set");
        Ok(json_response(
            StatusCode::OK,
            &json!({ "ReservedConcurrentExecutions": reserved }),
        ))
    }

    async fn get_concurrency(&self, function: &str) -> Reply {
        let reference = unqualified(function)?;
        let reserved = match self.dispatcher.registry().get(&reference.name) {
            Some(d) if d.origin == Origin::Manifest => d.reserved_concurrency,
            _ => {
                self.uploaded(&reference).await?;
                self.reserved_of(&reference.name)
            }
        };
        let body = match reserved {
            Some(n) => json!({ "ReservedConcurrentExecutions": n }),
            None => json!({}),
        };
        Ok(json_response(StatusCode::OK, &body))
    }

    async fn delete_concurrency(&self, function: &str) -> Reply {
        let _writes = self.writes.lock().await;
        let reference = self.reservable(function).await?;
        let (store, name) = (self.store.clone(), reference.name.clone());
        blocking(move || {
            store
                .delete_function_concurrency(&name)
                .map_err(store_err("deleting the reserved concurrency"))
        })
        .await?;
        if self.reserved_of(&reference.name).is_some() {
            self.apply_reservation(&reference.name, None);
            tracing::info!(function = %reference.name, "reserved concurrency deleted");
        }
        Ok(empty(StatusCode::NO_CONTENT))
    }

    /// Put `name`'s versions behind a new gate of `reserved` slots (`None`: the shared gate)
    /// and set the slots aside; invocations running now finish on the gate they hold.
    pub(crate) fn apply_reservation(&self, name: &str, reserved: Option<u32>) {
        let admission = self.dispatcher.admission();
        let gate = admission.gate(reserved);
        let reservation = reserved.map(|reserved| Reservation {
            reserved,
            gate: gate.clone(),
        });
        admission.set_api_reserved(self.reservations.set(name, reservation));
        let registry = self.dispatcher.registry();
        let prefix = format!("{name}:");
        for (key, deployed) in registry.snapshot().iter() {
            if deployed.origin == Origin::Api && (key == name || key.starts_with(&prefix)) {
                registry.insert(
                    key,
                    Deployed {
                        function: deployed.function.clone(),
                        gate: gate.clone(),
                        reserved_concurrency: reserved,
                        origin: Origin::Api,
                    },
                );
            }
        }
    }

    /// What DeleteFunction does about the reservation of a whole function it deletes (caller
    /// holds the write lock; the function's registry entries go with it).
    pub(crate) async fn concurrency_delete_hook(&self, name: &str) -> Result<(), ApiError> {
        let (store, owned) = (self.store.clone(), name.to_owned());
        blocking(move || {
            store
                .delete_function_concurrency(&owned)
                .map_err(store_err("deleting the reserved concurrency"))
        })
        .await?;
        if self.reserved_of(name).is_some() {
            self.apply_reservation(name, None);
        }
        Ok(())
    }

    /// Take the stored reservations back at start, before the uploads are deployed behind
    /// them, except those of names `fnhost.toml` holds. Reservations that no longer fit (the
    /// limits were lowered) are kept, with a warning: the shared gate keeps one slot whatever
    /// they add up to. Returns how many.
    pub(crate) async fn restore_concurrency(&self) -> Result<usize, ApiError> {
        let store = self.store.clone();
        let stored = blocking(move || {
            store
                .all_function_concurrency()
                .map_err(store_err("listing reserved concurrency"))
        })
        .await?;
        let registry = self.dispatcher.registry();
        let mut restored = 0;
        for (name, reserved) in stored {
            if registry
                .get(&name)
                .is_some_and(|d| d.origin == Origin::Manifest)
            {
                continue;
            }
            self.apply_reservation(&name, Some(reserved));
            restored += 1;
        }
        let admission = self.dispatcher.admission();
        let max = admission.config().max_concurrency;
        let reserved = admission.reserved_by_api();
        if let Err(err) = check_reservations(max, [admission.reserved_by_manifest(), reserved]) {
            tracing::warn!(%err, uploads = reserved, "the reserved concurrency of uploaded functions (PutFunctionConcurrency) no longer fits under max_concurrency; lower it with PutFunctionConcurrency or DeleteFunctionConcurrency");
        }
        Ok(restored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_paths_map_to_their_operations() {
        use crate::api::{Op, route as api_route};
        let put = "/2017-10-31/functions/f/concurrency";
        assert_eq!(
            api_route(&Method::PUT, put),
            Some(Op::Concurrency(ConcurrencyOp::Put("f".into())))
        );
        assert_eq!(
            api_route(&Method::DELETE, put),
            Some(Op::Concurrency(ConcurrencyOp::Delete("f".into())))
        );
        assert_eq!(
            api_route(
                &Method::GET,
                "/2019-09-30/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/concurrency"
            ),
            Some(Op::Concurrency(ConcurrencyOp::Get(
                "arn:aws:lambda:us-east-1:000000000000:function:f".into()
            )))
        );
        // Each operation only at its own date and method, as the Lambda model has them.
        assert_eq!(api_route(&Method::GET, put), None);
        assert_eq!(
            api_route(&Method::PUT, "/2019-09-30/functions/f/concurrency"),
            None
        );
        assert_eq!(
            api_route(
                &Method::GET,
                "/2019-09-30/functions/f/provisioned-concurrency"
            ),
            None
        );
        assert_eq!(
            api_route(&Method::PUT, "/2017-10-31/functions/f/concurrency/x"),
            None
        );
        assert_eq!(api_route(&Method::PUT, "/2017-10-31/functions/f"), None);
    }

    #[test]
    fn the_value_is_required_and_not_negative() {
        let input = |n| PutInput {
            reserved_concurrent_executions: n,
        };
        assert_eq!(requested(&input(Some(0))).unwrap(), 0);
        assert_eq!(requested(&input(Some(7))).unwrap(), 7);
        assert_eq!(requested(&input(Some(1 << 40))).unwrap(), u32::MAX);
        let err = requested(&input(None)).unwrap_err();
        assert_eq!(err.code(), "ValidationException");
        assert!(err.to_string().contains("Member must not be null"), "{err}");
        let err = requested(&input(Some(-1))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1 validation error detected: Value '-1' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0"
        );
        let parsed: PutInput = parse_body(br#"{"ReservedConcurrentExecutions": 3}"#).unwrap();
        assert_eq!(requested(&parsed).unwrap(), 3);
    }

    #[test]
    fn a_reservation_must_leave_one_slot_unreserved() {
        check_fits(10, 4, 5).unwrap();
        check_fits(10, 0, 0).unwrap();
        let err = check_fits(10, 4, 6).unwrap_err();
        assert_eq!(err.code(), "InvalidParameterValueException");
        let text = err.to_string();
        assert!(
            text.starts_with(
                "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [1]."
            ),
            "{text}"
        );
        assert!(text.contains("at most 5 can be reserved"), "{text}");
        assert_eq!(
            check_fits(10, 0, u32::MAX).unwrap_err().code(),
            "InvalidParameterValueException"
        );
    }

    #[test]
    fn only_unqualified_names_are_taken() {
        assert_eq!(unqualified("f").unwrap().name, "f");
        assert_eq!(
            unqualified("arn:aws:lambda:us-east-1:000000000000:function:f")
                .unwrap()
                .name,
            "f"
        );
        for qualified in ["f:1", "f:live", "f:$LATEST"] {
            let err = unqualified(qualified).unwrap_err();
            assert_eq!(err.code(), "ValidationException", "{qualified}");
            assert!(err.to_string().contains(PATTERN), "{err}");
        }
    }

    #[test]
    fn reservations_add_up_per_function() {
        let admission = fnhost_dispatch::Admission::new(Default::default(), 0);
        let reservations = Reservations::default();
        let entry = |n| {
            Some(Reservation {
                reserved: n,
                gate: admission.gate(Some(n)),
            })
        };
        assert_eq!(reservations.set("a", entry(3)), 3);
        assert_eq!(reservations.set("b", entry(0)), 3);
        assert_eq!(reservations.set("a", entry(5)), 5);
        assert_eq!(reservations.others("a"), 0);
        assert_eq!(reservations.set("c", entry(2)), 7);
        assert_eq!(reservations.others("a"), 2);
        assert_eq!(
            reservations.get("b").map(|(n, g)| (n, g.size())),
            Some((0, 0))
        );
        assert_eq!(reservations.set("a", None), 2);
        assert!(reservations.get("a").is_none());
    }
}
