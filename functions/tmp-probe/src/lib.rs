//! Fixture: probes the guest's file system (`/tmp`, `/var/task`, `/opt`) with `std::fs`.
//!
//! The event is one step or `{"steps": [step, …]}`; the answer is that step's result or the
//! list of results. A failed step answers `{"ok": false, "kind": "<io::ErrorKind>",
//! "errno": <raw WASI errno>, "error": "<text>"}` and the next steps still run. Steps:
//! - `{"write": {"path": P, "bytes": N}}` (`"append": true` to append) writes N bytes of a
//!   fixed pattern (byte i is `i % 251`) in 1 MiB chunks; answers `{"ok": true, "written": N}`
//!   or the error with `written` = what landed before it.
//! - `{"write_at": {"path": P, "bytes": N}}` is the same with positioned writes (`pwrite`).
//! - `{"text": {"path": P, "data": S}}` writes a string.
//! - `{"read": P}` answers `{"ok", "bytes", "pattern": <bytes match the pattern>, "text"?}`.
//! - `{"list": P}` answers the sorted names; `{"remove": P}`, `{"mkdir": P}`,
//!   `{"rename": [A, B]}`, `{"truncate": {"path": P, "len": N}}`, `{"exists": P}`.
//! - `{"env": true}` answers the environment; `{"sleep_ms": N}` sleeps; `{"spin": true}`
//!   loops forever; `{"fail": M}` ends the invocation with `ProbeError: M`.

use std::io::{Read as _, Write as _};
use std::time::Duration;

use fnhost_sdk::{Context, Diagnostic};
use serde_json::{Map, Value, json};

const CHUNK: usize = 1 << 20;

fn pattern(start: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| ((start + i) % 251) as u8).collect()
}

fn failed(e: &std::io::Error) -> Value {
    json!({
        "ok": false,
        "kind": format!("{:?}", e.kind()),
        "errno": e.raw_os_error(),
        "error": e.to_string(),
    })
}

fn path(v: &Value) -> String {
    v.as_str()
        .or_else(|| v.get("path").and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned()
}

fn write(args: &Value) -> Value {
    let path = path(args);
    let total = args.get("bytes").and_then(Value::as_u64).unwrap_or(0);
    let append = args.get("append").and_then(Value::as_bool).unwrap_or(false);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(&path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) => return failed(&e),
    };
    let mut written = 0u64;
    while written < total {
        let n = (total - written).min(CHUNK as u64) as usize;
        if let Err(e) = file.write_all(&pattern(written, n)) {
            let mut out = failed(&e);
            out["written"] = json!(written);
            return out;
        }
        written += n as u64;
    }
    if let Err(e) = file.flush() {
        return failed(&e);
    }
    json!({"ok": true, "written": written})
}

unsafe extern "C" {
    /// wasi-libc's `pwrite` (WASI `descriptor.write`); std's `write_at` is unstable on WASI.
    fn pwrite(fd: i32, buf: *const u8, len: usize, offset: i64) -> isize;
}

fn pwrite_all(file: &std::fs::File, mut buf: &[u8], mut at: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd as _;
    while !buf.is_empty() {
        // SAFETY: `buf` is valid for `buf.len()` bytes and `file` stays open for the call.
        let n = unsafe { pwrite(file.as_raw_fd(), buf.as_ptr(), buf.len(), at as i64) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        buf = &buf[n as usize..];
        at += n as u64;
    }
    Ok(())
}

/// Like `write`, with positioned writes (`pwrite`, WASI `descriptor.write`).
fn write_at(args: &Value) -> Value {
    let path = path(args);
    let total = args.get("bytes").and_then(Value::as_u64).unwrap_or(0);
    let file = match std::fs::File::create(&path) {
        Ok(f) => f,
        Err(e) => return failed(&e),
    };
    let mut written = 0u64;
    while written < total {
        let n = (total - written).min(CHUNK as u64) as usize;
        if let Err(e) = pwrite_all(&file, &pattern(written, n), written) {
            let mut out = failed(&e);
            out["written"] = json!(written);
            return out;
        }
        written += n as u64;
    }
    json!({"ok": true, "written": written})
}

fn read(p: &str) -> Value {
    let mut file = match std::fs::File::open(p) {
        Ok(f) => f,
        Err(e) => return failed(&e),
    };
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    let mut matches = true;
    let mut head = Vec::new();
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return failed(&e),
        };
        if head.len() < 4096 {
            head.extend_from_slice(&buf[..n.min(4096 - head.len())]);
        }
        matches &= buf[..n] == pattern(total, n)[..];
        total += n as u64;
    }
    let mut out = json!({"ok": true, "bytes": total, "pattern": matches});
    if total <= 4096
        && let Ok(text) = String::from_utf8(head)
    {
        out["text"] = json!(text);
    }
    out
}

fn list(p: &str) -> Value {
    match std::fs::read_dir(p) {
        Ok(entries) => {
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            json!({"ok": true, "names": names})
        }
        Err(e) => failed(&e),
    }
}

fn done(r: std::io::Result<()>) -> Value {
    match r {
        Ok(()) => json!({"ok": true}),
        Err(e) => failed(&e),
    }
}

fn step(step: &Value) -> Result<Value, Diagnostic> {
    let Some((name, args)) = step.as_object().and_then(|o| o.iter().next()) else {
        return Ok(json!({"ok": false, "error": "a step is an object with one key"}));
    };
    Ok(match name.as_str() {
        "write" => write(args),
        "text" => done(std::fs::write(
            path(args),
            args.get("data").and_then(Value::as_str).unwrap_or_default(),
        )),
        "write_at" => write_at(args),
        "read" => read(&path(args)),
        "list" => list(&path(args)),
        "remove" => done(std::fs::remove_file(path(args))),
        "mkdir" => done(std::fs::create_dir(path(args))),
        "rename" => done(std::fs::rename(path(&args[0]), path(&args[1]))),
        "truncate" => done(
            std::fs::OpenOptions::new()
                .write(true)
                .open(path(args))
                .and_then(|f| f.set_len(args.get("len").and_then(Value::as_u64).unwrap_or(0))),
        ),
        "exists" => json!({"ok": true, "exists": std::fs::metadata(path(args)).is_ok()}),
        "env" => {
            let vars: Map<String, Value> = std::env::vars().map(|(k, v)| (k, json!(v))).collect();
            json!({"ok": true, "env": vars})
        }
        "sleep_ms" => {
            std::thread::sleep(Duration::from_millis(args.as_u64().unwrap_or(0)));
            json!({"ok": true})
        }
        "spin" => loop {
            std::hint::spin_loop();
        },
        "fail" => {
            return Err(Diagnostic::new(
                "ProbeError",
                args.as_str().unwrap_or("asked to fail"),
            ));
        }
        other => json!({"ok": false, "error": format!("unknown step `{other}`")}),
    })
}

fn probe(event: Value, _ctx: &Context) -> Result<Value, Diagnostic> {
    match event.get("steps").and_then(Value::as_array) {
        Some(steps) => steps
            .iter()
            .map(step)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        None => step(&event),
    }
}

fnhost_sdk::handler!(probe);
