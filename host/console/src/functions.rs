//! The functions list, one function's details and files, its monitor series and its past
//! invocations.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use fnhost_api::config::{FunctionView, last_modified};
use fnhost_dispatch::Origin;
use fnhost_manifest::Manifest;
use fnhost_store::{InvocationQuery, InvocationRecord, MetricsRange};
use serde_json::{Value, json};

use crate::console::{Console, Reply, blocking, json_ok};
use crate::error::ConsoleError;

/// Most files of a function listed.
const MAX_FILES: usize = 1000;
/// Largest file shown as source text.
const MAX_SOURCE_BYTES: u64 = 1 << 20;
/// Most invocations listed per page.
const MAX_PAGE: usize = 200;

/// A trigger as the console lists it.
fn trigger(kind: &str, detail: impl Into<String>) -> Value {
    json!({ "type": kind, "detail": detail.into() })
}

/// The triggers the manifest gives function `name`, its URL included.
fn manifest_triggers(
    manifest: &Manifest,
    name: &str,
    urls: Option<&fnhost_http::FunctionUrls>,
) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(config) = manifest.functions.get(name) {
        for route in &config.http {
            out.push(trigger(
                "http",
                format!("{} {}", route.methods, route.pattern),
            ));
        }
        for s3 in &config.s3 {
            let events: Vec<String> = s3.events.iter().map(ToString::to_string).collect();
            let mut detail = format!("{}: {}", s3.bucket, events.join(", "));
            if !s3.prefix.is_empty() {
                detail.push_str(&format!(" prefix {}", s3.prefix));
            }
            if !s3.suffix.is_empty() {
                detail.push_str(&format!(" suffix {}", s3.suffix));
            }
            out.push(trigger("s3", detail));
        }
        for schedule in &config.schedules {
            let state = if schedule.enabled { "" } else { " (disabled)" };
            out.push(trigger(
                "schedule",
                format!("{} {}{state}", schedule.name, schedule.expression),
            ));
        }
    }
    for route in &manifest.routes {
        if route.target.function == name {
            out.push(trigger(
                "http",
                format!(
                    "{} {} → {}",
                    route.http.methods, route.http.pattern, route.target
                ),
            ));
        }
    }
    if let Some(url) = urls.and_then(|u| u.manifest_url(name).map(|t| u.url_of(&t.url_id))) {
        out.push(trigger("url", url));
    }
    out
}

/// What the overview and the details share about one function.
struct Row {
    view: FunctionView,
    kind: Option<String>,
    triggers: Vec<Value>,
}

impl Console {
    /// Every function the host has: uploads (deployed or not) and the manifest's.
    async fn rows(&self) -> Result<Vec<Row>, ConsoleError> {
        let store = self.store.clone();
        let (uploads, urls) =
            blocking(move || Ok((store.functions()?, store.all_function_urls()?))).await?;
        let snapshot = self.api.dispatcher().registry().snapshot();
        let manifest = self.manifest.load_full();
        let function_urls = self.api.config().urls.as_deref();
        let mut url_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if let Some(table) = function_urls {
            for url in urls {
                let shown = match &url.qualifier {
                    Some(q) => format!("{} ({q})", table.url_of(&url.url_id)),
                    None => table.url_of(&url.url_id),
                };
                url_of.entry(url.function).or_default().push(shown);
            }
        }
        let kind_of = |key: &str| {
            snapshot
                .get(key)
                .map(|d| serde_json::to_value(d.function.info().kind).ok())
                .and_then(|v| v.and_then(|v| v.as_str().map(str::to_owned)))
        };
        let mut rows = Vec::new();
        for record in uploads {
            if snapshot
                .get(&record.name)
                .is_some_and(|d| d.origin == Origin::Manifest)
            {
                continue;
            }
            let triggers = url_of
                .remove(&record.name)
                .unwrap_or_default()
                .into_iter()
                .map(|u| trigger("url", u))
                .collect();
            rows.push(Row {
                kind: kind_of(&record.name),
                view: FunctionView::uploaded(record),
                triggers,
            });
        }
        for (key, deployed) in snapshot.iter() {
            if deployed.origin == Origin::Manifest {
                let mut view = FunctionView::manifest(key, deployed, self.api.started_ms());
                if let Some(config) = manifest.functions.get(key) {
                    view.record.runtime = Some(config.runtime.to_string());
                    view.record.handler.clone_from(&config.handler);
                }
                rows.push(Row {
                    kind: kind_of(key),
                    triggers: manifest_triggers(&manifest, key, function_urls),
                    view,
                });
            }
        }
        rows.sort_by(|a, b| a.view.record.name.cmp(&b.view.record.name));
        Ok(rows)
    }

    /// `GET overview`: every function with its triggers and last 24 h.
    pub(crate) async fn overview(&self) -> Reply {
        let rows = self.rows().await?;
        let store = self.store.clone();
        let now = fnhost_core::unix_ms();
        let summaries = blocking(move || Ok(store.function_summaries(now)?)).await?;
        let mut stats: BTreeMap<String, Value> = summaries
            .into_iter()
            .map(|s| {
                let value = json!({
                    "invocations": s.invocations,
                    "errors": s.errors,
                    "throttles": s.throttles,
                    "p95Ms": s.p95_ms,
                    "hourly": s.hourly,
                });
                (s.function, value)
            })
            .collect();
        let functions: Vec<Value> = rows
            .into_iter()
            .map(|row| {
                let r = &row.view.record;
                let stats = stats.remove(&r.name).unwrap_or_else(|| {
                    json!({ "invocations": 0, "errors": 0, "throttles": 0, "p95Ms": null, "hourly": vec![0u64; 24] })
                });
                json!({
                    "name": r.name,
                    "origin": origin(row.view.origin),
                    "runtime": r.runtime,
                    "kind": row.kind,
                    "state": r.state.as_str(),
                    "memoryMb": r.memory_mb,
                    "timeoutS": r.timeout_s,
                    "lastModified": last_modified(r.last_modified_ms),
                    "triggers": row.triggers,
                    "stats": stats,
                })
            })
            .collect();
        json_ok(&json!({ "generatedMs": now, "functions": functions }))
    }

    /// `GET functions/{name}`.
    pub(crate) async fn function(&self, name: &str) -> Reply {
        let row = self
            .rows()
            .await?
            .into_iter()
            .find(|r| r.view.record.name == name)
            .ok_or_else(|| not_found(name))?;
        let manifest = self.manifest.load_full();
        let deployed = self.api.dispatcher().registry().get(name);
        let record = &row.view.record;
        let (interface, task_dir, spec_env, outbound) = match &deployed {
            Some(d) => {
                let spec = d.function.spec();
                (
                    d.function.interface(),
                    spec.task_dir.clone(),
                    spec.env.clone(),
                    spec.allowed_outbound_hosts
                        .entries()
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>(),
                )
            }
            None => Default::default(),
        };
        let (grants, manifest_at, env) = match row.view.origin {
            Origin::Manifest => {
                let config = manifest.functions.get(name);
                let grants = json!({
                    "read": config.map(|c| c.objects.read.iter().collect::<Vec<_>>()).unwrap_or_default(),
                    "write": config.map(|c| c.objects.write.iter().collect::<Vec<_>>()).unwrap_or_default(),
                    "invoke": config.map(|c| c.invoke.clone()).unwrap_or_default(),
                });
                let at = json!({
                    "path": manifest.path.display().to_string(),
                    "line": manifest.function_lines.get(name),
                });
                (grants, at, spec_env.into_iter().collect::<BTreeMap<_, _>>())
            }
            Origin::Api => {
                let (store, owned) = (self.store.clone(), name.to_owned());
                let tags = blocking(move || Ok(store.function_tags(&owned)?)).await?;
                let listed = |key| fnhost_api::grants::listed(&tags, key);
                let grants = json!({
                    "read": listed(fnhost_api::grants::OBJECTS_READ_TAG),
                    "write": listed(fnhost_api::grants::OBJECTS_WRITE_TAG),
                    "invoke": listed(fnhost_api::calls::INVOKE_TAG),
                });
                (grants, Value::Null, record.env.clone())
            }
        };
        // A manifest function's size is its `.wasm`'s (uploads keep theirs in the record).
        let code_size = match manifest.functions.get(name) {
            Some(config) if row.view.origin == Origin::Manifest => {
                let source = config.source.clone();
                blocking(move || Ok(std::fs::metadata(&source).map_or(0, |m| m.len()))).await?
            }
            _ => record.code_size,
        };
        let files = match task_dir.clone() {
            Some(dir) => blocking(move || Ok(list_files(&dir))).await?,
            None => Vec::new(),
        };
        let state = fnhost_api::config::FunctionView::configuration(&row.view);
        json_ok(&json!({
            "name": record.name,
            "origin": origin(row.view.origin),
            "manifest": manifest_at,
            "runtime": record.runtime,
            "handler": record.handler,
            "kind": row.kind,
            "world": world(row.kind.as_deref()),
            "imports": interface.imports,
            "exports": interface.exports,
            "codeSize": code_size,
            "sha256": if record.code_sha256.is_empty() { deployed.as_ref().map(|d| d.function.info().sha256.clone()).unwrap_or_default() } else { record.code_sha256.clone() },
            "lastModified": last_modified(record.last_modified_ms),
            "state": record.state.as_str(),
            "stateReason": state.get("StateReason"),
            "lastUpdateStatus": state.get("LastUpdateStatus"),
            "memoryMb": record.memory_mb,
            "timeoutS": record.timeout_s,
            "ephemeralMb": record.ephemeral_storage_mb,
            "fuel": record.fuel,
            "env": env,
            "reservedConcurrency": deployed.as_ref().and_then(|d| d.reserved_concurrency),
            "triggers": row.triggers,
            "grants": grants,
            "layers": record.layers.iter().map(|l| json!({ "arn": l.arn, "codeSize": l.code_size })).collect::<Vec<_>>(),
            "allowedOutboundHosts": outbound,
            "files": files,
        }))
    }

    /// `GET functions/{name}/source?path=P`: one of its files as text.
    pub(crate) async fn source(&self, name: &str, path: &str) -> Reply {
        let deployed = self
            .api
            .dispatcher()
            .registry()
            .get(name)
            .ok_or_else(|| not_found(name))?;
        let dir = deployed
            .function
            .spec()
            .task_dir
            .clone()
            .ok_or_else(|| ConsoleError::NotFound(format!("function `{name}` has no files")))?;
        let relative = safe_relative(path)?;
        let (name, shown) = (name.to_owned(), path.to_owned());
        let text = blocking(move || read_text(&dir, &relative, &name, &shown)).await?;
        let mut response = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(text)));
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        Ok(response)
    }

    /// `GET functions/{name}/metrics?range=1h|24h|7d`.
    pub(crate) async fn metrics(&self, name: &str, range: &str) -> Reply {
        let now = fnhost_core::unix_ms();
        let window = match range {
            "1h" => MetricsRange::last_hour(now),
            "24h" => MetricsRange::last_day(now),
            "7d" => MetricsRange::last_week(now),
            other => {
                return Err(ConsoleError::BadRequest(format!(
                    "range `{other}` is not one of 1h, 24h, 7d"
                )));
            }
        };
        let (store, function) = (self.store.clone(), name.to_owned());
        let series = blocking(move || Ok(store.function_metrics(&function, window)?)).await?;
        let points: Vec<Value> = series
            .into_iter()
            .map(|p| {
                json!({
                    "t": p.t_ms,
                    "invocations": p.invocations,
                    "errors": p.errors,
                    "throttles": p.throttles,
                    "p50Ms": p.p50_ms,
                    "p95Ms": p.p95_ms,
                    "p99Ms": p.p99_ms,
                    "maxConcurrency": p.max_concurrency,
                    "queueDepth": p.queue_depth,
                    "queueAgeMs": p.queue_age_ms,
                })
            })
            .collect();
        json_ok(&json!({ "range": range, "stepMs": window.step_ms, "points": points }))
    }

    /// `GET functions/{name}/invocations?limit=N&before=MS`: newest first, one page.
    pub(crate) async fn invocations(&self, name: &str, query: &BTreeMap<String, String>) -> Reply {
        let limit = match query.get("limit") {
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| {
                    ConsoleError::BadRequest(format!("limit `{v}` is not from 1 to {MAX_PAGE}"))
                })?,
            None => 50,
        };
        // The cursor is `MS:N`: records started at or before MS, skipping the N started at MS
        // that the previous page showed (records are ordered by start, then id, newest first).
        let cursor = match query.get("before") {
            Some(v) => Some(parse_cursor(v).ok_or_else(|| {
                ConsoleError::BadRequest(format!("before `{v}` is not a cursor from `next`"))
            })?),
            None => None,
        };
        let (store, function) = (self.store.clone(), name.to_owned());
        let skip = cursor.map_or(0, |(_, n)| n);
        // One more than the page tells whether there is a next one.
        let mut records = blocking(move || {
            Ok(store.invocations(&InvocationQuery {
                function: Some(function),
                until_ms: cursor.map(|(ms, _)| ms),
                limit: limit + skip + 1,
                with_log: false,
                ..InvocationQuery::default()
            })?)
        })
        .await?;
        let (page, next) = page_of(&mut records, cursor, limit);
        let listed: Vec<Value> = page.iter().map(|r| invocation_json(r, false)).collect();
        json_ok(&json!({ "invocations": listed, "next": next }))
    }

    /// `GET invocations/{requestId}`: one record with its whole log.
    pub(crate) async fn invocation(&self, request_id: &str) -> Reply {
        let (store, id) = (self.store.clone(), request_id.to_owned());
        let record = blocking(move || Ok(store.invocation(&id)?))
            .await?
            .ok_or_else(|| {
                ConsoleError::NotFound(format!("no invocation has request id `{request_id}`"))
            })?;
        json_ok(&invocation_json(&record, true))
    }
}

/// An invocation record as the console shows it.
pub(crate) fn invocation_json(r: &InvocationRecord, with_log: bool) -> Value {
    let mut value = json!({
        "function": r.function,
        "requestId": r.request_id,
        "version": r.version,
        "startedMs": r.started_at_ms,
        "trigger": r.trigger.to_string(),
        "durationMs": r.duration_ms,
        "billedMs": r.billed_ms,
        "memoryMb": r.memory_mb,
        "maxMemoryUsedMb": r.max_memory_used_mb,
        "fuel": r.fuel,
        "errorType": r.error_type,
    });
    if with_log && let Some(object) = value.as_object_mut() {
        object.insert("log".into(), json!(r.log));
    }
    value
}

/// One page of `records` (read newest first from the cursor's time on, `limit + skip + 1` of
/// them): the records past the ones the cursor skips, and the cursor of the next page.
fn page_of(
    records: &mut Vec<InvocationRecord>,
    cursor: Option<(u64, usize)>,
    limit: usize,
) -> (Vec<InvocationRecord>, Option<String>) {
    let skip = cursor.map_or(0, |(_, n)| n);
    let mut page: Vec<InvocationRecord> = records.drain(skip.min(records.len())..).collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let next = match page.last() {
        Some(last) if more => {
            let same = page
                .iter()
                .filter(|r| r.started_at_ms == last.started_at_ms)
                .count();
            // Ties that began on an earlier page are skipped again.
            let carried = match cursor {
                Some((ms, n)) if ms == last.started_at_ms => n,
                _ => 0,
            };
            Some(format!("{}:{}", last.started_at_ms, same + carried))
        }
        _ => None,
    };
    (page, next)
}

/// `MS:N` (or `MS`, skipping none).
fn parse_cursor(text: &str) -> Option<(u64, usize)> {
    let (ms, skip) = text.split_once(':').unwrap_or((text, "0"));
    let skip: usize = skip.parse().ok()?;
    (skip <= 100_000).then_some(())?;
    Some((ms.parse().ok()?, skip))
}

fn origin(origin: Origin) -> &'static str {
    match origin {
        Origin::Manifest => "manifest",
        Origin::Api => "api",
    }
}

/// The WIT world a kind of code targets.
fn world(kind: Option<&str>) -> Option<&'static str> {
    match kind? {
        "handler" => Some("fnhost:function/handler"),
        "command" => Some("wasi:cli/command"),
        "module" => Some("wasi_snapshot_preview1 command"),
        _ => None,
    }
}

fn not_found(name: &str) -> ConsoleError {
    ConsoleError::NotFound(format!("function `{name}` does not exist"))
}

/// `path` as a relative path with normal components only.
fn safe_relative(path: &str) -> Result<PathBuf, ConsoleError> {
    let candidate = Path::new(path);
    let ok = !path.is_empty()
        && !path.contains('\0')
        && candidate
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(candidate.to_owned())
    } else {
        Err(ConsoleError::BadRequest(format!(
            "`{path}` is not a path inside the function's files"
        )))
    }
}

/// The text of `relative` under `dir`, which must stay inside `dir` (links included).
fn read_text(dir: &Path, relative: &Path, name: &str, shown: &str) -> Result<String, ConsoleError> {
    let missing = || ConsoleError::NotFound(format!("function `{name}` has no file `{shown}`"));
    let root = dir.canonicalize().map_err(|_| missing())?;
    let file = root.join(relative).canonicalize().map_err(|_| missing())?;
    if !file.starts_with(&root) {
        return Err(missing());
    }
    let meta = std::fs::metadata(&file).map_err(|_| missing())?;
    if !meta.is_file() {
        return Err(missing());
    }
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(ConsoleError::TooLarge(format!(
            "`{shown}` is {} bytes; the console shows files of up to {MAX_SOURCE_BYTES}",
            meta.len()
        )));
    }
    let bytes =
        std::fs::read(&file).map_err(|e| ConsoleError::internal("reading a function's file", e))?;
    String::from_utf8(bytes)
        .map_err(|_| ConsoleError::UnsupportedMediaType(format!("`{shown}` is not text")))
}

/// The regular files under `dir` (not following links), sorted, at most [`MAX_FILES`].
fn list_files(dir: &Path) -> Vec<Value> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file()
                && let Ok(rel) = path.strip_prefix(dir)
            {
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                files.push((rel.to_string_lossy().into_owned(), size));
            }
            if files.len() >= MAX_FILES {
                break;
            }
        }
        if files.len() >= MAX_FILES {
            break;
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|(path, size)| json!({ "path": path, "size": size }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages of 2 over records started at 5, 4, 4, 4, 3 (newest first), as the store answers
    /// each cursor: every record once, ties across pages included.
    #[test]
    fn pages_walk_back_through_ties_without_loss() {
        let all: Vec<(u64, &str)> = vec![(5, "e"), (4, "d3"), (4, "d2"), (4, "d1"), (3, "c")];
        let read = |cursor: Option<(u64, usize)>, limit: usize| {
            let skip = cursor.map_or(0, |(_, n)| n);
            all.iter()
                .filter(|(ms, _)| cursor.is_none_or(|(until, _)| *ms <= until))
                .take(limit + skip + 1)
                .map(|(ms, id)| InvocationRecord {
                    request_id: (*id).to_owned(),
                    function: "f".into(),
                    version: "$LATEST".into(),
                    trigger: fnhost_core::Trigger::Api,
                    started_at_ms: *ms,
                    duration_ms: 1.0,
                    billed_ms: 1,
                    memory_mb: 128,
                    max_memory_used_mb: 1,
                    fuel: None,
                    error_type: None,
                    log: String::new(),
                })
                .collect::<Vec<_>>()
        };
        let mut seen = Vec::new();
        let mut cursor = None;
        for _ in 0..10 {
            let mut records = read(cursor, 2);
            let (page, next) = page_of(&mut records, cursor, 2);
            seen.extend(page.into_iter().map(|r| r.request_id));
            match next {
                Some(text) => cursor = parse_cursor(&text),
                None => break,
            }
        }
        assert_eq!(seen, ["e", "d3", "d2", "d1", "c"]);
        assert_eq!(parse_cursor("12"), Some((12, 0)));
        assert_eq!(parse_cursor("x:1"), None);
    }

    #[test]
    fn only_paths_inside_the_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/app.py"), "print('hi')\n").unwrap();
        std::fs::write(dir.path().join("blob"), [0xff, 0xfe, 0]).unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("link")).unwrap();
        let read = |p: &str| safe_relative(p).and_then(|rel| read_text(dir.path(), &rel, "f", p));
        assert_eq!(read("pkg/app.py").unwrap(), "print('hi')\n");
        for bad in ["../x", "/etc/passwd", "pkg/../../x", ""] {
            assert!(
                matches!(read(bad), Err(ConsoleError::BadRequest(_))),
                "{bad}"
            );
        }
        assert!(matches!(read("link"), Err(ConsoleError::NotFound(_))));
        assert!(matches!(
            read("blob"),
            Err(ConsoleError::UnsupportedMediaType(_))
        ));
        assert!(matches!(read("nope"), Err(ConsoleError::NotFound(_))));
        let listed = list_files(dir.path());
        let paths: Vec<&str> = listed.iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert_eq!(paths, ["blob", "pkg/app.py"]);
    }
}
