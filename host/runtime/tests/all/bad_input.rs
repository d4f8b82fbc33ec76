//! Bad code and bad events: clear errors, no panic, nothing half-written.

use fnhost_runtime::{InvokeRequest, MAX_EVENT_BYTES, RuntimeError};

use crate::support::*;

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn malformed_wasm_is_not_wasm() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let p = write(
        dir.path(),
        "junk.wasm",
        &[0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3],
    );
    let err = rt.load(spec("junk"), &p).unwrap_err();
    assert!(matches!(err, RuntimeError::NotWasm { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("missing the `\\0asm` magic number"),
        "{err}"
    );
    assert!(
        !dir.path().join("artifacts").exists()
            || std::fs::read_dir(dir.path().join("artifacts"))
                .unwrap()
                .count()
                <= 1
    );
}

#[test]
fn truncated_wasm_fails_to_compile() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let hello = std::fs::read(wasm("hello")).unwrap();
    let p = write(dir.path(), "cut.wasm", &hello[..hello.len() / 3]);
    let err = rt.load(spec("cut"), &p).unwrap_err();
    assert!(matches!(err, RuntimeError::Compile { .. }), "{err}");
    assert!(!err.to_string().contains('\n'), "one line: {err}");
}

#[test]
fn unsatisfiable_imports_are_refused_with_the_import_named() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let p = write(
        dir.path(),
        "needs.wat",
        br#"(component (import "acme:secret/keys@1.0.0" (instance (export "get" (func)))))"#,
    );
    let err = rt.load(spec("needs"), &p).unwrap_err();
    assert!(matches!(err, RuntimeError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("acme:secret/keys@1.0.0"), "{err}");

    let core = write(
        dir.path(),
        "core.wat",
        br#"(module (import "env" "launch" (func)) (func (export "_start")))"#,
    );
    let err = rt.load(spec("core"), &core).unwrap_err();
    assert!(err.to_string().contains("launch"), "{err}");
}

#[test]
fn wasm_that_exports_nothing_callable_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let p = write(
        dir.path(),
        "lib.wat",
        br#"(module (func (export "add") (param i32 i32) (result i32) local.get 0))"#,
    );
    let err = rt.load(spec("lib"), &p).unwrap_err();
    assert!(err.to_string().contains("no `_start` export"), "{err}");
    let c = write(dir.path(), "empty.wat", b"(component)");
    let err = rt.load(spec("empty"), &c).unwrap_err();
    assert!(err.to_string().contains("exports nothing"), "{err}");
}

#[test]
fn memory64_guests_say_the_wasm32_limit() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let p = write(
        dir.path(),
        "m64.wat",
        br#"(module (memory i64 1) (func (export "_start")))"#,
    );
    let err = rt.load(spec("m64"), &p).unwrap_err();
    assert!(
        err.to_string()
            .contains("wasm32 guests can use at most 4096 MB"),
        "{err}"
    );
}

#[tokio::test]
async fn bad_events_are_refused_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("hello"), "hello");
    let err = rt
        .invoke(
            &f,
            InvokeRequest::new("{not json", fnhost_runtime::Trigger::Cli),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::InvalidEvent(_)), "{err}");
    let err = rt
        .invoke(
            &f,
            InvokeRequest::new(
                vec![b' '; MAX_EVENT_BYTES + 1],
                fnhost_runtime::Trigger::Cli,
            ),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::EventTooLarge { .. }), "{err}");
    let err = rt
        .invoke(
            &f,
            InvokeRequest::new(vec![0xff, 0xfe], fnhost_runtime::Trigger::Cli),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::InvalidEvent(_)), "{err}");
    assert_healthy(&rt).await;
}

#[test]
fn missing_file_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = runtime(dir.path())
        .load(spec("gone"), &dir.path().join("gone.wasm"))
        .unwrap_err();
    assert!(err.to_string().starts_with("cannot read `"), "{err}");
}
