//! Exporting a conversation as a file: LibreChat's JSON (every branch; imports back here and
//! into LibreChat), Markdown or PDF (the branch on screen). The formats live in
//! `ferrochat-export`; this is the rule of who may export what.

use ferrochat_core::{ConversationId, UserId};

use crate::{ConversationService, ServiceError, ServiceResult};

/// A file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// LibreChat's JSON export.
    Json,
    /// Markdown.
    Markdown,
    /// PDF.
    Pdf,
}

impl ExportFormat {
    /// Parses `json`, `markdown` (or `md`), `pdf`.
    pub fn parse(text: &str) -> ServiceResult<Self> {
        match text {
            "json" => Ok(Self::Json),
            "markdown" | "md" => Ok(Self::Markdown),
            "pdf" => Ok(Self::Pdf),
            _ => Err(ServiceError::invalid(
                "format",
                "must be json, markdown or pdf",
            )),
        }
    }
}

/// An exported file.
#[derive(Clone, Debug)]
pub struct ExportFile {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its media type.
    pub content_type: &'static str,
    /// A file name to save it under (from the title, safe characters only).
    pub file_name: String,
}

impl ConversationService {
    /// Exports one of the user's conversations.
    pub async fn export(
        &self,
        user: UserId,
        id: ConversationId,
        format: ExportFormat,
    ) -> ServiceResult<ExportFile> {
        let conversation = self.get(user, id).await?;
        let messages = self.messages(user, id).await?;
        let stem = ferrochat_export::file_stem(&conversation);
        Ok(match format {
            ExportFormat::Json => ExportFile {
                bytes: ferrochat_export::json(&conversation, &messages),
                content_type: "application/json",
                file_name: format!("{stem}.json"),
            },
            ExportFormat::Markdown => ExportFile {
                bytes: ferrochat_export::markdown(&conversation, &messages).into_bytes(),
                content_type: "text/markdown; charset=utf-8",
                file_name: format!("{stem}.md"),
            },
            ExportFormat::Pdf => {
                // Typesetting is CPU work: off the async workers.
                let bytes = tokio::task::spawn_blocking(move || {
                    ferrochat_export::pdf(&conversation, &messages)
                })
                .await
                .map_err(|e| ServiceError::Internal(Box::new(e)))?
                .map_err(|e| ServiceError::Internal(Box::new(e)))?;
                ExportFile {
                    bytes,
                    content_type: "application/pdf",
                    file_name: format!("{stem}.pdf"),
                }
            }
        })
    }
}
