//! Running the embedded packaging scripts for one function and reading what they say.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use fnhost_core::runtimes::SourceLanguage;

use crate::sdk::{
    self, COMPONENTIZE_PY_VERSION, COMPONENTIZE_QJS_VERSION, ESBUILD_VERSION, FINGERPRINT,
    GUEST_PYTHON, JS_LOCK_HASH,
};
use crate::{PackageError, handler_file};

/// Packages Python and Node.js source into components with the embedded scripts. Cheap to
/// create; [`Packager::package`] may run on several threads at once.
#[derive(Debug, Clone)]
pub struct Packager {
    tools: PathBuf,
    fingerprint: String,
    /// The niceness the scripts run with (`None`: the host's).
    nice: Option<u8>,
}

/// One function to package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Python or Node.js.
    pub language: SourceLanguage,
    /// Lambda's handler setting (`lambda_function.lambda_handler`, `index.handler`).
    pub handler: String,
    /// The function's code: a directory (what a Lambda deployment package holds, unzipped).
    pub code: PathBuf,
    /// The function's layers merged as `/opt`, if it has any.
    pub opt_dir: Option<PathBuf>,
    /// Where the component goes (written atomically: a temporary file renamed into place).
    pub out: PathBuf,
}

/// A packaged function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packaged {
    /// The component, as [`Request::out`].
    pub out: PathBuf,
    /// The error every invocation will report, when the handler's module was found but cannot
    /// be loaded (`errorType: message`, e.g. its top-level code raised): Lambda's init error.
    pub init_error: Option<String>,
}

/// The default tools directory: `$FNHOST_TOOLS_DIR`, else `$XDG_CACHE_HOME/fnhost`, else
/// `~/.cache/fnhost`.
pub fn default_tools_dir() -> PathBuf {
    let env = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = env("FNHOST_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(cache) = env("XDG_CACHE_HOME") {
        return PathBuf::from(cache).join("fnhost");
    }
    match env("HOME") {
        Some(home) => PathBuf::from(home).join(".cache").join("fnhost"),
        None => std::env::temp_dir().join("fnhost-cache"),
    }
}

/// Distinguishes the temporary outputs of packagings running at once in one process.
static NEXT_TMP: AtomicU64 = AtomicU64::new(0);

impl Packager {
    /// A packager whose tools (componentize-py, the npm tools, the extracted scripts) live in
    /// `tools_dir`; `None` means [`default_tools_dir`].
    pub fn new(tools_dir: Option<PathBuf>) -> Self {
        Packager {
            tools: tools_dir.unwrap_or_else(default_tools_dir),
            fingerprint: FINGERPRINT.to_owned(),
            nice: None,
        }
    }

    /// The same packager, running its scripts at a lower priority (`nice -n niceness`): for
    /// work in the background that must not slow what the host serves.
    pub fn niced(mut self, niceness: u8) -> Self {
        self.nice = Some(niceness);
        self
    }

    /// Where the tools are installed.
    pub fn tools_dir(&self) -> &Path {
        &self.tools
    }

    /// Hash of everything that decides the output besides the request (embedded SDK + tool
    /// versions).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Blocking. Packages `request.code` (a directory) into `request.out`, passing each line
    /// the scripts print to `progress`. The first packaging of each language installs its
    /// tools under the tools directory (a download, once).
    pub fn package(
        &self,
        request: &Request,
        progress: &dyn Fn(&str),
    ) -> Result<Packaged, PackageError> {
        check_code(request)?;
        self.check_tools(request.language)?;
        let sdk = sdk::extract(&self.tools)?;
        let script = sdk::script(&sdk, request.language);

        let parent = match request.out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(PackageError::io(format!(
            "cannot create `{}`",
            parent.display()
        )))?;
        let name = request
            .out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "function.wasm".into());
        let tmp = parent.join(format!(
            ".{name}.{}.{}.tmp.wasm",
            std::process::id(),
            NEXT_TMP.fetch_add(1, Ordering::Relaxed)
        ));

        let started = Instant::now();
        let (ok, lines) = self.run(self.command(&script, request, &tmp), progress);
        let ok = match ok {
            Ok(ok) => ok,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        if !ok || !tmp.is_file() {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.classify(request.language, &lines));
        }
        std::fs::rename(&tmp, &request.out).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            PackageError::Io(format!("cannot write `{}`", request.out.display()), e)
        })?;
        tracing::info!(
            code = %request.code.display(),
            handler = %request.handler,
            out = %request.out.display(),
            ms = started.elapsed().as_millis() as u64,
            "packaged"
        );
        Ok(Packaged {
            out: request.out.clone(),
            init_error: init_error(&lines),
        })
    }

    /// The packaging script's command line and environment.
    fn command(&self, script: &Path, request: &Request, out: &Path) -> Command {
        let mut command = self.script(script);
        command
            .arg(&request.code)
            .arg(out)
            .arg("--handler")
            .arg(&request.handler);
        match &request.opt_dir {
            Some(opt) => command.env("FNHOST_OPT_DIR", opt),
            None => command.env_remove("FNHOST_OPT_DIR"),
        };
        command
    }

    /// `bash script` with the tools directory, and never the admin API's secret: packaging
    /// runs the uploader's code (the snapshot imports the handler).
    pub(crate) fn script(&self, script: &Path) -> Command {
        let mut command = match self.nice {
            Some(n) if on_path("nice") => {
                let mut nice = Command::new("nice");
                nice.arg("-n").arg(n.to_string()).arg("bash");
                nice
            }
            _ => Command::new("bash"),
        };
        command
            .arg(script)
            .env("FNHOST_TOOLS_DIR", &self.tools)
            .env_remove(fnhost_core::env::ADMIN_SECRET_KEY_ENV);
        command
    }

    /// Run a packaging script's `command`, streaming its output (stdout and stderr,
    /// interleaved as printed) to `progress`. Whether it succeeded, and every line.
    pub(crate) fn run(
        &self,
        mut command: Command,
        progress: &dyn Fn(&str),
    ) -> (Result<bool, PackageError>, Vec<String>) {
        let mut lines = Vec::new();
        let spawned = (|| {
            let (reader, writer) = std::io::pipe().map_err(PackageError::io(
                "cannot create a pipe for the packaging script",
            ))?;
            let writer2 = writer.try_clone().map_err(PackageError::io(
                "cannot create a pipe for the packaging script",
            ))?;
            let program = command
                .get_args()
                .next()
                .map(|a| a.to_string_lossy().into_owned());
            command
                .stdin(Stdio::null())
                .stdout(Stdio::from(writer))
                .stderr(Stdio::from(writer2));
            let child = command.spawn().map_err(PackageError::io(format!(
                "cannot run `bash {}`",
                program.unwrap_or_default()
            )))?;
            // The command holds the pipe's write ends until dropped; the reader sees the end
            // of the output only when every write end is closed.
            drop(command);
            Ok::<_, PackageError>((child, reader))
        })();
        let (mut child, reader) = match spawned {
            Ok(spawned) => spawned,
            Err(e) => return (Err(e), lines),
        };
        let mut reader = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\n', '\r']);
                    progress(line);
                    lines.push(line.to_owned());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let status = child
            .wait()
            .map(|s| s.success())
            .map_err(PackageError::io("cannot wait for the packaging script"));
        (status, lines)
    }

    /// Refuse early, with what to install, when a program the script needs is missing.
    pub(crate) fn check_tools(&self, language: SourceLanguage) -> Result<(), PackageError> {
        let missing = |tool: &str, install: &str| PackageError::ToolMissing {
            tool: tool.to_owned(),
            install: install.to_owned(),
        };
        if !on_path("bash") {
            return Err(missing(
                "bash",
                "install bash to run fnhost's packaging scripts",
            ));
        }
        match language {
            SourceLanguage::Python => {
                if !on_path("python3") {
                    return Err(missing(
                        "python3",
                        "install Python 3.10 or later, with its venv module, to package Python \
                         functions (Debian/Ubuntu: `apt-get install python3 python3-venv`)",
                    ));
                }
                let installed = self
                    .tools
                    .join(format!("componentize-py-{COMPONENTIZE_PY_VERSION}"))
                    .join(".installed");
                if !installed.is_file() {
                    let has_pip = Command::new("python3")
                        .args(["-c", "import ensurepip, venv"])
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status()
                        .is_ok_and(|s| s.success());
                    if !has_pip {
                        return Err(missing(
                            "pip",
                            &format!(
                                "install Python's venv module, which brings pip, so fnhost can \
                                 install componentize-py {COMPONENTIZE_PY_VERSION} once \
                                 (Debian/Ubuntu: `apt-get install python3-venv`)"
                            ),
                        ));
                    }
                }
            }
            SourceLanguage::Node => {
                if !on_path("node") {
                    return Err(missing(
                        "node",
                        "install Node.js 20 or later to package JavaScript functions \
                         (Debian/Ubuntu: `apt-get install nodejs npm`)",
                    ));
                }
                let installed = self
                    .tools
                    .join(format!("js-{JS_LOCK_HASH}"))
                    .join(".installed");
                if !installed.is_file() && !on_path("npm") {
                    return Err(missing(
                        "npm",
                        &format!(
                            "install npm so fnhost can install componentize-qjs \
                             {COMPONENTIZE_QJS_VERSION} and esbuild {ESBUILD_VERSION} once \
                             (Debian/Ubuntu: `apt-get install npm`)"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The error for a failed run, from its output.
    pub(crate) fn classify(&self, language: SourceLanguage, lines: &[String]) -> PackageError {
        // Which download was under way, from the scripts' own progress lines.
        let phase = lines.iter().rev().find_map(|line| {
            if line.starts_with("fnhost: installing componentize-py") {
                Some((format!("componentize-py {COMPONENTIZE_PY_VERSION}"), "PyPI"))
            } else if line.starts_with("fnhost: installing") && line.contains("requirements.txt") {
                Some((
                    format!("the packages of requirements.txt (pure-Python wheels for CPython {GUEST_PYTHON})"),
                    "PyPI",
                ))
            } else if line.starts_with("fnhost: installing the JavaScript packaging tools") {
                Some((
                    format!(
                        "componentize-qjs {COMPONENTIZE_QJS_VERSION} and esbuild {ESBUILD_VERSION}"
                    ),
                    "the npm registry",
                ))
            } else {
                None
            }
        });
        if let Some((what, registry)) = phase
            && let Some(detail) = lines.iter().rev().find(|l| is_network_error(l))
        {
            return PackageError::Offline {
                what,
                registry: registry.to_owned(),
                tools_dir: self.tools.clone(),
                detail: detail.trim().to_owned(),
            };
        }
        if let Some(line) = lines
            .iter()
            .find(|l| l.contains("python3 3.10 or later is needed"))
        {
            return PackageError::ToolMissing {
                tool: "python3".into(),
                install: format!(
                    "{}; install Python 3.10 or later (Debian/Ubuntu: `apt-get install python3 \
                     python3-venv`)",
                    line.trim_start_matches("error: ")
                ),
            };
        }
        // What the script said after its last install step, the end of it.
        let start = lines
            .iter()
            .rposition(|l| l.starts_with("fnhost: installing"))
            .map_or(0, |i| i + 1);
        let tail: Vec<&str> = lines[start..]
            .iter()
            .map(String::as_str)
            .filter(|l| !l.trim().is_empty())
            .collect();
        let tail = &tail[tail.len().saturating_sub(40)..];
        let message = if tail.is_empty() {
            format!(
                "the {} packaging script failed without a message",
                language.name()
            )
        } else {
            tail.join("\n")
        };
        PackageError::Failed { message }
    }
}

/// Refuse a request whose code is not a directory or lacks the handler's module (Lambda's
/// `Runtime.ImportModuleError`), before anything runs.
pub(crate) fn check_code(request: &Request) -> Result<(), PackageError> {
    if !request.code.is_dir() {
        return Err(PackageError::Failed {
            message: format!(
                "the code `{}` is not a directory; give the directory holding the handler's \
                 module",
                request.code.display()
            ),
        });
    }
    handler_file(request.language, &request.handler, &request.code).map(drop)
}

/// Whether `program` is an executable file in a directory of `$PATH`.
fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(program))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// A line in which pip or npm says it could not reach the registry.
fn is_network_error(line: &str) -> bool {
    const SIGNS: &[&str] = &[
        // pip (urllib3)
        "NewConnectionError",
        "Failed to establish a new connection",
        "Temporary failure in name resolution",
        "Name or service not known",
        "Network is unreachable",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ProxyError",
        "Could not fetch URL",
        // npm
        "ENOTFOUND",
        "EAI_AGAIN",
        "ECONNREFUSED",
        "ECONNRESET",
        "ETIMEDOUT",
        "ENETUNREACH",
        "network request to",
    ];
    SIGNS.iter().any(|sign| line.contains(sign))
}

/// The init error package.sh reports as a warning: the handler's module was found but cannot
/// be loaded. The line after the warning holds `errorType: message` (the message may go on
/// over further lines, up to the hint that ends the warning).
fn init_error(lines: &[String]) -> Option<String> {
    let at = lines
        .iter()
        .position(|l| l.contains("cannot be loaded; every invocation will fail with:"))?;
    let body: Vec<&str> = lines[at + 1..]
        .iter()
        .take_while(|l| !l.starts_with("  (top-level code runs at build time"))
        .map(String::as_str)
        .collect();
    let text = body.join("\n");
    let text = text.strip_prefix("  ").unwrap_or(&text).trim_end();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn init_errors_are_read_from_the_warning() {
        let out = lines(
            "fnhost: warning: app.handler cannot be loaded; every invocation will fail with:\n  \
             KeyError: 'TABLE'\n  (top-level code runs at build time: read environment variables inside the handler)\n\
             fnhost: packaged x/app.py (handler app.handler) -> out.wasm (40.1 MB)",
        );
        assert_eq!(init_error(&out).as_deref(), Some("KeyError: 'TABLE'"));
        assert_eq!(init_error(&lines("fnhost: packaged x")), None);
    }

    #[test]
    fn offline_installs_say_so() {
        let packager = Packager::new(Some(PathBuf::from("/tools")));
        let pip = lines(&format!(
            "fnhost: installing componentize-py {COMPONENTIZE_PY_VERSION} into /tools/x, once\n\
             WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError(\"<pip._vendor.urllib3.connection.HTTPSConnection object>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution\")': /simple/componentize-py/\n\
             ERROR: Could not find a version that satisfies the requirement componentize-py=={COMPONENTIZE_PY_VERSION} (from versions: none)"
        ));
        let err = packager.classify(SourceLanguage::Python, &pip);
        assert!(matches!(err, PackageError::Offline { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "cannot download componentize-py {COMPONENTIZE_PY_VERSION} from PyPI: are you offline?"
            )),
            "{text}"
        );

        let npm = lines(
            "fnhost: installing the JavaScript packaging tools (componentize-qjs, esbuild; npm ci) into /tools/js, once\n\
             npm error code EAI_AGAIN\n\
             npm error request to https://registry.npmjs.org/esbuild failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org",
        );
        let text = packager.classify(SourceLanguage::Node, &npm).to_string();
        assert!(
            text.starts_with(&format!(
                "cannot download componentize-qjs {COMPONENTIZE_QJS_VERSION} and esbuild {ESBUILD_VERSION} from the npm registry: are you offline?"
            )),
            "{text}"
        );
    }

    #[test]
    fn other_failures_keep_the_scripts_words() {
        let packager = Packager::new(Some(PathBuf::from("/tools")));
        // requirements.txt naming a package without a pure-Python wheel is not "offline".
        let out = lines(
            "fnhost: installing fn/requirements.txt (pure-Python wheels for CPython 3.14) into /tools/d\n\
             ERROR: No matching distribution found for numpy\n\
             error: installing requirements.txt failed; only pure-Python packages (py3-none-any wheels) can run in a WebAssembly function",
        );
        match packager.classify(SourceLanguage::Python, &out) {
            PackageError::Failed { message } => {
                assert!(message.contains("only pure-Python packages"), "{message}");
                assert!(!message.contains("fnhost: installing"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let err = packager.classify(SourceLanguage::Node, &[]);
        assert_eq!(
            err.to_string(),
            "packaging failed: the Node.js packaging script failed without a message"
        );
    }

    /// The uploader's code runs while it is packaged: the admin secret is not passed on.
    #[test]
    fn packaging_never_inherits_the_admin_secret() {
        let packager = Packager::new(Some(PathBuf::from("/nonexistent-tools")));
        let request = Request {
            language: SourceLanguage::Python,
            handler: "lambda_function.lambda_handler".into(),
            code: PathBuf::from("/code"),
            opt_dir: None,
            out: PathBuf::from("/out.wasm"),
        };
        let command = packager.command(Path::new("package.sh"), &request, Path::new("/o"));
        let secret = command
            .get_envs()
            .find(|(k, _)| *k == fnhost_core::env::ADMIN_SECRET_KEY_ENV);
        assert_eq!(
            secret,
            Some((
                std::ffi::OsStr::new(fnhost_core::env::ADMIN_SECRET_KEY_ENV),
                None
            )),
            "the secret must be removed from the packaging environment"
        );
    }

    #[test]
    fn default_tools_dir_prefers_the_environment() {
        // Read only: tests run in parallel, so the environment is not changed here.
        let dir = default_tools_dir();
        match std::env::var_os("FNHOST_TOOLS_DIR").filter(|v| !v.is_empty()) {
            Some(v) => assert_eq!(dir, PathBuf::from(v)),
            None => assert!(dir.ends_with("fnhost") || dir.ends_with("fnhost-cache")),
        }
    }
}
