//! The reference platform: a small managed-service API (tenant sign-up, API keys, quotas, usage
//! metering and export, operator administration) served in-process on loopback, so that the demo
//! and the tests can run a whole certification against a real HTTP service. It impersonates one
//! of [`VERSIONS`], whose behaviour differs where a real platform's would between releases, and
//! can be started with [`FAULTS`] injected to show failing certifications. State lives in memory
//! and is lost when the platform stops. The routes are listed in the `api` module.
//!
//! The platform describes its own API: `GET /openapi.json` serves an OpenAPI 3.1 description of
//! it as it behaves at the impersonated version (every route, status, header, security scheme and
//! response schema, each operation linked to its `features/catalog.toml` feature), also available
//! without a socket as [`openapi_description`]. Faults never change the description: the
//! `api-drift` fault breaks one of its promises while every shipped scenario still passes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), certify_refplatform::PlatformError> {
//! use certify_refplatform::{start, PlatformOptions, DEFAULT_VERSION};
//!
//! let platform = start(PlatformOptions {
//!     version: DEFAULT_VERSION.to_owned(),
//!     faults: vec!["slow".to_owned()],
//!     operator_token: "operator-secret".to_owned(),
//!     port: 0,
//! })
//! .await?;
//! let base = platform.base_url(); // e.g. "http://127.0.0.1:41234"
//! # let _ = base;
//! platform.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod api;
mod auth;
mod clock;
mod error;
mod openapi;
mod settings;
mod store;

use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use error::PlatformError;
use settings::Settings;

/// The platform versions the reference platform can impersonate, oldest first.
pub const VERSIONS: &[&str] = &["1.4.0", "2.0.0"];

/// The version started when none is chosen.
pub const DEFAULT_VERSION: &str = "2.0.0";

/// A fault that can be injected into the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultInfo {
    /// The name used to select it.
    pub name: &'static str,
    /// What it breaks, in one line.
    pub description: &'static str,
}

/// Every injectable fault; several may be combined.
pub const FAULTS: &[FaultInfo] = &[
    FaultInfo { name: "signup-broken", description: "POST /v1/tenants answers 500 (a broken feature)" },
    FaultInfo { name: "slow", description: "every /v1/ request takes 1500 ms longer (response-time bounds fail)" },
    FaultInfo { name: "flaky", description: "every third /v1/ request answers 503 (deterministic, not random)" },
    FaultInfo { name: "metering-stuck", description: "usage reports are accepted but totals never change" },
    FaultInfo {
        name: "api-drift",
        description: "GET /v1/tenant answers `tier` for `plan` (only the API check notices)",
    },
];

/// How to start the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformOptions {
    /// The version to impersonate: one of [`VERSIONS`].
    pub version: String,
    /// Faults to inject: names from [`FAULTS`].
    pub faults: Vec<String>,
    /// The bearer token of the operator endpoints (`/v1/admin/...`); must not be empty.
    pub operator_token: String,
    /// The port to listen on, on 127.0.0.1 only; 0 picks any free port.
    pub port: u16,
}

/// A platform serving on loopback. Dropping it without [`RunningPlatform::shutdown`] also stops
/// the server, without waiting for it.
#[derive(Debug)]
pub struct RunningPlatform {
    addr: SocketAddr,
    version: &'static str,
    stop: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

impl RunningPlatform {
    /// The URL the platform serves on, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address the platform listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The version the platform impersonates, as `GET /version` reports it.
    pub fn version(&self) -> &str {
        self.version
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the server.
    pub async fn shutdown(self) {
        // The server may already have stopped on its own; then there is nobody to tell.
        let _ = self.stop.send(());
        // A panicking request handler is contained by the server; the task itself only ends.
        let _ = self.server.await;
    }
}

/// Validates the options and starts the platform on 127.0.0.1 in a background task of the
/// current tokio runtime.
pub async fn start(opts: PlatformOptions) -> Result<RunningPlatform, PlatformError> {
    let settings = Settings::from_options(&opts)?;
    let version = settings.version.as_str();
    let app = api::router(settings);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, opts.port))
        .await
        .map_err(|source| PlatformError::Bind { port: opts.port, source })?;
    let addr = listener.local_addr().map_err(PlatformError::LocalAddr)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let shutdown = async {
            // Either an explicit shutdown or the handle being dropped stops the server.
            let _ = stopped.await;
        };
        // Serving only ends with an error if accepting fails for good; there is no one to
        // report that to but the caller of `shutdown`, who only wants the server gone.
        let _ = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    });
    Ok(RunningPlatform { addr, version, stop, server })
}

/// The OpenAPI 3.1 description of the platform's API at `version` (one of [`VERSIONS`]), as
/// `GET /openapi.json` serves it. Faults do not change it: it is what the platform promises.
pub fn openapi_description(version: &str) -> Result<serde_json::Value, PlatformError> {
    Ok(openapi::description(settings::Version::named(version)?))
}

/// The platform's HTTP service as an axum [`axum::Router`], for serving it some other way or
/// calling it without a socket.
pub fn router(opts: &PlatformOptions) -> Result<axum::Router, PlatformError> {
    Ok(api::router(Settings::from_options(opts)?))
}
