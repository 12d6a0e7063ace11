//! Business rules of ferrochat, shared by every front door (LibreChat compat, REST v1,
//! GraphQL, WebSocket, CLI).
//!
//! A service validates its input, applies the rules (ownership, uniqueness, roles) and calls
//! the store. It never sees an HTTP type and never writes SQL, so a rule lives in exactly one
//! place whichever door a request came through.
#![warn(missing_docs)]

pub mod clock;
mod error;
pub mod password;
pub mod users;
pub mod validate;

use std::sync::Arc;

use ferrochat_store::DynStore;

pub use clock::{Clock, SystemClock};
pub use error::{FieldError, ServiceError, ServiceResult};
pub use users::UserService;

/// Every service, built once at start and shared by the front doors.
#[derive(Clone)]
pub struct Services {
    /// The store the services were built on; ops routes use it for readiness and metrics.
    pub store: DynStore,
    /// Accounts.
    pub users: UserService,
}

impl Services {
    /// Builds the services over a store, with the system clock.
    pub fn new(store: DynStore) -> Self {
        Self::with_clock(store, Arc::new(SystemClock))
    }

    /// Builds the services with a given clock (tests pin time with it).
    pub fn with_clock(store: DynStore, clock: Arc<dyn Clock>) -> Self {
        Self {
            users: UserService::new(store.clone(), clock),
            store,
        }
    }
}
