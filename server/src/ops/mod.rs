//! Running Roster in production: health and readiness endpoints, Prometheus metrics, graceful
//! shutdown on SIGTERM and SIGINT, and the log format.
//!
//! The HTTP wiring (`web.rs`) and `roster serve` (`main.rs`) only plug these in; what they do
//! lives here.

pub mod health;
pub mod logging;
pub mod metrics;
pub mod shutdown;

pub use health::Readiness;
