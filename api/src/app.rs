//! Building and running the server from a [`Config`]: connect, migrate, load the trust file (and
//! the allow-list, if configured), build the schemas, bind, serve until SIGINT/SIGTERM
//! (finishing in-flight requests), reload the trust file and the allow-list on SIGHUP.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::auth::{TrustStore, keys};
use crate::config::Config;
use crate::graphql::Schemas;
use crate::http::allowlist::AllowList;
use crate::http::{AppState, router};

/// A server bound to its address, ready to run.
pub struct App {
    listener: TcpListener,
    state: AppState,
}

impl App {
    /// Connects, migrates, loads the trust file and binds. In dev mode, missing dev keys and
    /// trust file are created first; with `demo`, the demo dataset is loaded into a database
    /// that holds no case yet.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        if config.dev && !config.trust_path.exists() {
            let dir = config
                .trust_path
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default();
            let report = keys::init(&dir)?;
            tracing::info!(dir = %dir.display(), created = report.created.len(), "dev keys ready");
        }
        let trust = TrustStore::load(&config.trust_path).map_err(|e| {
            anyhow::anyhow!(
                "cannot load the trust file {}: {e}",
                config.trust_path.display()
            )
        })?;
        let allowlist = match &config.allowlist {
            Some(path) => {
                let list = AllowList::load(path)?;
                tracing::info!(
                    operations = list.len(),
                    "allow-list loaded: only listed operations run"
                );
                Some(list)
            }
            None => None,
        };
        crate::http::cors(&config.cors_origins)?;
        let urls = [
            Some(&config.database_url),
            config.read_database_url.as_ref(),
        ];
        for (database, url) in ["primary", "read replica"].into_iter().zip(urls) {
            if let Some(risk) = url.and_then(|u| crate::db::transport_risk(u)) {
                tracing::warn!(database, "{risk}");
            }
        }
        let db =
            crate::db::connect_pinging(&config.database_url, config.db_pool, config.db_ping_idle)
                .await?;
        crate::db::migrate(&db).await?;
        if config.demo {
            crate::seed::demo_if_empty(&db).await?;
        }
        let read_db = match &config.read_database_url {
            Some(url) => {
                crate::db::connect_pinging(url, config.db_pool, config.db_ping_idle).await?
            }
            None => db.clone(),
        };
        let mut limits = config.limits;
        limits.suggestions = limits.suggestions || config.dev;
        let schemas = Schemas::build(limits)?;
        let listener = TcpListener::bind(config.bind).await?;
        let events = crate::events::EventBus::start(&db, &config.database_url).await?;
        let state = AppState::new(config, db, read_db, schemas, trust, events, allowlist);
        Ok(App { listener, state })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The shared state (tests reach the database through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests, seals staged audit
    /// events and closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let App { listener, state } = self;
        spawn_trust_reloader(state.clone());
        spawn_limiter_pruner(state.clone());
        let db = state.db().clone();
        let app = router(state);
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        // Write events staged by the last mutations take their place in the chain before the
        // pool closes, so that a clean stop leaves nothing unsealed.
        match crate::audit::seal(&db).await {
            Ok(0) => {}
            Ok(sealed) => tracing::info!(sealed, "staged audit events sealed at shutdown"),
            Err(err) => tracing::warn!(
                error = %err,
                "sealing staged audit events at shutdown failed; the next start seals them"
            ),
        }
        db.close().await.ok();
        Ok(())
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        let addr = self.local_addr()?;
        tracing::info!(%addr, "ctex listening");
        self.run_until(shutdown_signal()).await
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

#[cfg(unix)]
fn spawn_trust_reloader(state: AppState) {
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            match state.reload_trust() {
                Ok(()) => tracing::info!("trust file reloaded"),
                Err(e) => {
                    tracing::error!(error = %e, "trust file reload failed; keeping the previous one")
                }
            }
            if let Err(e) = state.reload_allowlist() {
                tracing::error!(error = %format!("{e:#}"), "allow-list reload failed; keeping the previous one");
            }
        }
    });
}

#[cfg(not(unix))]
fn spawn_trust_reloader(_state: AppState) {}

/// Forgets idle rate-limit keys once a minute, so memory stays bounded however many subjects
/// call; stops with the server.
fn spawn_limiter_pruner(state: AppState) {
    let weak = std::sync::Arc::downgrade(&state.inner);
    drop(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(inner) = weak.upgrade() else { return };
            inner.limiters.prune();
        }
    });
}
