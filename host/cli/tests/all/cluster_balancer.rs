//! A cluster behind a real load balancer: a throwaway PostgreSQL (fnhost_testpg) as the shared
//! store, three real `fnhost up` processes on loopback sharing it and one manifest, and Debian's
//! HAProxy in front of them, configured as deploy/local-cluster.sh configures it (health checks
//! on the health endpoint every 500 ms, out after one 503, retries with redispatch). A rolling
//! restart of every node under continuous load loses no request; a function uploaded with boto3
//! through one node answers through HAProxy from every node, and an update made through another
//! node reaches them all.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::up::{function, get, raw_metrics, state_dir, without_node};

const HEALTH: &str = "/.well-known/fnhost/health";
/// How long a node keeps serving after SIGTERM with its health at 503: four of HAProxy's
/// 500 ms check intervals, so that it is out of rotation before its listener closes.
const DRAIN_DELAY_S: &str = "2";
/// Concurrent load clients, each with its own keep-alive connections to HAProxy.
const CLIENTS: usize = 16;

/// HAProxy from PATH (or /usr/sbin, which a non-root PATH may lack). Missing, the test fails:
/// these tests are part of what CI runs, and `.ci/postgres.sh` installs it.
fn haproxy_bin() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("haproxy"))
        .find(|bin| bin.is_file())
        .unwrap_or_else(|| {
            panic!(
                "haproxy is not installed (not on PATH, not in /usr/sbin): \
                 run `bash .ci/postgres.sh`, which installs Debian's haproxy and postgresql"
            )
        })
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Appends every line of `stream` to `into`, on a thread of its own.
fn pump(stream: impl std::io::Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let mut text = into.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
}

/// One `fnhost up` of the cluster: a fixed HTTP address (HAProxy's configuration names it, and
/// a restart keeps it), a state directory of its own, the shared manifest and store.
struct Node {
    name: String,
    http: SocketAddr,
    /// The admin listener of the running process (a free port, new at each start).
    admin: SocketAddr,
    manifest: PathBuf,
    store: String,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// Everything every start of this node printed.
    output: Arc<Mutex<String>>,
}

impl Node {
    fn new(index: usize, manifest: &Path, store: &str) -> Node {
        Node {
            name: format!("node{index}"),
            http: SocketAddr::from((Ipv4Addr::LOCALHOST, free_port())),
            admin: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            manifest: manifest.to_owned(),
            store: store.to_owned(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
            output: Arc::new(Mutex::new(String::new())),
        }
    }

    /// Starts the process and waits for its `listening on` line (the listener is bound then).
    fn start(&mut self) {
        assert!(self.child.is_none(), "{} already runs", self.name);
        let start_at = self.output().len();
        let mut child = Command::new(env!("CARGO_BIN_EXE_fnhost"))
            .arg("-f")
            .arg(&self.manifest)
            .args(["up", "--no-build", "-q", "--admin", "127.0.0.1:0"])
            .args(["--listen", &self.http.to_string(), "--node", &self.name])
            .args(["--store", &self.store, "--drain-delay-s", DRAIN_DELAY_S])
            .env("FNHOST_STATE_DIR", state_dir(self.dir.path()))
            .env_remove("FNHOST_LISTEN")
            .env_remove("FNHOST_ADMIN")
            .env_remove("FNHOST_ADMIN_AUTH")
            .env_remove("FNHOST_STORE")
            .env_remove("FNHOST_NODE")
            .env_remove("FNHOST_DRAIN_DELAY_S")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn fnhost up");
        pump(child.stdout.take().unwrap(), self.output.clone());
        pump(child.stderr.take().unwrap(), self.output.clone());
        let listening = format!("listening on http://{}", self.http);
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let printed = self.output()[start_at..].to_owned();
            if printed.lines().any(|line| line == listening) {
                self.admin = printed
                    .lines()
                    .find_map(|line| line.strip_prefix("admin: http://"))
                    .and_then(|addr| addr.parse().ok())
                    .unwrap_or_else(|| panic!("{}: no `admin:` line in {printed}", self.name));
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("{} exited with {status} at start:\n{printed}", self.name);
            }
            assert!(
                Instant::now() < deadline,
                "{} did not start:\n{printed}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    /// SIGTERM, then the exit: the drain delay, then in-flight requests finish.
    fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the node runs");
        // SAFETY: plain kill(2) on our own child's pid.
        assert_eq!(
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) },
            0
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit after SIGTERM:\n{}",
                self.name,
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// HAProxy in front of the nodes' HTTP listeners, with a stats page to read its view from.
struct Balancer {
    front: SocketAddr,
    stats: SocketAddr,
    child: Child,
    output: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Balancer {
    /// The configuration deploy/local-cluster.sh runs (deploy/haproxy-cfg.sh); this test
    /// uses its HTTP front and stats page.
    fn config(front: SocketAddr, stats: SocketAddr, nodes: &[Node]) -> String {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/haproxy-cfg.sh");
        let admin = free_port();
        let out = Command::new("bash")
            .arg(&script)
            .args(["--port", &front.port().to_string()])
            .args(["--admin-port", &admin.to_string()])
            .args(["--stats-port", &stats.port().to_string()])
            .args(
                nodes
                    .iter()
                    .map(|node| format!("{}={},{}", node.name, node.http, node.admin)),
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn start(nodes: &[Node]) -> Balancer {
        let bin = haproxy_bin();
        let dir = tempfile::tempdir().unwrap();
        let front = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
        let stats = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, Self::config(front, stats, nodes)).unwrap();
        let check = Command::new(&bin)
            .args(["-c", "-q", "-f"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "haproxy -c: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let mut child = Command::new(&bin)
            .args(["-db", "-f"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn haproxy");
        let output = Arc::new(Mutex::new(String::new()));
        pump(child.stdout.take().unwrap(), output.clone());
        pump(child.stderr.take().unwrap(), output.clone());
        // Listening once both frontends accept connections.
        let deadline = Instant::now() + Duration::from_secs(30);
        while [front, stats]
            .iter()
            .any(|addr| std::net::TcpStream::connect(addr).is_err())
        {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("haproxy exited with {status}:\n{}", output.lock().unwrap());
            }
            assert!(Instant::now() < deadline, "haproxy does not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Balancer {
            front,
            stats,
            child,
            output,
            _dir: dir,
        }
    }

    /// Each server's status (`UP`, `DOWN`, `UP 1/2`, ...) and 2xx responses so far, from the
    /// stats page's CSV (its columns named by its header line).
    async fn servers(&mut self) -> BTreeMap<String, (String, u64)> {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!(
                "haproxy exited with {status}:\n{}",
                self.output.lock().unwrap()
            );
        }
        let (status, _, csv) = get(&format!("http://{}/;csv", self.stats)).await;
        assert_eq!(status, 200, "{csv}");
        let mut lines = csv.lines();
        let header: Vec<&str> = lines
            .next()
            .unwrap()
            .trim_start_matches("# ")
            .split(',')
            .collect();
        let column = |name: &str| {
            header
                .iter()
                .position(|c| *c == name)
                .unwrap_or_else(|| panic!("no column {name} in {csv}"))
        };
        let (px, sv, st, ok) = (
            column("pxname"),
            column("svname"),
            column("status"),
            column("hrsp_2xx"),
        );
        lines
            .map(|line| line.split(',').collect::<Vec<_>>())
            .filter(|row| row.len() > ok && row[px] == "nodes_http" && row[sv].starts_with("node"))
            .map(|row| {
                let served = row[ok].parse().unwrap_or(0);
                (row[sv].to_owned(), (row[st].to_owned(), served))
            })
            .collect()
    }

    /// Waits until HAProxy has `node` in rotation (`rise` good checks in a row).
    async fn await_up(&mut self, node: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let servers = self.servers().await;
            if servers.get(node).is_some_and(|(status, _)| status == "UP") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "HAProxy never saw {node} UP: {servers:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until HAProxy has taken `node` out of rotation.
    async fn await_down(&mut self, node: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let servers = self.servers().await;
            if servers
                .get(node)
                .is_some_and(|(status, _)| status.starts_with("DOWN"))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "HAProxy never took {node} out: {servers:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the load clients saw.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    non_2xx: AtomicU64,
    errors: AtomicU64,
    /// The first few failures, for the assertion message.
    samples: Mutex<Vec<String>>,
}

impl Tally {
    fn failure(&self, counter: &AtomicU64, what: String) {
        counter.fetch_add(1, Ordering::Relaxed);
        let mut samples = self.samples.lock().unwrap();
        if samples.len() < 10 {
            samples.push(what);
        }
    }
}

/// `CLIENTS` loops of `/hello?name=cN` through HAProxy until `stop`, each on a client of its
/// own that keeps its connections alive, each response checked for its own greeting. Half the
/// clients POST: HAProxy sends a POST again only when it never reached a node (its
/// `disable-l7-retry`), so those requests fail if a node closes with them in flight or queued
/// on a kept-alive connection, which is what the drain prevents.
fn load(
    front: SocketAddr,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..CLIENTS)
        .map(|i| {
            let (stop, tally) = (stop.clone(), tally.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .unwrap();
                let url = format!("http://{front}/hello?name=c{i}");
                let greeting = format!("Hello, c{i}!");
                let post = i % 2 == 1;
                while !stop.load(Ordering::Relaxed) {
                    let request = if post {
                        client.post(&url).body("{}")
                    } else {
                        client.get(&url)
                    };
                    match request.send().await {
                        Ok(response) => {
                            let status = response.status();
                            match response.text().await {
                                Ok(body) if status == 200 && body.contains(&greeting) => {
                                    tally.ok.fetch_add(1, Ordering::Relaxed);
                                }
                                Ok(body) => {
                                    tally.failure(&tally.non_2xx, format!("{status}: {body}"))
                                }
                                Err(err) => {
                                    tally.failure(&tally.errors, format!("{status}, body: {err:?}"))
                                }
                            }
                        }
                        Err(err) => tally.failure(&tally.errors, format!("{err:?}")),
                    }
                }
            })
        })
        .collect()
}

/// The manifest every node serves: `hello` at `/hello`.
fn manifest(dir: &Path) -> PathBuf {
    let path = dir.join("fnhost.toml");
    std::fs::write(
        &path,
        format!(
            "manifest_version = 1\n\n{}",
            function(
                "hello",
                "hello",
                "[[function.hello.http]]\nroute = \"/hello\"\nmethods = [\"GET\", \"POST\"]\n",
            )
        ),
    )
    .unwrap();
    path
}

/// Three nodes on one PostgreSQL database behind HAProxy; the first starts alone (it applies
/// the store's migrations).
fn cluster(manifest: &Path, store: &str) -> Vec<Node> {
    let mut nodes: Vec<Node> = (1..=3).map(|i| Node::new(i, manifest, store)).collect();
    for node in &mut nodes {
        node.start();
    }
    nodes
}

/// SIGTERM one node, wait for its exit, start it again, wait until HAProxy has it back; then
/// the next, while 16 clients keep sending GETs and POSTs through HAProxy. Not one request may
/// fail: a draining node answers 503 on its health endpoint, so HAProxy stops sending it
/// requests before it closes, and what it has in flight finishes. (Without the drain delay,
/// the same run on deploy/local-cluster.sh's cluster loses POSTs: wrk saw 13 read errors and
/// one 502 in 105,676 requests over two restarts; GETs alone would hide it, HAProxy resends
/// them.)
#[tokio::test(flavor = "multi_thread")]
async fn a_rolling_restart_under_load_through_haproxy_loses_no_request() {
    let haproxy = haproxy_bin();
    let db = fnhost_testpg::Server::shared().database().unwrap();
    let shared = tempfile::tempdir().unwrap();
    let manifest = manifest(shared.path());
    let mut nodes = tokio::task::block_in_place(|| cluster(&manifest, db.url()));
    let mut balancer = Balancer::start(&nodes);
    for node in &nodes {
        balancer.await_up(&node.name).await;
    }
    let (status, _, body) = get(&format!("http://{}/hello?name=Ada", balancer.front)).await;
    assert_eq!(status, 200, "{body}");

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let clients = load(balancer.front, stop.clone(), tally.clone());
    // Every node serves before the restarts begin.
    let deadline = Instant::now() + Duration::from_secs(60);
    while balancer
        .servers()
        .await
        .values()
        .any(|(_, served)| *served < 50)
    {
        assert!(Instant::now() < deadline, "{:?}", balancer.servers().await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // 2xx responses each node had served when it came back.
    let mut served_at_return = BTreeMap::new();
    for node in &mut nodes {
        let before = tally.ok.load(Ordering::Relaxed);
        let exit = tokio::task::block_in_place(|| node.terminate());
        assert_eq!(exit.code(), Some(0), "{}:\n{}", node.name, node.output());
        balancer.await_down(&node.name).await;
        let output = node.output();
        assert!(output.contains("fnhost: draining"), "{output}");
        tokio::task::block_in_place(|| node.start());
        balancer.await_up(&node.name).await;
        served_at_return.insert(node.name.clone(), balancer.servers().await[&node.name].1);
        let during = tally.ok.load(Ordering::Relaxed) - before;
        eprintln!(
            "{} restarted; {during} requests served meanwhile",
            node.name
        );
        assert!(during > 0, "the load stopped while {} restarted", node.name);
    }
    // Each restarted node takes requests again.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let servers = balancer.servers().await;
        let behind: BTreeSet<&String> = served_at_return
            .iter()
            .filter(|(node, at_return)| servers[*node].1 < **at_return + 50)
            .map(|(node, _)| node)
            .collect();
        if behind.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{behind:?} took no requests after their restart: {servers:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }

    let (ok, non_2xx, errors) = (
        tally.ok.load(Ordering::Relaxed),
        tally.non_2xx.load(Ordering::Relaxed),
        tally.errors.load(Ordering::Relaxed),
    );
    let servers = balancer.servers().await;
    eprintln!(
        "rolling restart through {}: {ok} requests served, {non_2xx} non-2xx, {errors} errors; \
         2xx by node (HAProxy): {servers:?}",
        haproxy.display()
    );
    assert_eq!(
        (non_2xx, errors),
        (0, 0),
        "failures: {:?}",
        tally.samples.lock().unwrap()
    );
    assert!(ok > 0);
    drop(balancer);
    drop(nodes);
    drop(db);
}

/// Each node's `/metrics` names it in every sample, and its health endpoint says which node
/// answered.
#[tokio::test(flavor = "multi_thread")]
async fn every_nodes_metrics_carry_its_node_label() {
    let db = fnhost_testpg::Server::shared().database().unwrap();
    let shared = tempfile::tempdir().unwrap();
    let manifest = manifest(shared.path());
    let nodes = tokio::task::block_in_place(|| cluster(&manifest, db.url()));
    for node in &nodes {
        let (status, _, body) = get(&format!("http://{}/hello", node.http)).await;
        assert_eq!(status, 200, "{body}");
        let (_, labels) = without_node(&raw_metrics(node.admin).await);
        assert_eq!(
            labels.iter().map(String::as_str).collect::<Vec<_>>(),
            [node.name.as_str()],
            "{}",
            node.name
        );
        let (status, _, health) = get(&format!("http://{}{HEALTH}", node.http)).await;
        assert_eq!(status, 200, "{health}");
        let health: serde_json::Value = serde_json::from_str(&health).unwrap();
        assert_eq!(health["node"], node.name.as_str());
        assert_eq!(health["status"], "ok");
    }
    drop(nodes);
    drop(db);
}

/// `boto3` (from `.ci/pytools.sh`'s venv) running `script` against the Lambda API at `admin`;
/// `CODE` in the script's environment is the path of a guest's `.wasm`. It must exit 0.
fn boto3(admin: SocketAddr, script: &str, guest: &str) {
    let python = crate::root().join("target/pytools/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash .ci/pytools.sh` (it installs boto3)",
        python.display()
    );
    let out = Command::new(python)
        .args(["-c", script])
        .env("ADMIN", format!("http://{admin}"))
        .env("CODE", fnhost_test_programs::guest(guest))
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The boto3 client every script starts with.
const BOTO3: &str = "import boto3, os\n\
lam = boto3.client('lambda', endpoint_url=os.environ['ADMIN'], region_name='us-east-1', \
aws_access_key_id='test', aws_secret_access_key='test')\n\
code = open(os.environ['CODE'], 'rb').read()\n";

/// Requests `/greet?name=Ada` through HAProxy until every node has answered with a body that
/// `answered` accepts; the time that took.
async fn until_every_node(
    balancer: &Balancer,
    nodes: &[Node],
    what: &str,
    answered: impl Fn(&str) -> bool,
) -> Duration {
    let started = Instant::now();
    let mut seen = BTreeSet::new();
    while seen.len() < nodes.len() {
        let r = reqwest::get(format!("http://{}/greet?name=Ada", balancer.front))
            .await
            .unwrap();
        let node = r
            .headers()
            .get("x-served-by")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        if status == 200
            && answered(&body)
            && let Some(node) = node
        {
            seen.insert(node);
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what}: after 20 s only {seen:?} answered; last {status} {body}"
        );
    }
    started.elapsed()
}

/// A function uploaded with boto3 through node 1 answers through HAProxy from every node
/// (HAProxy names the node that answered in `X-Served-By`); its code updated with boto3
/// through node 2 is what every node then runs. The time from boto3's answer until all three
/// nodes have answered is printed (the goal is within 1 s; on loopback each node also
/// fetches and compiles the new code first).
#[tokio::test(flavor = "multi_thread")]
async fn a_boto3_upload_through_one_node_answers_from_every_node() {
    let haproxy = haproxy_bin();
    assert!(haproxy.exists());
    let db = tokio::task::spawn_blocking(|| fnhost_testpg::Server::shared().database())
        .await
        .unwrap()
        .expect("a PostgreSQL database");
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("fnhost.toml");
    std::fs::write(
        &manifest,
        "manifest_version = 1\n\n[[route]]\nfunction = \"greeter:$LATEST\"\nroute = \"/greet\"\n",
    )
    .unwrap();
    let nodes = cluster(&manifest, db.url());
    let balancer = Balancer::start(&nodes);
    let (first, second) = (nodes[0].admin, nodes[1].admin);

    let script = format!(
        "{BOTO3}lam.create_function(FunctionName='greeter', Runtime='provided.al2023', \
         Role='arn:aws:iam::000000000000:role/x', Handler='x', Code={{'ZipFile': code}})\n"
    );
    tokio::task::spawn_blocking(move || boto3(first, &script, "context-echo"))
        .await
        .unwrap();
    let created = until_every_node(&balancer, &nodes, "the upload", |body| {
        body.contains("\"functionName\":\"greeter\"")
    })
    .await;

    let script = format!("{BOTO3}lam.update_function_code(FunctionName='greeter', ZipFile=code)\n");
    tokio::task::spawn_blocking(move || boto3(second, &script, "hello"))
        .await
        .unwrap();
    let updated = until_every_node(&balancer, &nodes, "the update", |body| {
        body.contains("Hello") && !body.contains("functionName")
    })
    .await;
    println!(
        "every node answered through HAProxy {:.0} ms after the upload through node1 and {:.0} ms \
         after the update through node2",
        created.as_secs_f64() * 1e3,
        updated.as_secs_f64() * 1e3
    );
}
