//! The service layer's one error type: domain meaning, no HTTP status.

use ferrochat_store::StoreError;

/// Result alias for service calls.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// One invalid input field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the caller sent it (`email`, `password`).
    pub field: &'static str,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

/// Why a service call failed. Each front door maps these to its own wire format in one place.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input failed validation; every offending field is listed.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The resource does not exist or the caller may not see it (the two are deliberately
    /// indistinguishable, so IDs do not leak).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The write clashes with existing data, e.g. an email already registered.
    #[error("{field} already in use")]
    Conflict {
        /// The field whose value is taken.
        field: &'static str,
    },
    /// Credentials are missing, wrong or expired (bad password, bad or revoked token).
    #[error("unauthenticated")]
    Unauthenticated,
    /// The password was right but the address is not verified and unverified logins are off.
    #[error("email not verified")]
    EmailNotVerified,
    /// The resource is behind a password that was not given (`given: false`) or is wrong.
    #[error("password required")]
    PasswordRequired {
        /// Whether a password was given (and was wrong).
        given: bool,
    },
    /// The caller is known but not allowed to do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The user's token balance cannot pay for the request (balances are on).
    #[error("insufficient token balance: {balance} credits, about {cost} needed")]
    InsufficientBalance {
        /// Credits left.
        balance: i64,
        /// Estimated cost of the prompt alone.
        cost: i64,
    },
    /// The body is larger than a limit allows (`what`: `file` or `storage quota`).
    #[error("{what} limit of {limit} bytes exceeded")]
    TooLarge {
        /// Which limit.
        what: &'static str,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The bytes that arrived do not match the checksum the client sent with them (tus
    /// `Upload-Checksum`); they were not kept.
    #[error("checksum mismatch")]
    ChecksumMismatch,
    /// A dependency (database, upstream) is down or overloaded; retrying later may work.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; logged, never shown in detail.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ServiceError {
    /// A single-field validation error.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![FieldError {
            field,
            message: message.into(),
        }])
    }
}

/// Maps a store's `NotFound` to the domain's "`what` not found", everything else as usual.
pub(crate) fn not_found(what: &'static str) -> impl Fn(StoreError) -> ServiceError {
    move |e| match e {
        StoreError::NotFound => ServiceError::NotFound(what),
        other => other.into(),
    }
}

impl From<StoreError> for ServiceError {
    /// The generic mapping; services that know which resource or field is involved map
    /// `NotFound` and `Conflict` themselves first.
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ServiceError::NotFound("resource"),
            StoreError::Conflict { .. } => ServiceError::Conflict { field: "resource" },
            StoreError::Unavailable(reason) => ServiceError::Unavailable(reason),
            StoreError::Timeout => ServiceError::Unavailable("database statement timed out".into()),
            StoreError::Other(e) => ServiceError::Internal(e),
        }
    }
}
