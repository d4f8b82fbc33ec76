//! `fnhost up`: build what is stale, load every function, serve the HTTP routes, hot-reload
//! changed functions and the manifest, and drain on SIGINT/SIGTERM (after the drain delay, in
//! which health answers 503, so that a load balancer moves away first).

mod admin;
mod deploy;
mod follow;
mod node;
mod reload;
mod routes;
mod settings;
mod shutdown;
mod singletons;
mod state;
mod triggers;
mod watch;

use std::sync::Arc;

use anyhow::{Context as _, Result};
use fnhost_api::grants::Uploads;
use fnhost_dispatch::{Admission, Console, Dispatcher, LogSink, NoLogs, Registry};
use fnhost_edge::{Shutdown, serve};
use fnhost_http::{App, FunctionUrls, HEALTH_PATH, Router};
use fnhost_runtime::{EngineSettings, Runtime, RuntimeConfig};
use tokio::net::TcpListener;

use crate::builder;
use crate::project::{Globals, Objects};

pub use settings::Args;

/// Run `fnhost up`; returns when the server has drained after a signal.
pub async fn run(globals: &Globals, args: Args) -> Result<bool> {
    let (manifest, declared) = globals.manifest_or_empty()?;
    if !declared {
        println!(
            "fnhost: no fnhost.toml in `{}` or any parent: an empty host that runs what is uploaded through the Lambda API",
            manifest.dir.display()
        );
    }
    let settings = settings::Settings::resolve(&args, &manifest)?;
    let urls = Arc::new(FunctionUrls::new(&args.url_domain)?);
    // Uploads' reservations are restored later, and checked against these then.
    let reserved = settings::reserved_total(&manifest, settings.admission.max_concurrency, 0)?;
    // Before anything touches the state: a second host on this directory stops here.
    let _state_lock = state::lock(&globals.state_dir(&manifest))?;
    if !args.no_build {
        build_stale(&manifest).await?;
    }
    let host = Host::deploy(globals, &manifest, &settings, reserved, &args.state).await?;
    state::spawn_maintenance(host.store.clone(), &args.state);

    let logs: Arc<dyn LogSink> = if args.quiet {
        Arc::new(NoLogs)
    } else {
        Arc::new(Console::stdout())
    };
    let admin = admin::Admin::prepare(&args.admin, &host.store, logs, &settings.node)?;
    let dispatcher = Arc::new(Dispatcher::new(
        host.runtime.clone(),
        host.registry.clone(),
        host.admission.clone(),
        admin.sink(),
    ));
    let wake = Arc::new(tokio::sync::Notify::new());
    // The functions were loaded before the dispatcher existed; their calls route to it now.
    host.objects.calls.connect(
        &dispatcher,
        host.store.clone(),
        wake.clone(),
        args.admin.event_queue_limit,
    );
    // Bound before the admin API starts: the function URLs it returns carry the port.
    let (listener, local) = bind(settings.listen).await?;
    urls.set_port(local.port());
    // Both listeners' stop: draining, then closing (`shutdown::spawn`).
    let stop = Shutdown::new();
    let admin_server = admin
        .start(
            admin::Wiring {
                dispatcher: dispatcher.clone(),
                state_dir: globals.state_dir(&manifest),
                wake: wake.clone(),
                drain_timeout: settings.server.drain_timeout,
                shutdown: stop.clone(),
                uploads: Uploads {
                    calls: host.objects.calls.clone(),
                    buckets: Some((host.objects.buckets.clone(), host.objects.journal.clone())),
                },
                urls: urls.clone(),
            },
            &manifest,
        )
        .await?;
    routes::set_aliases(&host.registry, &manifest);
    let router = routes::router(&manifest, |name| host.registry.get(name).is_some());
    urls.set_from_manifest(&manifest, |name| host.registry.get(name).is_some());
    let app = Arc::new(
        App::new(dispatcher.clone(), router, settings.server.clone())
            .with_urls(urls.clone())
            .with_shutdown(stop.clone())
            .with_node(settings.node.clone()),
    );

    print_routes(&app.router(), host.registry.names().len());
    print_urls(&urls);
    let triggers = triggers::start(
        &manifest,
        &host.store,
        dispatcher,
        &host.objects,
        wake,
        args.quiet,
        &singletons::Cluster::resolve(&args.cluster, &manifest, &settings.node, &host.store)?,
    )
    .await?;
    shutdown::spawn(stop.clone(), settings.drain_delay);
    println!("node: {}", settings.node);
    println!("health: http://{local}{HEALTH_PATH}");
    println!("listening on http://{local}");

    if !args.no_watch {
        reload::spawn(
            manifest,
            host.runtime,
            host.objects,
            host.admission,
            app.clone(),
            admin_server.console.clone(),
        )?;
    }

    let drained = serve(listener, app, stop).await;
    let unfinished = triggers.shutdown(settings.server.drain_timeout).await;
    // The admin listener got the same signal: its requests in flight finish too (within the
    // same grace period) before the process ends.
    admin_server.drained().await;
    report_drain(drained, unfinished, settings.server.drain_timeout);
    Ok(true)
}

/// Build every function of the manifest whose output is missing or older than its sources.
async fn build_stale(manifest: &fnhost_manifest::Manifest) -> Result<()> {
    let stale: Vec<_> = manifest
        .functions
        .values()
        .filter(|f| builder::stale_reason(manifest, f).is_some())
        .collect();
    if !stale.is_empty() {
        builder::build(manifest, &stale, false).await?;
    }
    Ok(())
}

/// What runs the functions: engines sized by the limits, the registry with every manifest
/// function loaded, their buckets and the state database.
struct Host {
    runtime: Arc<Runtime>,
    admission: Arc<Admission>,
    registry: Arc<Registry>,
    objects: Objects,
    store: fnhost_store::Store,
}

impl Host {
    /// Open the state, compile or load every function and deploy it behind its gate.
    async fn deploy(
        globals: &Globals,
        manifest: &fnhost_manifest::Manifest,
        settings: &settings::Settings,
        reserved: u32,
        state: &state::StateArgs,
    ) -> Result<Host> {
        let mut runtime_config = RuntimeConfig::new(globals.state_dir(manifest));
        runtime_config.engine = EngineSettings {
            max_instances: settings.admission.max_concurrency,
            ..EngineSettings::default()
        };
        runtime_config.artifact_budget = state.artifact_cache_limit;
        if let Some(dir) = &state.tmp_dir {
            runtime_config.tmp_dir = dir.clone();
        }
        runtime_config.outbound = crate::project::outbound(manifest)?;
        let runtime = Arc::new(Runtime::new(runtime_config));
        let admission = Arc::new(Admission::new(settings.admission, reserved));
        let registry = Arc::new(Registry::new());
        let objects = Objects::open(manifest)?;
        let store_url = globals.store_url(manifest)?;
        let store = crate::project::open_store(&store_url, false)?;
        let loaded = deploy::load_all(&runtime, &objects, manifest).await?;
        for (name, function) in loaded {
            let config = &manifest.functions[&name];
            registry.insert(&name, deploy::deployed(&admission, function, config, None));
        }
        Ok(Host {
            runtime,
            admission,
            registry,
            objects,
            store,
        })
    }
}

/// Bind the HTTP listener; the address it got (port 0 picks one).
async fn bind(listen: std::net::SocketAddr) -> Result<(TcpListener, std::net::SocketAddr)> {
    let listener = fnhost_edge::bind(listen).with_context(|| {
        format!("cannot listen on `{listen}`; pick another address with --listen or FNHOST_LISTEN")
    })?;
    let local = listener
        .local_addr()
        .context("cannot read the bound address")?;
    Ok((listener, local))
}

/// Say how the drain went: requests abandoned past the grace period, queued events left to
/// run at the next start.
fn report_drain(drained: fnhost_edge::Drained, unfinished: usize, grace: std::time::Duration) {
    if unfinished > 0 {
        eprintln!(
            "fnhost: {unfinished} queued event(s) were still running; they run again at the next start"
        );
    }
    if drained.abandoned > 0 {
        eprintln!(
            "fnhost: stopped with {} request(s) still running after {} s",
            drained.abandoned,
            grace.as_secs()
        );
    } else {
        eprintln!(
            "fnhost: drained {} in-flight request(s); bye",
            drained.in_flight
        );
    }
}

/// The function URLs of the manifest's functions, and how to reach any URL by path.
fn print_urls(urls: &FunctionUrls) {
    let declared = urls.manifest_urls();
    if declared.is_empty() {
        return;
    }
    println!("{} function URL(s):", declared.len());
    for url in declared {
        println!(
            "  {}  -> {} (auth {})",
            urls.url_of(&url.url_id),
            url.function,
            url.auth
        );
    }
    println!(
        "  (also at http://127.0.0.1:{}/lambda-url/<url-id>/ for clients that cannot resolve *.lambda-url.{})",
        urls.port(),
        urls.domain()
    );
}

fn print_routes(router: &Router, functions: usize) {
    let table = router.table();
    if functions == 0 && table.is_empty() {
        println!(
            "no functions yet: upload one with CreateFunction (e.g. `aws lambda create-function --endpoint-url ADMIN_URL ...`)"
        );
        return;
    }
    if table.is_empty() {
        println!("no HTTP routes: add [[function.NAME.http]] or [[route]] tables to fnhost.toml");
        return;
    }
    println!("{functions} function(s), {} route(s):", table.len());
    let width = table.iter().map(|e| e.methods.len()).max().unwrap_or(3);
    let route_width = table.iter().map(|e| e.route.len()).max().unwrap_or(1);
    for entry in table {
        println!(
            "  {:width$}  {:route_width$}  -> {} (payload {})",
            entry.methods, entry.route, entry.function, entry.payload
        );
    }
}
