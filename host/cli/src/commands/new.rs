//! `fnhost new NAME --runtime python|nodejs|rust|c`: write a working function the way
//! `sam init` and `spin new` do: its handler under `functions/NAME/`, a `[function.NAME]` table
//! appended to `fnhost.toml` (created when absent) and a test event `events/NAME.json`.
//!
//! Every runtime's function is Lambda's getting-started handler and gives the same answer to
//! the same event. Python and JavaScript are sources fnhost packages itself (`runtime`,
//! `handler`, `code`); Rust is a Cargo crate built against fnhost's Rust SDK, written once per
//! version under `.fnhost/sdk/<version>/` (a fresh directory has no fnhost checkout to point
//! at); C is a custom runtime built by its own `build.sh` with clang and wasi-libc.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use fnhost_manifest::{MANIFEST_FILE, Manifest};

use crate::project::Globals;

/// Arguments of `fnhost new`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The function's name: 1–64 letters, digits, `-` or `_` (Lambda's rule).
    name: String,
    /// The language to write it in.
    #[arg(long, short = 'r', value_enum)]
    runtime: Language,
    /// The project directory (holding fnhost.toml; created if missing). Default: the
    /// directory of `--manifest`, else of the nearest fnhost.toml, else this directory.
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// The languages `fnhost new` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Language {
    /// Python 3.12 source (`lambda_function.lambda_handler`), packaged by fnhost.
    Python,
    /// Node.js 22 ES module (`index.handler`), packaged by fnhost.
    Nodejs,
    /// A Rust crate using fnhost's SDK, built with cargo for wasm32-wasip2.
    Rust,
    /// A custom runtime in C, built with clang and wasi-libc.
    C,
}

/// The Lambda runtime names the source languages are declared with.
const PYTHON_RUNTIME: &str = "python3.12";
const NODE_RUNTIME: &str = "nodejs22.x";

/// fnhost's Rust SDK and the guest ABI, as embedded in this binary: paths relative to the
/// SDK's directory (`fnhost-sdk/…` for the crate, `wit/…` for the ABI it generates bindings
/// from). The unit test `the_embedded_sdk_is_complete` keeps the list in step with the tree.
const SDK_FILES: &[(&str, &str)] = &[
    (
        "fnhost-sdk/src/lib.rs",
        include_str!("../../../../guest-sdk/src/lib.rs"),
    ),
    (
        "fnhost-sdk/src/bindings.rs",
        include_str!("../../../../guest-sdk/src/bindings.rs"),
    ),
    (
        "fnhost-sdk/src/context.rs",
        include_str!("../../../../guest-sdk/src/context.rs"),
    ),
    (
        "fnhost-sdk/src/diagnostic.rs",
        include_str!("../../../../guest-sdk/src/diagnostic.rs"),
    ),
    (
        "fnhost-sdk/src/events.rs",
        include_str!("../../../../guest-sdk/src/events.rs"),
    ),
    (
        "fnhost-sdk/src/functions.rs",
        include_str!("../../../../guest-sdk/src/functions.rs"),
    ),
    (
        "fnhost-sdk/src/handler.rs",
        include_str!("../../../../guest-sdk/src/handler.rs"),
    ),
    (
        "fnhost-sdk/src/http.rs",
        include_str!("../../../../guest-sdk/src/http.rs"),
    ),
    (
        "fnhost-sdk/src/http/error.rs",
        include_str!("../../../../guest-sdk/src/http/error.rs"),
    ),
    (
        "fnhost-sdk/src/http/transport.rs",
        include_str!("../../../../guest-sdk/src/http/transport.rs"),
    ),
    (
        "fnhost-sdk/src/http/url.rs",
        include_str!("../../../../guest-sdk/src/http/url.rs"),
    ),
    (
        "fnhost-sdk/src/key.rs",
        include_str!("../../../../guest-sdk/src/key.rs"),
    ),
    (
        "fnhost-sdk/src/objects.rs",
        include_str!("../../../../guest-sdk/src/objects.rs"),
    ),
    (
        "wit/handler.wit",
        include_str!("../../../../wit/handler.wit"),
    ),
    (
        "wit/deps/README.md",
        include_str!("../../../../wit/deps/README.md"),
    ),
    (
        "wit/deps/cli/cli.wit",
        include_str!("../../../../wit/deps/cli/cli.wit"),
    ),
    (
        "wit/deps/clocks/clocks.wit",
        include_str!("../../../../wit/deps/clocks/clocks.wit"),
    ),
    (
        "wit/deps/filesystem/filesystem.wit",
        include_str!("../../../../wit/deps/filesystem/filesystem.wit"),
    ),
    (
        "wit/deps/http/http.wit",
        include_str!("../../../../wit/deps/http/http.wit"),
    ),
    (
        "wit/deps/io/io.wit",
        include_str!("../../../../wit/deps/io/io.wit"),
    ),
    (
        "wit/deps/random/random.wit",
        include_str!("../../../../wit/deps/random/random.wit"),
    ),
    (
        "wit/deps/sockets/sockets.wit",
        include_str!("../../../../wit/deps/sockets/sockets.wit"),
    ),
];

/// The SDK crate's manifest (the repository's uses workspace keys a lone crate cannot).
const SDK_CARGO_TOML: &str = include_str!("../../templates/rust/sdk-Cargo.toml");

/// The C example's program; its opening comment is replaced by [`C_HEADER`].
const C_PROGRAM: &str = include_str!("../../../../functions/c-hello/hello.c");
const C_HEADER: &str = include_str!("../../templates/c/header.c");

/// One file to write, relative to the project directory.
struct File {
    path: PathBuf,
    text: String,
    executable: bool,
}

/// Everything `fnhost new` writes for one function.
struct Plan {
    files: Vec<File>,
    /// The `[function.NAME]` table appended to the manifest.
    entry: String,
    /// Whether the Rust SDK must be written under `.fnhost/sdk/<version>/`.
    sdk: bool,
}

/// The version directory of the embedded SDK, relative to the project directory.
fn sdk_dir() -> PathBuf {
    Path::new(".fnhost/sdk").join(env!("CARGO_PKG_VERSION"))
}

fn fill(template: &str, name: &str) -> String {
    template
        .replace("{{name}}", name)
        .replace("{{version}}", env!("CARGO_PKG_VERSION"))
}

/// Rust keywords and the crates every program links: names Cargo refuses or that would shadow
/// them as a library name.
const RUST_RESERVED: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "gen",
    "macro",
    "override",
    "priv",
    "typeof",
    "unsized",
    "virtual",
    "yield",
    "try",
    "std",
    "core",
    "alloc",
    "proc_macro",
    "test",
];

/// Check `name` as Lambda does, and as Cargo does for a Rust crate.
fn check_name(name: &str, language: Language) -> Result<()> {
    if !fnhost_api::name::is_valid_name(name) {
        bail!(
            "`{name}` is not a function name; use 1 to 64 letters, digits, `-` or `_` (Lambda's rule)"
        );
    }
    if language == Language::Rust {
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            bail!(
                "`{name}` cannot name a Rust crate, which may not start with a digit; choose another name"
            );
        }
        if RUST_RESERVED.contains(&name.replace('-', "_").as_str()) {
            bail!(
                "`{name}` cannot name a Rust crate (a keyword or a standard crate); choose another name"
            );
        }
    }
    Ok(())
}

fn plan(name: &str, language: Language) -> Plan {
    let dir = Path::new("functions").join(name);
    let file = |path: PathBuf, template: &str| File {
        path,
        text: fill(template, name),
        executable: false,
    };
    let event = file(
        Path::new("events").join(format!("{name}.json")),
        include_str!("../../templates/event.json"),
    );
    let run =
        format!("# Written by `fnhost new`; try it: fnhost invoke {name} -e events/{name}.json\n");
    let source_entry = |runtime: &str, handler: &str| {
        format!(
            "{run}[function.{name}]\nruntime = \"{runtime}\"\nhandler = \"{handler}\"\ncode = \"functions/{name}\"\n"
        )
    };
    match language {
        Language::Python => Plan {
            files: vec![
                file(
                    dir.join("lambda_function.py"),
                    include_str!("../../templates/python/lambda_function.py"),
                ),
                event,
            ],
            entry: source_entry(PYTHON_RUNTIME, "lambda_function.lambda_handler"),
            sdk: false,
        },
        Language::Nodejs => Plan {
            files: vec![
                file(
                    dir.join("index.mjs"),
                    include_str!("../../templates/nodejs/index.mjs"),
                ),
                event,
            ],
            entry: source_entry(NODE_RUNTIME, "index.handler"),
            sdk: false,
        },
        Language::Rust => {
            let mut cargo = fill(include_str!("../../templates/rust/Cargo.toml"), name);
            let sdk = Path::new("../..").join(sdk_dir()).join("fnhost-sdk");
            cargo = cargo.replace("{{sdk}}", &sdk.to_string_lossy());
            let wasm = format!(
                "functions/{name}/target/wasm32-wasip2/release/{}.wasm",
                name.replace('-', "_")
            );
            Plan {
                files: vec![
                    File {
                        path: dir.join("Cargo.toml"),
                        text: cargo,
                        executable: false,
                    },
                    file(
                        dir.join("src/lib.rs"),
                        include_str!("../../templates/rust/src/lib.rs"),
                    ),
                    file(dir.join(".gitignore"), "/target\n"),
                    event,
                ],
                entry: format!(
                    "{run}[function.{name}]\nsource = \"{wasm}\"\nbuild = {{ command = \"cargo build --release --target wasm32-wasip2\", workdir = \"functions/{name}\", watch = [\"functions/{name}/src/**/*.rs\", \"functions/{name}/Cargo.toml\"] }}\n"
                ),
                sdk: true,
            }
        }
        Language::C => {
            let body = C_PROGRAM
                .split_once("*/\n")
                .map_or(C_PROGRAM, |(_, rest)| rest);
            let wasm = format!("functions/{name}/target/{name}.wasm");
            Plan {
                files: vec![
                    File {
                        path: dir.join("main.c"),
                        text: format!("{}{body}", fill(C_HEADER, name)),
                        executable: false,
                    },
                    File {
                        path: dir.join("build.sh"),
                        text: fill(include_str!("../../templates/c/build.sh"), name),
                        executable: true,
                    },
                    file(dir.join(".gitignore"), "/target\n"),
                    event,
                ],
                entry: format!(
                    "{run}[function.{name}]\nsource = \"{wasm}\"\nbuild = {{ command = \"sh functions/{name}/build.sh {wasm}\", watch = [\"functions/{name}/*.c\", \"functions/{name}/build.sh\"] }}\n"
                ),
                sdk: false,
            }
        }
    }
}

/// The project directory and its manifest path.
fn project(globals: &Globals, dir: Option<PathBuf>) -> Result<(PathBuf, PathBuf)> {
    if let Some(dir) = dir {
        let manifest = match &globals.manifest {
            Some(path) => path.clone(),
            None => dir.join(MANIFEST_FILE),
        };
        return Ok((dir, manifest));
    }
    if let Some(path) = &globals.manifest {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        return Ok((dir, path.clone()));
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    match Manifest::find(&cwd) {
        Some(path) => {
            let dir = path.parent().map_or_else(|| cwd.clone(), Path::to_path_buf);
            Ok((dir, path))
        }
        None => Ok((cwd.clone(), cwd.join(MANIFEST_FILE))),
    }
}

/// Whether the manifest text already declares `[function.NAME]` (read as TOML only, so that
/// a manifest the current fnhost would refuse for another reason is still appended to).
fn declares(text: &str, name: &str, path: &Path) -> Result<bool> {
    let table: toml::Table = toml::from_str(text).with_context(|| {
        format!(
            "`{}` is not valid TOML; fix it before adding a function",
            path.display()
        )
    })?;
    Ok(table
        .get("function")
        .and_then(|f| f.as_table())
        .is_some_and(|f| f.contains_key(name)))
}

/// Write the files of `plan`; on failure remove the function directory again.
fn write_files(root: &Path, name: &str, plan: &Plan) -> Result<()> {
    for file in &plan.files {
        let path = root.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        std::fs::write(&path, &file.text)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        if file.executable {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .with_context(|| format!("cannot make `{}` executable", path.display()))?;
        }
    }
    if plan.sdk {
        write_sdk(root).with_context(|| format!("cannot write the Rust SDK for `{name}`"))?;
    }
    Ok(())
}

/// Write the embedded SDK under `.fnhost/sdk/<version>/` unless it is there already: into a
/// temporary directory first, renamed into place, so that a half-written SDK is never used.
fn write_sdk(root: &Path) -> Result<()> {
    let dir = root.join(sdk_dir());
    if dir.join("fnhost-sdk/Cargo.toml").exists() {
        return Ok(());
    }
    let parent = dir.parent().unwrap_or(root);
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create `{}`", parent.display()))?;
    let temp = tempdir_in(parent)?;
    let mut files: Vec<(&str, String)> = SDK_FILES
        .iter()
        .map(|(path, text)| (*path, (*text).to_owned()))
        .collect();
    files.push(("fnhost-sdk/Cargo.toml", fill(SDK_CARGO_TOML, "")));
    for (path, text) in files {
        let path = temp.join(path);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)
                .with_context(|| format!("cannot create `{}`", p.display()))?;
        }
        std::fs::write(&path, text)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    if dir.exists() {
        // An incomplete SDK left by an interrupted older write.
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot replace `{}`", dir.display()))?;
    }
    std::fs::rename(&temp, &dir).with_context(|| format!("cannot write `{}`", dir.display()))
}

/// A fresh, uniquely named directory in `parent`.
fn tempdir_in(parent: &Path) -> Result<PathBuf> {
    let path = parent.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir(&path).with_context(|| format!("cannot create `{}`", path.display()))?;
    Ok(path)
}

/// Warn about a missing toolchain now rather than at the first build.
fn toolchain_hint(language: Language) -> Option<String> {
    match language {
        Language::Rust => {
            let libdir = std::process::Command::new("rustc")
                .args(["--print", "target-libdir", "--target", "wasm32-wasip2"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
            match libdir {
                Some(dir) if dir.is_dir() => None,
                Some(_) => Some("the Rust target wasm32-wasip2 is not installed: rustup target add wasm32-wasip2".into()),
                None => Some("building needs Rust (https://rustup.rs) and its wasm32-wasip2 target: rustup target add wasm32-wasip2".into()),
            }
        }
        Language::C => {
            let sdk = std::env::var_os("WASI_SDK_PATH")
                .is_some_and(|p| Path::new(&p).join("bin/clang").exists());
            let debian = Path::new("/usr/lib/wasm32-wasi/libc.a").exists()
                && std::process::Command::new("clang")
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success());
            (!sdk && !debian).then(|| {
                "building needs clang and wasi-libc: apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32, or set WASI_SDK_PATH to a WASI SDK".into()
            })
        }
        Language::Python | Language::Nodejs => None,
    }
}

/// Run `fnhost new`.
pub fn run(globals: &Globals, args: Args) -> Result<bool> {
    let Args {
        name,
        runtime: language,
        dir,
    } = args;
    check_name(&name, language)?;
    let (root, manifest) = project(globals, dir)?;
    let plan = plan(&name, language);

    let existing = match std::fs::read_to_string(&manifest) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", manifest.display())),
    };
    if let Some(text) = &existing
        && declares(text, &name, &manifest)?
    {
        bail!(
            "`{}` already declares function `{name}`; choose another name or remove `[function.{name}]`",
            manifest.display()
        );
    }
    let function_dir = root.join("functions").join(&name);
    if function_dir.exists() {
        bail!(
            "`{}` already exists; choose another name or remove it",
            function_dir.display()
        );
    }
    for file in &plan.files {
        let path = root.join(&file.path);
        if path.exists() {
            bail!(
                "`{}` already exists; choose another name or remove it",
                path.display()
            );
        }
    }

    std::fs::create_dir_all(&root)
        .with_context(|| format!("cannot create `{}`", root.display()))?;
    if let Err(err) = write_files(&root, &name, &plan) {
        // Leave nothing half-made behind: the function directory is new (checked above).
        let _ = std::fs::remove_dir_all(&function_dir);
        let _ = std::fs::remove_file(root.join("events").join(format!("{name}.json")));
        return Err(err);
    }

    // Append only: what the manifest holds stays byte for byte.
    let mut addition = String::new();
    match &existing {
        None => addition.push_str("manifest_version = 1\n"),
        Some(text) if !text.is_empty() && !text.ends_with('\n') => addition.push('\n'),
        Some(_) => {}
    }
    addition.push('\n');
    addition.push_str(&plan.entry);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&manifest)
        .with_context(|| format!("cannot open `{}`", manifest.display()))?;
    std::io::Write::write_all(&mut file, addition.as_bytes())
        .with_context(|| format!("cannot write `{}`", manifest.display()))?;

    println!(
        "{}",
        summary(&name, language, &root, &manifest, &plan, existing.is_none())
    );
    if let Some(hint) = toolchain_hint(language) {
        eprintln!("warning: {hint}");
    }
    Ok(true)
}

/// What was written and what to run next.
fn summary(
    name: &str,
    language: Language,
    root: &Path,
    manifest: &Path,
    plan: &Plan,
    created: bool,
) -> String {
    let kind = match language {
        Language::Python => PYTHON_RUNTIME,
        Language::Nodejs => NODE_RUNTIME,
        Language::Rust => "Rust, wasm32-wasip2",
        Language::C => "C custom runtime, wasm32-wasi",
    };
    let mut out = format!("Created function `{name}` ({kind}):\n");
    for file in &plan.files {
        let _ = writeln!(out, "  {}", file.path.display());
    }
    if plan.sdk {
        let _ = writeln!(out, "  {}/ (fnhost's Rust SDK)", sdk_dir().display());
    }
    let verb = if created { "created with" } else { "appended" };
    let _ = writeln!(out, "  {} ({verb} [function.{name}])", manifest.display());
    out.push_str("\nNext:\n");
    let here = std::env::current_dir().ok();
    if here.as_deref() != Some(root) && root != Path::new(".") {
        let _ = writeln!(out, "  cd {}", root.display());
    }
    let _ = writeln!(out, "  fnhost invoke {name} -e events/{name}.json");
    let _ = write!(
        out,
        "  fnhost up                                   # serve it locally\n  fnhost deploy {name} --endpoint http://HOST:9000  # push it to a running fnhost"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// Every file of guest-sdk/src and wit/ is embedded, with its current text.
    #[test]
    fn the_embedded_sdk_is_complete() {
        let mut on_disk = Vec::new();
        for (dir, prefix) in [("guest-sdk/src", "fnhost-sdk/src"), ("wit", "wit")] {
            let base = repo().join(dir);
            let mut stack = vec![base.clone()];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        stack.push(path);
                    } else {
                        let rel = path
                            .strip_prefix(&base)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned();
                        on_disk.push((
                            format!("{prefix}/{rel}"),
                            std::fs::read_to_string(&path).unwrap(),
                        ));
                    }
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<(String, String)> = SDK_FILES
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect();
        embedded.sort();
        let names = |v: &[(String, String)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&embedded),
            names(&on_disk),
            "add or remove entries of SDK_FILES"
        );
        assert_eq!(embedded, on_disk);
    }

    /// The lone SDK crate asks for the versions and features the workspace builds it with.
    #[test]
    fn the_sdk_manifest_matches_the_workspace() {
        let read = |p: &str| -> toml::Table {
            toml::from_str(&std::fs::read_to_string(repo().join(p)).unwrap()).unwrap()
        };
        let workspace = read("Cargo.toml");
        let sdk = read("guest-sdk/Cargo.toml");
        let lone: toml::Table = toml::from_str(&fill(SDK_CARGO_TOML, "")).unwrap();
        let shared = &workspace["workspace"]["dependencies"];
        let deps = sdk["dependencies"].as_table().unwrap();
        let lone_deps = lone["dependencies"].as_table().unwrap();
        assert_eq!(
            deps.keys().collect::<Vec<_>>(),
            lone_deps.keys().collect::<Vec<_>>()
        );
        let version = |v: &toml::Value| match v {
            toml::Value::String(s) => s.clone(),
            t => t["version"].as_str().unwrap().to_owned(),
        };
        let features = |v: Option<&toml::Value>| -> Vec<String> {
            let mut f: Vec<String> = v
                .and_then(|v| v.get("features"))
                .and_then(|f| f.as_array())
                .map(|a| a.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            f.sort();
            f
        };
        for (name, spec) in deps {
            let base = &shared[name.as_str()];
            assert_eq!(version(&lone_deps[name]), version(base), "{name}");
            let mut want = features(Some(base));
            want.extend(features(Some(spec)));
            want.sort();
            want.dedup();
            assert_eq!(features(lone_deps.get(name)), want, "{name}");
        }
        assert_eq!(
            lone["package"]["version"].as_str(),
            Some(env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn names_follow_lambdas_rule_and_cargos_for_rust() {
        for ok in ["hello", "a", "my-fn_2", &"x".repeat(64)] {
            check_name(ok, Language::Python).unwrap();
        }
        for bad in ["", "a b", "../x", "é", &"x".repeat(65)] {
            let err = check_name(bad, Language::Python).unwrap_err().to_string();
            assert!(err.contains("Lambda's rule"), "{err}");
        }
        check_name("2fast", Language::C).unwrap();
        assert!(check_name("2fast", Language::Rust).is_err());
        assert!(check_name("fn", Language::Rust).is_err());
        assert!(check_name("proc-macro", Language::Rust).is_err());
    }

    #[test]
    fn manifest_entries_are_valid_toml_with_the_expected_keys() {
        for language in [
            Language::Python,
            Language::Nodejs,
            Language::Rust,
            Language::C,
        ] {
            let plan = plan("my-fn", language);
            let table: toml::Table = toml::from_str(&plan.entry).unwrap();
            let f = &table["function"]["my-fn"];
            match language {
                Language::Python => {
                    assert_eq!(f["runtime"].as_str(), Some("python3.12"));
                    assert_eq!(
                        f["handler"].as_str(),
                        Some("lambda_function.lambda_handler")
                    );
                    assert_eq!(f["code"].as_str(), Some("functions/my-fn"));
                }
                Language::Nodejs => {
                    assert_eq!(f["runtime"].as_str(), Some("nodejs22.x"));
                    assert_eq!(f["handler"].as_str(), Some("index.handler"));
                }
                Language::Rust => {
                    assert_eq!(
                        f["source"].as_str(),
                        Some("functions/my-fn/target/wasm32-wasip2/release/my_fn.wasm")
                    );
                    assert_eq!(f["build"]["workdir"].as_str(), Some("functions/my-fn"));
                }
                Language::C => {
                    assert!(
                        f["build"]["command"]
                            .as_str()
                            .unwrap()
                            .starts_with("sh functions/my-fn/build.sh")
                    );
                }
            }
            for file in &plan.files {
                assert!(
                    !["{{name}}", "{{sdk}}", "{{version}}"]
                        .iter()
                        .any(|p| file.text.contains(p)),
                    "{}: {}",
                    file.path.display(),
                    file.text
                );
            }
        }
        let c = plan("my-fn", Language::C);
        let main = &c.files[0].text;
        assert!(main.starts_with("/*\n * my-fn: "), "{main}");
        assert!(main.contains("int main(void)"));
        assert!(!main.contains("functions/c-hello"));
    }
}
