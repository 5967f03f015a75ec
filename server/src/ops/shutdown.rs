//! Graceful shutdown on SIGTERM (what systemd and Kubernetes send) and SIGINT (Ctrl-C).
//!
//! On the first signal `/readyz` answers 503 at once. After the optional pre-drain delay
//! (`--shutdown-delay`, for a load balancer to notice and stop sending), the server stops
//! accepting connections, lets the requests in flight finish, and background tasks (the
//! email sender) finish what they are doing; the process then exits 0. Whatever is still
//! running when the grace period (`--shutdown-grace`) ends is dropped, with a warning. A
//! second signal ends the wait at once.

use super::Readiness;
use anyhow::Context;
use std::future::Future;
use std::time::Duration;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the process stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShutdownSettings {
    /// How long `/readyz` answers 503 while the server still accepts, before it stops.
    pub delay: Duration,
    /// How long requests in flight and background work get to finish once the server stops
    /// accepting.
    pub grace: Duration,
}

/// Tells background work that the process is stopping: it finishes what it does and returns.
#[derive(Clone, Debug)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// A stop thrown by hand: sending `true` on the switch stops whoever holds the [`Stop`].
    pub fn switch() -> (watch::Sender<bool>, Self) {
        let (switch, receiver) = watch::channel(false);
        (switch, Self(receiver))
    }

    /// A stop that never comes, for work that runs as long as the process.
    pub fn never() -> Self {
        let (sender, receiver) = watch::channel(false);
        // The receiver keeps answering `false` after the sender is gone.
        drop(sender);
        Self(receiver)
    }

    /// True once the process is stopping.
    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes when the process starts stopping (never for [`Stop::never`]).
    pub async fn stopping(mut self) {
        if self.0.wait_for(|stopping| *stopping).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The signal handlers and the switch they throw.
#[derive(Debug)]
pub struct Shutdown {
    settings: ShutdownSettings,
    readiness: Readiness,
    switch: watch::Sender<bool>,
    terminate: Signal,
    interrupt: Signal,
}

impl Shutdown {
    /// Takes over SIGTERM and SIGINT (from now on they no longer end the process at once).
    pub fn listen(settings: ShutdownSettings, readiness: Readiness) -> anyhow::Result<Self> {
        let terminate = signal(SignalKind::terminate()).context("handling SIGTERM")?;
        let interrupt = signal(SignalKind::interrupt()).context("handling SIGINT")?;
        let (switch, _) = watch::channel(false);
        Ok(Self { settings, readiness, switch, terminate, interrupt })
    }

    /// What background work watches to know when to stop.
    pub fn stop(&self) -> Stop {
        Stop(self.switch.subscribe())
    }

    /// The next SIGTERM or SIGINT; its name.
    async fn signal(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }

    /// Runs `server` (which must stop accepting once [`Shutdown::stop`] fires, and complete
    /// when its last connection closes) until a signal, then drains it and `background`.
    /// Returns once all of them are done or the grace period is over; an error only when
    /// the server fails on its own.
    pub async fn serve(
        mut self,
        server: impl Future<Output = std::io::Result<()>>,
        background: Vec<JoinHandle<()>>,
    ) -> anyhow::Result<()> {
        let mut server = std::pin::pin!(server);
        let signal = tokio::select! {
            result = &mut server => return result.context("serving HTTP"),
            signal = self.signal() => signal,
        };
        self.readiness.start_draining();
        let ShutdownSettings { delay, grace } = self.settings;
        if !delay.is_zero() {
            tracing::info!(signal, ?delay, "shutting down: /readyz answers 503; still accepting during the delay");
            tokio::select! {
                result = &mut server => return result.context("serving HTTP"),
                _ = tokio::time::sleep(delay) => {}
                signal = self.signal() => tracing::warn!(signal, "second signal: the delay is cut short"),
            }
        }
        tracing::info!(
            signal,
            ?grace,
            "shutting down: no longer accepting; waiting for requests in flight and email sends"
        );
        self.switch.send_replace(true);
        let drained = async {
            let served = server.await;
            for task in background {
                if let Err(error) = task.await {
                    tracing::error!(%error, "a background task failed while stopping");
                }
            }
            served
        };
        tokio::select! {
            served = drained => {
                served.context("serving HTTP")?;
                tracing::info!("stopped cleanly");
            }
            _ = tokio::time::sleep(grace) => {
                tracing::warn!(?grace, "the shutdown grace period ran out: exiting with requests or email sends unfinished");
            }
            signal = self.signal() => {
                tracing::warn!(signal, "second signal: exiting with requests or email sends unfinished");
            }
        }
        Ok(())
    }
}

/// Reads a duration such as `30s`, `500ms`, `2m` or a bare number of seconds (`0` for none).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("{text:?} is not a duration: write e.g. 30s, 500ms or 2m");
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number.parse().map_err(|_| invalid())?;
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(number)),
        "s" => Ok(Duration::from_secs(number)),
        "m" => Ok(Duration::from_secs(number.saturating_mul(60))),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_their_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("soon").unwrap_err().contains("not a duration"));
        assert!(parse_duration("3h").is_err());
        assert!(parse_duration("").is_err());
    }

    /// Sends SIGTERM to this process (its handler is installed by then).
    fn terminate_self() {
        let pid = std::process::id().to_string();
        assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    }

    // One test sends both signals: every handler in the process sees each one.
    #[tokio::test]
    async fn a_signal_drains_the_server_and_background_work_within_the_grace_period() {
        let settings = ShutdownSettings { delay: Duration::from_millis(100), grace: Duration::from_millis(300) };

        // A server that finishes once told to stop, and background work that does too.
        let readiness = Readiness::default();
        let shutdown = Shutdown::listen(settings, readiness.clone()).unwrap();
        let (stop, watched) = (shutdown.stop(), readiness.clone());
        let server = async move {
            stop.clone().stopping().await;
            assert!(watched.is_draining(), "readiness fails before the server stops accepting");
            Ok(())
        };
        let background = tokio::spawn(shutdown.stop().stopping());
        let started = std::time::Instant::now();
        terminate_self();
        shutdown.serve(server, vec![background]).await.unwrap();
        assert!(readiness.is_draining());
        let took = started.elapsed();
        assert!(took >= settings.delay && took < settings.delay + settings.grace, "{took:?}");

        // A request that never finishes: the grace period ends the wait, without an error.
        let shutdown = Shutdown::listen(settings, Readiness::default()).unwrap();
        let stop = shutdown.stop();
        let stuck = async move {
            stop.stopping().await;
            std::future::pending::<std::io::Result<()>>().await
        };
        let started = std::time::Instant::now();
        terminate_self();
        shutdown.serve(stuck, Vec::new()).await.unwrap();
        assert!(started.elapsed() >= settings.delay + settings.grace, "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_stop_that_never_comes_stays_pending() {
        let stop = Stop::never();
        assert!(!stop.is_stopping());
        let waited = tokio::time::timeout(Duration::from_millis(20), stop.stopping()).await;
        assert!(waited.is_err());
    }
}
