//! `runtime`, `handler` and `code`: source runtimes that fnhost packages itself, and the text
//! users read when the combination is wrong.

use std::path::Path;

use fnhost_manifest::{Runtime, SourceLanguage, packaged_source};

use crate::{error, parse};

/// A manifest with one function `app` holding `lines`.
fn app(lines: &str) -> String {
    format!("manifest_version = 1\n\n[function.app]\n{lines}")
}

#[test]
fn python_runtime_packages_code_with_the_default_handler() {
    let manifest = parse(&app("runtime = \"python3.12\"\ncode = \"functions/app\"\n")).unwrap();
    let f = manifest.function("app").unwrap();
    assert_eq!(f.runtime, Runtime::Python { minor: 12 });
    assert_eq!(f.runtime.language(), Some(SourceLanguage::Python));
    assert_eq!(f.handler.as_deref(), Some("lambda_function.lambda_handler"));
    assert_eq!(f.code.as_deref(), Some(Path::new("/proj/functions/app")));
    assert_eq!(f.source, Path::new("/proj/.fnhost/packages/app.wasm"));
    assert_eq!(f.source, packaged_source(Path::new("/proj/.fnhost"), "app"));
    assert_eq!(f.build, None);
}

#[test]
fn node_runtime_with_a_handler_and_a_zip() {
    let manifest = parse(&app(
        "runtime = \"nodejs22.x\"\nhandler = \"src/app.main\"\ncode = \"app.zip\"\n",
    ))
    .unwrap();
    let f = manifest.function("app").unwrap();
    assert_eq!(f.runtime, Runtime::Node { major: 22 });
    assert_eq!(f.handler.as_deref(), Some("src/app.main"));
    assert_eq!(f.code.as_deref(), Some(Path::new("/proj/app.zip")));
}

#[test]
fn every_lambda_name_is_accepted_even_deprecated_ones() {
    for runtime in [
        "python3.6",
        "python3.14",
        "nodejs",
        "nodejs4.3",
        "nodejs24.x",
    ] {
        let manifest = parse(&app(&format!(
            "runtime = \"{runtime}\"\ncode = \"functions/app\"\n"
        )))
        .unwrap_or_else(|e| panic!("{runtime}: {e}"));
        assert_eq!(manifest.functions["app"].runtime.to_string(), runtime);
    }
    for runtime in ["wasm", "provided", "provided.al2", "provided.al2023"] {
        let manifest = parse(&app(&format!(
            "runtime = \"{runtime}\"\nsource = \"app.wasm\"\n"
        )))
        .unwrap();
        let f = &manifest.functions["app"];
        assert_eq!(f.runtime.to_string(), runtime);
        assert_eq!(
            (f.handler.as_deref(), f.source.as_path()),
            (None, Path::new("/proj/app.wasm"))
        );
    }
}

#[test]
fn the_default_runtime_is_a_prebuilt_component() {
    let manifest = parse(&app("source = \"app.wasm\"\n")).unwrap();
    assert_eq!(manifest.functions["app"].runtime, Runtime::Wasm);
    assert_eq!(manifest.functions["app"].handler, None);
}

#[test]
fn unknown_runtime_lists_the_accepted_names() {
    assert_eq!(
        error(&app("runtime = \"java21\"\ncode = \"x\"\n")),
        "fnhost.toml:4: function `app`: unknown runtime `java21`: fnhost packages Python and \
         JavaScript from source; for other languages build a WebAssembly component and use \
         `python3.6` … `python3.14` (all run CPython 3.14), `nodejs`, `nodejs4.3`, `nodejs6.10`, \
         `nodejs8.10`, `nodejs10.x` … `nodejs24.x` (even majors; all run QuickJS), `wasm` (a \
         prebuilt component, the default) or `provided`, `provided.al2`, `provided.al2023` (a \
         prebuilt component too)"
    );
}

#[test]
fn source_runtime_without_code() {
    assert_eq!(
        error(&app("runtime = \"python3.12\"\n")),
        "fnhost.toml:3: function `app` (runtime `python3.12`): missing `code`; \
         add `code = \"functions/app\"`"
    );
}

#[test]
fn source_runtime_with_source_or_build() {
    assert_eq!(
        error(&app(
            "runtime = \"python3.12\"\ncode = \"functions/app\"\nsource = \"app.wasm\"\n"
        )),
        "fnhost.toml:6: function `app`: runtime `python3.12` is packaged by fnhost from `code`, \
         so `source` does not apply; remove `source` (or set `runtime = \"wasm\"` to run a \
         prebuilt component)"
    );
    assert_eq!(
        error(&app(
            "runtime = \"nodejs22.x\"\ncode = \"functions/app\"\nbuild = \"make\"\n"
        )),
        "fnhost.toml:6: function `app`: runtime `nodejs22.x` is packaged by fnhost from `code`, \
         so `build` does not apply; remove `build` (or set `runtime = \"wasm\"` to run a \
         prebuilt component)"
    );
}

#[test]
fn handler_on_a_prebuilt_component() {
    assert_eq!(
        error(&app("source = \"app.wasm\"\nhandler = \"main\"\n")),
        "fnhost.toml:5: function `app`: `handler` applies to the python3.x and nodejs runtimes, \
         not `wasm`; remove it, or set `runtime` (e.g. `runtime = \"python3.14\"`) and `code` to \
         have fnhost package the source"
    );
}

#[test]
fn malformed_handlers() {
    assert_eq!(
        error(&app(
            "runtime = \"python3.13\"\ncode = \"x\"\nhandler = \"lambda_handler\"\n"
        )),
        "fnhost.toml:6: function `app`: handler `lambda_handler` is malformed (Bad handler \
         'lambda_handler': not enough values to unpack (expected 2, got 1)); write \
         MODULE.FUNCTION, e.g. `lambda_function.lambda_handler`"
    );
    assert_eq!(
        error(&app(
            "runtime = \"nodejs20.x\"\ncode = \"x\"\nhandler = \"../index.handler\"\n"
        )),
        "fnhost.toml:6: function `app`: handler `../index.handler` is malformed ('../' not \
         allowed in handler name); write MODULE.FUNCTION, e.g. `index.handler`"
    );
}
