//! Lambda's handler settings: which file a handler names, and Lambda's error when it is not
//! there. Checked in Rust before any tool runs, so a missing module is reported in a
//! millisecond with the text Lambda's runtime would give on the first invocation.
//!
//! Python (awslambdaric's `bootstrap.py`): the module is everything before the last `.`, with `/`
//! read as `.` (`pkg/app.handler` imports `pkg.app`). Node.js (the runtime interface client's
//! `UserFunction.js`): the module is everything up to the first `.` after the last `/`, tried as
//! `.js`, `.mjs` and `.cjs` (`src/app.main` loads `src/app.js`).

use std::path::{Path, PathBuf};

use fnhost_core::runtimes::SourceLanguage;

use crate::PackageError;

/// Lambda's error type for a module that cannot be imported.
const IMPORT_MODULE_ERROR: &str = "Runtime.ImportModuleError";
/// Lambda's error type for a handler setting it cannot split.
const MALFORMED_HANDLER_NAME: &str = "Runtime.MalformedHandlerName";

/// The file `handler` loads in `code` (a directory), or Lambda's error for it.
pub fn handler_file(
    language: SourceLanguage,
    handler: &str,
    code: &Path,
) -> Result<PathBuf, PackageError> {
    match language {
        SourceLanguage::Python => python(handler, code),
        SourceLanguage::Node => node(handler, code),
    }
}

fn failure(error_type: &str, message: String) -> PackageError {
    PackageError::HandlerNotFound {
        error_type: error_type.to_owned(),
        message,
    }
}

fn python(handler: &str, code: &Path) -> Result<PathBuf, PackageError> {
    let (module, _function) = SourceLanguage::Python
        .split_handler(handler)
        .map_err(|e| failure(MALFORMED_HANDLER_NAME, e.message))?;
    // Lambda names the module as written (`pkg/app`), then Python's own dotted name.
    let written = handler.rsplit_once('.').map_or(handler, |(m, _)| m);
    let not_found = |name: &str| {
        failure(
            IMPORT_MODULE_ERROR,
            format!("Unable to import module '{written}': No module named '{name}'"),
        )
    };
    let parts: Vec<&str> = module.split('/').collect();
    // `..` or `.` would leave the function's code (Python names cannot hold either anyway).
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains(['\\', '\0']))
    {
        return Err(not_found(&parts.join(".")));
    }
    // Packages first: the first one missing is the name Python reports (a directory without
    // `__init__.py` is a namespace package, importable too).
    let mut dir = code.to_path_buf();
    for (i, part) in parts[..parts.len() - 1].iter().enumerate() {
        dir.push(part);
        if !dir.is_dir() {
            return Err(not_found(&parts[..=i].join(".")));
        }
    }
    let last = parts[parts.len() - 1];
    let file = dir.join(format!("{last}.py"));
    if file.is_file() {
        return Ok(file);
    }
    let package = dir.join(last).join("__init__.py");
    if package.is_file() {
        return Ok(package);
    }
    Err(not_found(&parts.join(".")))
}

fn node(handler: &str, code: &Path) -> Result<PathBuf, PackageError> {
    let (module, _function) = SourceLanguage::Node
        .split_handler(handler)
        .map_err(|e| failure(MALFORMED_HANDLER_NAME, e.message))?;
    let (root, name) = module.rsplit_once('/').unwrap_or(("", &module));
    let not_found = || {
        failure(
            IMPORT_MODULE_ERROR,
            format!("Error: Cannot find module '{name}'"),
        )
    };
    // An absolute module root, or a `..` in it, would leave the function's code (and bundle
    // a file of the host's into the function).
    if module.starts_with('/')
        || module.contains(['\\', '\0'])
        || module.split('/').any(|p| p == ".." || p == ".")
    {
        return Err(not_found());
    }
    let dir = code.join(root);
    ["js", "mjs", "cjs"]
        .iter()
        .map(|ext| dir.join(format!("{name}.{ext}")))
        .find(|file| file.is_file())
        .ok_or_else(not_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        dir
    }

    fn error(result: Result<PathBuf, PackageError>) -> (String, String) {
        match result {
            Err(PackageError::HandlerNotFound {
                error_type,
                message,
            }) => (error_type, message),
            other => panic!("expected HandlerNotFound, got {other:?}"),
        }
    }

    /// An uploader's handler setting never reaches files outside the package: a host file
    /// named by `..` is "not found", exactly like a missing one.
    #[test]
    fn handlers_cannot_climb_out_of_the_code() {
        let outer = code(&["secret.py", "secret.js", "pkg/app.py"]);
        let inner = outer.path().join("pkg");
        let refused = |kind: &str| [IMPORT_MODULE_ERROR, MALFORMED_HANDLER_NAME].contains(&kind);
        for handler in [
            "../secret.handler",
            "pkg/../../secret.handler",
            "./app.handler",
        ] {
            let (kind, _) = error(python(handler, &inner));
            assert!(refused(&kind), "{handler}: {kind}");
        }
        for handler in [
            "../secret.handler",
            "x/../../secret.handler",
            "./app.handler",
        ] {
            let (kind, _) = error(node(handler, &inner));
            assert!(refused(&kind), "{handler}: {kind}");
        }
        assert!(python("app.handler", &inner).is_ok());
    }

    #[test]
    fn python_finds_modules_and_packages() {
        let dir = code(&["lambda_function.py", "pkg/app.py", "pkg/sub/__init__.py"]);
        let py = |h: &str| python(h, dir.path());
        assert_eq!(
            py("lambda_function.lambda_handler").unwrap(),
            dir.path().join("lambda_function.py")
        );
        assert_eq!(
            py("pkg/app.handler").unwrap(),
            dir.path().join("pkg/app.py")
        );
        assert_eq!(
            py("pkg.app.handler").unwrap(),
            dir.path().join("pkg/app.py")
        );
        assert_eq!(
            py("pkg.sub.handler").unwrap(),
            dir.path().join("pkg/sub/__init__.py")
        );
    }

    #[test]
    fn python_missing_module_is_lambdas_import_error() {
        let dir = code(&["app.py"]);
        let py = |h: &str| error(python(h, dir.path()));
        assert_eq!(
            py("lambda_function.lambda_handler"),
            (
                "Runtime.ImportModuleError".into(),
                "Unable to import module 'lambda_function': No module named 'lambda_function'"
                    .into()
            )
        );
        assert_eq!(
            py("pkg/app.handler").1,
            "Unable to import module 'pkg/app': No module named 'pkg'"
        );
        assert_eq!(
            py("/etc/passwd.x").1,
            "Unable to import module '/etc/passwd': No module named '.etc.passwd'"
        );
        assert_eq!(
            py("handler"),
            (
                "Runtime.MalformedHandlerName".into(),
                "Bad handler 'handler': not enough values to unpack (expected 2, got 1)".into()
            )
        );
    }

    #[test]
    fn node_tries_each_extension_after_the_last_slash() {
        let dir = code(&["index.mjs", "src/app.cjs", "lib.v2/main.js"]);
        let js = |h: &str| node(h, dir.path());
        assert_eq!(js("index.handler").unwrap(), dir.path().join("index.mjs"));
        assert_eq!(js("src/app.main").unwrap(), dir.path().join("src/app.cjs"));
        assert_eq!(
            js("lib.v2/main.handlers.get").unwrap(),
            dir.path().join("lib.v2/main.js")
        );
    }

    #[test]
    fn node_missing_module_is_lambdas_import_error() {
        let dir = code(&["app.js"]);
        let js = |h: &str| error(node(h, dir.path()));
        assert_eq!(
            js("index.handler"),
            (
                "Runtime.ImportModuleError".into(),
                "Error: Cannot find module 'index'".into()
            )
        );
        assert_eq!(js("src/app.main").1, "Error: Cannot find module 'app'");
        assert_eq!(js("/app.handler").1, "Error: Cannot find module 'app'");
        assert_eq!(
            js("../app.handler"),
            (
                "Runtime.MalformedHandlerName".into(),
                "'../' not allowed in handler name".into()
            )
        );
        assert_eq!(js("index").1, "Bad handler");
        assert_eq!(js("src/.handler").1, "Bad handler");
    }
}
