//! The text of attached PDFs, for the model.
//!
//! Text comes from poppler's `pdftotext`, run as a child process: PDF parsers are a classic
//! target, and a hostile or broken file can then crash or stall only that process (killed after
//! [`TIMEOUT`], its output read no further than [`MAX_TEXT`]), never the server. Where
//! `pdftotext` is not installed (Debian's `poppler-utils`), a PDF stays a note, as any file the
//! model cannot read. A file is sent again on every later turn of its branch, so the text of
//! recent PDFs is kept in memory, keyed by file and contents.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use ferrochat_core::FileId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest a PDF may take to read.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Text kept per PDF; the rest is cut with a note.
pub(crate) const MAX_TEXT: usize = 256 * 1024;
/// PDFs whose text is kept.
const CACHED: usize = 32;

/// Why a PDF's text is not available.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PdfError {
    /// No `pdftotext` on this machine.
    #[error("PDF text extraction is not installed on the server")]
    Unavailable,
    /// Not a PDF `pdftotext` can read (damaged, encrypted, or not a PDF).
    #[error("it could not be read as a PDF")]
    Unreadable,
    /// It took longer than [`TIMEOUT`].
    #[error("reading it took too long")]
    TooSlow,
}

/// Reads PDFs' text, keeping the last few.
#[derive(Default)]
pub struct PdfTexts {
    recent: super::recent::Recent<Arc<str>, CACHED>,
}

impl PdfTexts {
    /// The text of `bytes`, file `id` with contents `sha256`.
    pub async fn text(
        &self,
        id: FileId,
        sha256: &str,
        bytes: Vec<u8>,
    ) -> Result<Arc<str>, PdfError> {
        if let Some(hit) = self.recent.get(id, sha256) {
            return Ok(hit);
        }
        let text: Arc<str> = Arc::from(extract(bytes).await?);
        self.recent.put(id, sha256, text.clone());
        Ok(text)
    }
}

/// Runs `pdftotext` on `bytes` (stdin to stdout, UTF-8, no page-break characters).
async fn extract(bytes: Vec<u8>) -> Result<String, PdfError> {
    let mut child = tokio::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-nopgbrk", "-q", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => PdfError::Unavailable,
            _ => PdfError::Unreadable,
        })?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(PdfError::Unreadable);
    };
    let run = async move {
        // Written while the output is read: a large PDF would otherwise fill both pipes.
        let feed = async move {
            // A reader that stops early closes the pipe; its exit status tells the rest.
            let _ = stdin.write_all(&bytes).await;
            drop(stdin);
        };
        let mut out = Vec::new();
        let mut limited = stdout.take(MAX_TEXT as u64 + 1);
        let read = limited.read_to_end(&mut out);
        let ((), read) = tokio::join!(feed, read);
        read.map_err(|_| PdfError::Unreadable)?;
        let cut = out.len() > MAX_TEXT;
        if cut {
            // Enough text is read; the rest of the output is not wanted.
            let _ = child.start_kill();
        }
        let status = child.wait().await.map_err(|_| PdfError::Unreadable)?;
        if !cut && !status.success() {
            return Err(PdfError::Unreadable);
        }
        out.truncate(MAX_TEXT);
        let mut text = String::from_utf8_lossy(&out).trim_end().to_owned();
        if cut {
            text.push_str("\n[… the rest of this PDF's text was cut]");
        }
        Ok(text)
    };
    tokio::time::timeout(TIMEOUT, run)
        .await
        .map_err(|_| PdfError::TooSlow)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_read_once_comes_from_memory_afterwards() {
        let texts = PdfTexts::default();
        let id = FileId::new();
        texts.recent.put(id, "abc", Arc::from("kept text"));
        // Not a PDF at all: only the memory can answer, by file and contents.
        let got = texts.text(id, "abc", b"junk".to_vec()).await;
        assert_eq!(got.as_deref(), Ok("kept text"));
        let other = texts.text(id, "changed", b"junk".to_vec()).await;
        assert!(other.is_err(), "{other:?}");
    }

    #[tokio::test]
    async fn garbage_is_unreadable_or_reported_missing() {
        let got = extract(b"%PDF-1.7 not really".to_vec()).await;
        assert!(
            matches!(got, Err(PdfError::Unreadable | PdfError::Unavailable)),
            "{got:?}"
        );
    }
}
