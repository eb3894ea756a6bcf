//! The Gatehouse server: configuration → telemetry → build → run.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
// The console's views are deeply nested types, rendered here: their layouts need more than the
// default 128 levels (as in the app crate).
#![recursion_limit = "256"]

pub mod api;
pub mod blocking;
pub mod config;
pub mod dev_idp;
pub mod front_door;
pub mod html;
pub mod metrics;
pub mod routes;
pub mod saml;
pub mod state;
pub mod telemetry;

use app::server::clock::Clock;
use app::server::db::Db;
use app::server::state::AppState;
use app::server::token_lookup::TokenLookup;
use app::server::{org, saml_store};
use blocking::BlockingPool;
use config::{Config, IdpSource};
use dev_idp::DevIdp;
use front_door::rate_limit::RateLimiter;
use leptos::config::LeptosOptions;
use routes::{Limits, RolePolicy, ServerState, SessionSettings};
use saml::idp_metadata::{HandleSettings, MetadataSource, SamlHandle};
use saml::SpOptions;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// SAML responses checked at once (each on a blocking thread), how long a response waits for a
/// free slot, and how long its check may take before the sign-in is answered "busy".
const SAML_CHECK_SLOTS: usize = 4;
const SAML_CHECK_WAIT_FOR_SLOT: Duration = Duration::from_secs(2);
const SAML_CHECK_TIME_LIMIT: Duration = Duration::from_secs(5);
/// After SIGTERM, in-flight requests get this long to finish; then the server stops anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Db(#[from] app::server::db::DbSetupError),
    #[error("{0}")]
    Org(#[from] org::OrgError),
    #[error("GATEHOUSE_IDP_METADATA: {0}")]
    IdpMetadata(String),
    #[error("SAML: {0}")]
    Saml(#[from] saml::SamlSetupError),
    #[error("SP key (GATEHOUSE_SP_KEY / GATEHOUSE_SP_CERT): {0}")]
    SpKey(#[from] saml::sp_key::SpKeyError),
    #[error("development IdP: {0}")]
    DevIdp(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    router: axum::Router,
    state: ServerState,
}

impl Application {
    /// Connects and migrates the database, loads the IdP, and binds `config.listen_addr`.
    pub async fn build(config: Config, clock: Clock) -> Result<Application, StartupError> {
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .map_err(|source| StartupError::Listen {
                addr: config.listen_addr,
                source,
            })?;
        Application::build_on(listener, config, clock).await
    }

    /// As [`Application::build`], on a listener the caller bound (tests bind port 0).
    pub async fn build_on(
        listener: TcpListener,
        config: Config,
        clock: Clock,
    ) -> Result<Application, StartupError> {
        let metrics_listener = match config.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartupError::Listen { addr, source })?,
            ),
            None => None,
        };
        let db = Db::connect(config.database_url.expose()).await?;
        let org = org::ensure_organization(
            &db,
            config.org_id.as_deref(),
            &config.org_name,
            clock.unix(),
        )
        .await?;
        let base_url = config.base_url();
        let pin = match &config.idp_metadata_signing_cert {
            Some(path) => Some(samael::crypto::CertificateDer::from(
                saml::sp_key::certificate_file_der(path)?,
            )),
            None => None,
        };
        let (loaded, source, dev_idp) = match &config.idp {
            IdpSource::Dev => {
                let idp = DevIdp::generate(&base_url).map_err(StartupError::DevIdp)?;
                let loaded = saml::idp_metadata::Loaded {
                    descriptor: idp.metadata(),
                    cache_duration: None,
                    valid_until: None,
                };
                (loaded, MetadataSource::Dev, Some(Arc::new(idp)))
            }
            IdpSource::Metadata(source) => {
                let source = MetadataSource::parse(source);
                (
                    load_idp_metadata(&source, pin.as_ref()).await?,
                    source,
                    None,
                )
            }
        };
        // The SP key pair always exists: it decrypts assertions, and signs requests unless
        // GATEHOUSE_SIGN_AUTHN_REQUESTS=false.
        let key = match &config.sp_key_files {
            Some((key, cert)) => saml::sp_key::SpKey::from_files(key, cert)?,
            None => {
                let entity_id = format!("{base_url}{}", app::urls::SAML_METADATA);
                saml::sp_key::SpKey::load_or_create(&db, &entity_id, clock.unix()).await?
            }
        };
        let identity_provider = Arc::new(std::sync::RwLock::new(
            app::model::IdentityProvider::default(),
        ));
        let saml = SamlHandle::new(
            loaded,
            SpOptions {
                public_base_url: base_url,
                allow_sha1: config.allow_sha1,
                allow_idp_initiated: config.allow_idp_initiated,
                attributes: config.attributes.clone(),
                next_certificate: match &config.sp_next_cert {
                    Some(path) => Some(saml::sp_key::certificate_file_der(path)?),
                    None => None,
                },
                key: Some(key),
                sign_requests: config.sign_authn_requests,
                require_encryption: config.require_encrypted_assertions,
                allow_rsa1_5: config.allow_rsa1_5,
            },
            HandleSettings {
                source,
                pin,
                refresh_every: Duration::from_secs(config.idp_metadata_refresh_seconds),
                status: identity_provider.clone(),
            },
            clock.unix(),
        )?;
        let state = ServerState {
            app: AppState {
                token_lookup: TokenLookup::start(db.clone()),
                db,
                clock: clock.clone(),
                org,
                dev_idp: dev_idp.is_some(),
                personal_token_max_days: config.personal_token_max_days,
                identity_provider,
            },
            leptos: leptos_options(),
            saml: Arc::new(saml),
            https: config.public_url_is_https(),
            saml_checks: BlockingPool::new(
                SAML_CHECK_SLOTS,
                SAML_CHECK_WAIT_FOR_SLOT,
                SAML_CHECK_TIME_LIMIT,
            ),
            limits: Arc::new(Limits {
                signin: RateLimiter::new(config.signin_rate_per_minute, clock.clone()),
                auth_failures: RateLimiter::new(config.auth_failures_per_minute, clock.clone()),
            }),
            trusted_proxies: config.trusted_proxies.clone().into(),
            dev_idp,
            public_origin: config.public_url.origin().ascii_serialization().into(),
            roles: Arc::new(RolePolicy {
                owner_emails: config.owner_emails.clone(),
                owner_groups: config.owner_groups.clone(),
                sync: config.role_sync,
            }),
        };
        let router = routes::router(
            state.clone(),
            SessionSettings {
                request_timeout: Duration::from_secs(config.request_timeout_seconds),
                secure_cookie: config.public_url_is_https(),
                idle_minutes: config.session_idle_minutes,
                max_hours: config.session_max_hours,
            },
        );
        Ok(Application {
            listener,
            metrics_listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &ServerState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM, purging expired SAML state and sessions every ten minutes.
    pub async fn run(self) -> std::io::Result<()> {
        let app_state = self.state.app.clone();
        let refresher = {
            let saml = Arc::clone(&self.state.saml);
            let clock = self.state.app.clock.clone();
            tokio::spawn(saml.keep_current(move || clock.unix()))
        };
        let purge = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(600));
            loop {
                tick.tick().await;
                if let Err(e) =
                    saml_store::purge_expired(app_state.db.pool(), app_state.clock.unix()).await
                {
                    tracing::warn!("purging expired rows failed: {e}");
                }
            }
        });
        let metrics = self.metrics_listener.map(|listener| {
            let db = self.state.app.db.clone();
            let router = axum::Router::new().route(
                "/metrics",
                axum::routing::get(move || {
                    let db = db.clone();
                    async move {
                        (
                            [(
                                axum::http::header::CONTENT_TYPE,
                                "text/plain; version=0.0.4; charset=utf-8",
                            )],
                            metrics::global().render(db.pool_stats()),
                        )
                    }
                }),
            );
            tokio::spawn(async move { axum::serve(listener, router).await })
        });
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // Streamed SSR writes several small chunks: without TCP_NODELAY, Nagle's algorithm and
        // delayed ACKs add ~40 ms to every page.
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("TCP_NODELAY: {e}");
            }
        });
        let stopping = Arc::new(tokio::sync::Notify::new());
        let signal = {
            let stopping = stopping.clone();
            async move {
                shutdown_signal().await;
                tracing::info!("shutdown signal: no new connections; finishing requests in flight");
                stopping.notify_one();
            }
        };
        let server = axum::serve(listener, service).with_graceful_shutdown(signal);
        let served = tokio::select! {
            served = server => served,
            _ = async {
                stopping.notified().await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => {
                tracing::warn!("requests still running {SHUTDOWN_GRACE:?} after the shutdown signal; stopping anyway");
                Ok(())
            }
        };
        purge.abort();
        refresher.abort();
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        tracing::info!("requests finished; closing the database pool");
        self.state.app.db.close().await;
        tracing::info!("stopped");
        served
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

/// The Leptos options cargo-leptos compiled in, or the workspace defaults when the binary was
/// built by plain cargo (tests).
///
/// `cargo leptos build` (with `hash-files`) writes the bundle's content hashes beside the binary;
/// when that file is there the page links the hashed names, whatever the environment says, so
/// the binary and the site it was built with always agree.
fn leptos_options() -> LeptosOptions {
    let mut options = match leptos::config::get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(_) => LeptosOptions::builder()
            .output_name("gatehouse")
            .site_root(std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()))
            .site_pkg_dir("pkg")
            .build(),
    };
    options.hash_files = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
        .is_some_and(|hashes| hashes.is_file());
    app::app::stylesheet_href(&options);
    options
}

/// Reads and checks the IdP metadata at start. A URL is retried briefly, so the console can
/// start alongside its IdP; any failure stops the start (later refreshes keep the last good).
pub async fn load_idp_metadata(
    source: &MetadataSource,
    pin: Option<&samael::crypto::CertificateDer>,
) -> Result<saml::idp_metadata::Loaded, StartupError> {
    let client = saml::idp_metadata::client().map_err(StartupError::IdpMetadata)?;
    let attempts = if matches!(source, MetadataSource::Url(_)) {
        10
    } else {
        1
    };
    let mut last_error = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        match saml::idp_metadata::read(source, &client).await {
            Ok(xml) => {
                return saml::idp_metadata::parse(&xml, pin).map_err(StartupError::IdpMetadata)
            }
            Err(e) => last_error = e,
        }
    }
    Err(StartupError::IdpMetadata(last_error))
}
