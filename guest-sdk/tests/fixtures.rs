//! Checks on fixtures under `functions/` that are not Rust crates.

use wasmparser::{Parser, Payload, TypeRef, Validator};

/// `functions/echo-wat/echo.wat` must be a valid WASI preview1 command: imports only the three
/// preview1 functions it uses, exports `memory` and `_start`.
#[test]
fn echo_wat_is_a_wasi_p1_command() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../functions/echo-wat/echo.wat"
    );
    let wasm = wat::parse_file(path).unwrap();
    Validator::new().validate_all(&wasm).unwrap();

    let mut imports = Vec::new();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(&wasm) {
        match payload.unwrap() {
            Payload::ImportSection(section) => {
                for import in section.into_imports() {
                    let import = import.unwrap();
                    assert!(matches!(import.ty, TypeRef::Func(_)), "{}", import.name);
                    imports.push(format!("{}::{}", import.module, import.name));
                }
            }
            Payload::ExportSection(section) => {
                for export in section {
                    exports.push(export.unwrap().name.to_string());
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        imports,
        [
            "wasi_snapshot_preview1::fd_read",
            "wasi_snapshot_preview1::fd_write",
            "wasi_snapshot_preview1::proc_exit",
        ]
    );
    assert_eq!(exports, ["memory", "_start"]);
}
