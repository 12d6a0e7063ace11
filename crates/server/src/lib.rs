//! Assembles the ferrochat server: prepares the data directory, opens and migrates the store,
//! builds the services and the router, and serves until shutdown.
//!
//! [`serve`] takes an already-bound listener and a cancellation token, so tests run the real
//! server on `127.0.0.1:0` and stop it at will; [`run`] is the production entry that adds signal
//! handling on top.
#![warn(missing_docs)]

pub mod bootstrap;
pub mod client;
mod ops;
mod relay;
mod router;
mod serve;
pub mod telemetry;

pub use bootstrap::{BootError, open_store, prepare_data_dir};
pub use router::build_router;
pub use serve::{
    app_state, backup_policy, blobs, file_policy, listen, run, serve, shutdown_signal,
};
