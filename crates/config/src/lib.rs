//! ferrochat's configuration: one table of options ([`spec::SPECS`]), layered from defaults,
//! `ferrochat.yaml`, the environment (LibreChat's names where they exist) and command-line
//! flags, then validated into a typed [`Config`]. Validation reports every problem at once,
//! and secrets never appear in errors, `Debug` output or `config show`.
//!
//! This crate reads files and the environment but starts nothing; the server decides what to
//! do with the result.
#![warn(missing_docs)]

pub mod endpoints;
mod error;
pub mod file_config;
mod model;
pub mod parse;
pub mod render;
mod secret;
pub mod secrets;
pub mod sources;
pub mod spec;

pub use endpoints::{
    BalanceConfig, Credential, EndpointConfig, EndpointKind, EndpointsConfig, SpeechEngineConfig,
};
pub use error::{ConfigError, Problem};
pub use file_config::{FileConfig, FileRules};
pub use model::{
    AuthConfig, BackupConfig, Config, DatabaseConfig, DigestConfig, EmailConfig, FileStorage,
    FilesConfig, Limit, LimitsConfig, LogConfig, LogFormat, OAuth2Config, OidcConfig, S3Config,
    ServerConfig, SharingConfig, WebhooksConfig,
};
pub use secret::{Secret, redact_url};
pub use secrets::Secrets;
pub use sources::{Origin, Sources};
