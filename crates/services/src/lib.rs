//! Business rules of ferrochat, shared by every front door (LibreChat compat, REST v1,
//! GraphQL, WebSocket, CLI).
//!
//! A service validates its input, applies the rules (ownership, uniqueness, roles) and calls
//! the store. It never sees an HTTP type and never writes SQL, so a rule lives in exactly one
//! place whichever door a request came through.
#![warn(missing_docs)]

pub mod auth;
pub mod clock;
pub mod crypto;
mod error;
pub mod password;
pub mod users;
pub mod validate;

use std::sync::Arc;

use ferrochat_mail::Mailer;
use ferrochat_store::DynStore;

use crate::auth::{AuthPolicy, AuthService, tokens::AccessTokens};
use crate::crypto::SecretBox;

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
    /// Sign-in, sessions and tokens.
    pub auth: AuthService,
}

impl Services {
    /// Builds the services over a store, with the system clock.
    pub fn new(
        store: DynStore,
        tokens: AccessTokens,
        policy: AuthPolicy,
        mailer: Arc<dyn Mailer>,
        secret_box: SecretBox,
    ) -> Self {
        Self::with_clock(
            store,
            tokens,
            policy,
            mailer,
            secret_box,
            Arc::new(SystemClock),
        )
    }

    /// Builds the services with a given clock (tests pin time with it).
    pub fn with_clock(
        store: DynStore,
        tokens: AccessTokens,
        policy: AuthPolicy,
        mailer: Arc<dyn Mailer>,
        secret_box: SecretBox,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let users = UserService::new(store.clone(), clock.clone());
        let auth = AuthService::new(
            store.clone(),
            users.clone(),
            clock,
            tokens,
            policy,
            mailer,
            secret_box,
        );
        Self { store, users, auth }
    }
}
