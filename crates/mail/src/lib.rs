//! Outgoing mail for ferrochat. One trait, three transports: SMTP (lettre) when an SMTP host
//! is configured; the log otherwise, so a single-user install without mail settings still
//! shows its verification and reset links (as LibreChat does); memory for unit tests.
#![warn(missing_docs)]

mod smtp;
pub mod templates;

use std::sync::Mutex;

use async_trait::async_trait;

pub use smtp::{Encryption, SmtpMailer, SmtpSettings};

/// One message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body (sent as the alternative to `text`).
    pub html: String,
    /// More header fields (name, value), such as `List-Unsubscribe`.
    pub headers: Vec<(String, String)>,
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address or header could not be built.
    #[error("invalid message: {0}")]
    Invalid(String),
    /// The SMTP server refused or could not be reached.
    #[error("smtp: {0}")]
    Transport(String),
}

/// Sends mail.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message.
    async fn send(&self, email: Email) -> Result<(), MailError>;

    /// Whether mail really leaves the machine (false for the log transport). Registration uses
    /// it: without real mail, new addresses are treated as verified, as in LibreChat.
    fn delivers(&self) -> bool;
}

/// Writes messages to the log instead of sending them.
#[derive(Debug, Default)]
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        tracing::info!(
            to = %email.to,
            subject = %email.subject,
            "mail is not configured (set EMAIL_HOST); message follows:\n{}",
            email.text
        );
        Ok(())
    }

    fn delivers(&self) -> bool {
        false
    }
}

/// Keeps messages in memory (unit tests of code that sends mail).
#[derive(Debug, Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<Email>>,
}

impl MemoryMailer {
    /// The messages sent so far.
    pub fn sent(&self) -> Vec<Email> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(email);
        Ok(())
    }

    fn delivers(&self) -> bool {
        true
    }
}
