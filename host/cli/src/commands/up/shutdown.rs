//! How `fnhost up` stops on SIGINT/SIGTERM: first it drains for the drain delay (both
//! listeners keep serving, health answers 503, every response closes its connection), so a
//! load balancer stops sending before the listeners close; then they stop accepting and the
//! requests in flight finish within the drain timeout.

use std::time::Duration;

use fnhost_edge::Shutdown;

/// Move `shutdown` along on the signals: drain on the first, close after `delay` or on the
/// next one, whichever comes first. With a delay of 0 the listeners close at the first signal.
///
/// Once closing, another SIGINT (Ctrl-C) exits at once with status 130, without waiting for
/// in-flight requests: the operator asked again.
pub(super) fn spawn(shutdown: Shutdown, delay: Duration) {
    tokio::spawn(run(shutdown, delay));
}

async fn run(shutdown: Shutdown, delay: Duration) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // One stream per signal for the whole stop, so a later signal cannot be mistaken for
        // the first.
        if let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            if !delay.is_zero() {
                announce_drain(
                    &shutdown,
                    delay,
                    "; SIGTERM or Ctrl-C again closes them now",
                );
                tokio::select! {
                    () = tokio::time::sleep(delay) => {},
                    _ = interrupt.recv() => {},
                    _ = terminate.recv() => {},
                }
            }
            tokio::spawn(async move {
                if interrupt.recv().await.is_some() {
                    eprintln!("fnhost: interrupted again, exiting without draining");
                    std::process::exit(EXIT_INTERRUPTED);
                }
            });
            shutdown.close();
            eprintln!(
                "fnhost: shutting down, draining in-flight requests (Ctrl-C again to stop at once)"
            );
            return;
        }
    }
    signals().await;
    if !delay.is_zero() {
        announce_drain(&shutdown, delay, "");
        tokio::time::sleep(delay).await;
    }
    shutdown.close();
    eprintln!("fnhost: shutting down, draining in-flight requests");
}

/// Begin draining and say so.
fn announce_drain(shutdown: &Shutdown, delay: Duration, early: &str) {
    shutdown.drain();
    eprintln!(
        "fnhost: draining: health answers 503 and connections close after each response; the listeners stop accepting in {} s{early}",
        delay.as_secs()
    );
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn signals() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Exit status after a second Ctrl-C: 128 + SIGINT, as shells report it.
const EXIT_INTERRUPTED: i32 = 130;
