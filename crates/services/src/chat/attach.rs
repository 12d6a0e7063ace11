//! Files attached to a user's message, as the model receives them: images inline for vision
//! models (scaled down when large, see [`super::images`]), text files (code, Markdown, CSV, JSON, …) and the text of PDFs appended to the
//! message's text, and a note for any other file, so the model knows something was attached that it cannot read.
//! The message itself keeps the references (`files`, the LibreChat client's shape), which is
//! how a regenerated or later turn sends them again.

use std::collections::HashMap;

use ferrochat_core::{FileId, JsonText, Message, MessageId, UserFile, UserId};
use ferrochat_providers::Image;
use futures_util::TryStreamExt;
use serde_json::{Value, json};

use super::images::{self, Images};
use super::office::Office;
use super::pdf::PdfTexts;
use crate::files::FileService;
use crate::{ServiceError, ServiceResult};

/// Files one message may carry.
pub const MAX_FILES: usize = 10;
/// Largest text file put in the prompt.
const MAX_TEXT: u64 = 256 * 1024;
/// Largest PDF or office document read for its text.
const MAX_PDF: u64 = 32 * 1024 * 1024;
/// Image types every provider takes.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// What is read from files for the model and kept for the later turns that send them again.
#[derive(Default)]
pub struct Derived {
    /// PDFs' text.
    pub pdfs: PdfTexts,
    /// Scaled-down images.
    pub images: Images,
}

/// What the model gets from one message's files.
#[derive(Debug, Default)]
pub struct Attached {
    /// Images, inline.
    pub images: Vec<Image>,
    /// Text to append to the message's text (file contents or notes).
    pub text: String,
}

/// The `files` of a new message: each ID must name a file of the user's.
pub async fn describe(
    files: &FileService,
    user: UserId,
    ids: &[FileId],
) -> ServiceResult<Option<JsonText>> {
    if ids.is_empty() {
        return Ok(None);
    }
    if ids.len() > MAX_FILES {
        return Err(ServiceError::invalid(
            "files",
            format!("at most {MAX_FILES} files per message"),
        ));
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let file = files.get(user, *id).await.map_err(|e| match e {
            ServiceError::NotFound(_) => {
                ServiceError::invalid("files", format!("{id} is not a file of yours"))
            }
            other => other,
        })?;
        out.push(reference(&file, files.client_path(&file)));
    }
    Ok(Some(JsonText::from_value(&Value::Array(out))))
}

/// A file as a message lists it (the LibreChat client's `TFile` subset).
fn reference(f: &UserFile, filepath: String) -> Value {
    json!({
        "file_id": f.id.to_string(),
        "filename": f.filename,
        "type": f.content_type,
        "bytes": f.bytes,
        "filepath": filepath,
        "width": f.width,
        "height": f.height,
    })
}

/// The IDs a message's `files` names.
fn ids(m: &Message) -> Vec<FileId> {
    let Some(files) = &m.files else {
        return Vec::new();
    };
    match files.to_value() {
        Value::Array(items) => items
            .iter()
            .filter_map(|f| f.get("file_id")?.as_str()?.parse().ok())
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads the files of the chain's user messages. A file deleted since is skipped with a note;
/// a storage failure fails the turn (answering without the file would mislead).
pub async fn load(
    files: &FileService,
    derived: &Derived,
    user: UserId,
    chain: &[&Message],
) -> ServiceResult<HashMap<MessageId, Attached>> {
    let mut out = HashMap::new();
    for m in chain.iter().filter(|m| m.is_created_by_user) {
        let wanted = ids(m);
        if wanted.is_empty() {
            continue;
        }
        let mut attached = Attached::default();
        for id in wanted {
            let file = match files.get(user, id).await {
                Ok(f) => f,
                Err(ServiceError::NotFound(_)) => {
                    note(
                        &mut attached,
                        &format!("[An attached file was deleted: {id}]"),
                    );
                    continue;
                }
                Err(e) => return Err(e),
            };
            add(files, derived, &file, &mut attached).await?;
        }
        out.insert(m.id, attached);
    }
    Ok(out)
}

async fn add(
    files: &FileService,
    derived: &Derived,
    file: &UserFile,
    to: &mut Attached,
) -> ServiceResult<()> {
    let kind = file.content_type.as_str();
    if IMAGE_TYPES.contains(&kind) && file.bytes <= images::MAX_DECODE {
        let bytes = read(files, file).await?;
        match derived.images.prepare(file.id, &file.sha256, bytes).await {
            Ok(image) => to.images.push(image),
            Err(why) => note(
                to,
                &format!(
                    "[Attached image {} ({}, {} bytes): it is not available to you: {why}]",
                    file.filename, file.content_type, file.bytes
                ),
            ),
        }
    } else if is_text(kind, &file.filename) && file.bytes <= MAX_TEXT {
        let bytes = read(files, file).await?;
        let text = String::from_utf8_lossy(&bytes);
        framed(
            to,
            file,
            "",
            Ok::<_, std::convert::Infallible>(text.trim_end()),
        );
    } else if is_pdf(kind, &file.filename) && file.bytes <= MAX_PDF {
        let bytes = read(files, file).await?;
        let text = derived.pdfs.text(file.id, &file.sha256, bytes).await;
        framed(to, file, " (the text of a PDF)", text);
    } else if let Some(office) = Office::of(kind, &file.filename)
        && file.bytes <= MAX_PDF
    {
        let bytes = read(files, file).await?;
        let text = tokio::task::spawn_blocking(move || super::office::text(&bytes, office))
            .await
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        framed(to, file, " (its text)", text);
    } else {
        note(
            to,
            &format!(
                "[Attached file {} ({}, {} bytes): its contents are not available to you]",
                file.filename, file.content_type, file.bytes
            ),
        );
    }
    Ok(())
}

/// Whether a file is a PDF, by type or, for the generic type, by extension.
fn is_pdf(kind: &str, name: &str) -> bool {
    kind == "application/pdf"
        || kind == "application/octet-stream" && name.to_ascii_lowercase().ends_with(".pdf")
}

/// A file's text between `--- Attached file: name{what} ---` lines, or a note saying why the
/// model cannot have it.
fn framed<T: std::fmt::Display, E: std::fmt::Display>(
    to: &mut Attached,
    file: &UserFile,
    what: &str,
    text: Result<T, E>,
) {
    let name = &file.filename;
    let line = match text {
        Ok(text) => format!("--- Attached file: {name}{what} ---\n{text}\n--- End of {name} ---"),
        Err(why) => format!(
            "[Attached file {name} ({}, {} bytes): its text is not available to you: {why}]",
            file.content_type, file.bytes
        ),
    };
    note(to, &line);
}

fn note(to: &mut Attached, text: &str) {
    to.text.push_str("\n\n");
    to.text.push_str(text);
}

async fn read(files: &FileService, file: &UserFile) -> ServiceResult<Vec<u8>> {
    let blob = files.contents(file, None).await?;
    blob.stream
        .try_fold(
            Vec::with_capacity(file.bytes as usize),
            |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            },
        )
        .await
        .map_err(|e| ServiceError::Unavailable(format!("file storage: {e}")))
}

/// Whether a file is text a model can read as such, by type or, for the generic type
/// browsers send for unknown files, by extension.
fn is_text(kind: &str, name: &str) -> bool {
    const TYPES: &[&str] = &[
        "application/json",
        "application/xml",
        "application/x-yaml",
        "application/yaml",
        "application/javascript",
        "application/x-sh",
        "application/sql",
        "application/toml",
    ];
    const EXTENSIONS: &[&str] = &[
        "txt", "md", "markdown", "csv", "tsv", "json", "yaml", "yml", "toml", "xml", "html", "css",
        "js", "ts", "tsx", "jsx", "py", "rs", "go", "java", "kt", "c", "h", "cpp", "hpp", "cs",
        "rb", "php", "sh", "sql", "swift", "lua", "r", "ini", "cfg", "log",
    ];
    if kind.starts_with("text/") || TYPES.contains(&kind) {
        return true;
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    kind == "application/octet-stream" && ext.is_some_and(|e| EXTENSIONS.contains(&e.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_files_are_known_by_type_or_extension() {
        assert!(is_text("text/markdown", "a.md"));
        assert!(is_text("application/json", "x"));
        assert!(is_text("application/octet-stream", "main.RS"));
        assert!(!is_text("application/octet-stream", "a.bin"));
        assert!(!is_text("application/pdf", "a.txt"));
    }
}
