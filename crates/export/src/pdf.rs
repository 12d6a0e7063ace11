//! PDF, typeset by Typst: the template (`template.typ`) reads the conversation from a JSON
//! file it is given, so message text is data, never markup. Fonts are Typst's bundled ones
//! (Libertinus Serif, New Computer Modern, DejaVu Sans Mono: Latin, Greek, Cyrillic); scripts
//! they lack (CJK, emoji) come out blank.

use std::sync::OnceLock;

use ferrochat_core::{Conversation, Message};
use serde_json::{Value, json};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::{ExportError, byline, current_branch, visible_text, when};

const TEMPLATE: &str = include_str!("template.typ");

/// What every compilation shares: the standard library and the parsed fonts (building them
/// takes longer than typesetting a chat).
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: FileId,
    data: FileId,
}

fn shared() -> Option<&'static Shared> {
    static SHARED: OnceLock<Option<Shared>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let fonts: Vec<Font> = typst_assets::fonts()
                .flat_map(|data| Font::iter(Bytes::new(data)))
                .collect();
            let id = |name: &str| {
                VirtualPath::new(name)
                    .map(|path| RootedPath::new(VirtualRoot::Project, path).intern())
                    .ok()
            };
            Some(Shared {
                library: LazyHash::new(Library::default()),
                book: LazyHash::new(FontBook::from_fonts(&fonts)),
                fonts,
                main: id("main.typ")?,
                data: id("data.json")?,
            })
        })
        .as_ref()
}

/// One document: the template and its data; nothing else can be read.
struct Document {
    shared: &'static Shared,
    main: Source,
    data: Bytes,
}

impl World for Document {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.shared.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.shared.main {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.shared.data {
            Ok(self.data.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// Splits Markdown text into prose and fenced code blocks (```lang … ```); an unclosed fence
/// runs to the end, as Markdown renders it.
fn blocks(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut prose = String::new();
    let mut code: Option<(Option<String>, String)> = None;
    for line in text.lines() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut code, fence) {
            (None, Some(lang)) => {
                if !prose.trim().is_empty() {
                    out.push(json!({ "code": false, "lang": null, "body": prose.trim() }));
                }
                prose.clear();
                let lang = lang.trim();
                code = Some(((!lang.is_empty()).then(|| lang.to_owned()), String::new()));
            }
            (Some(_), Some(_)) => {
                if let Some((lang, body)) = code.take() {
                    out.push(
                        json!({ "code": true, "lang": lang, "body": body.trim_end_matches('\n') }),
                    );
                }
            }
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {
                prose.push_str(line);
                prose.push('\n');
            }
        }
    }
    if let Some((lang, body)) = code {
        out.push(json!({ "code": true, "lang": lang, "body": body.trim_end_matches('\n') }));
    }
    if !prose.trim().is_empty() {
        out.push(json!({ "code": false, "lang": null, "body": prose.trim() }));
    }
    out
}

/// The data the template reads.
fn data(c: &Conversation, messages: &[Message]) -> Value {
    let byline = byline(c);
    let messages: Vec<Value> = current_branch(messages)
        .into_iter()
        .map(|m| {
            json!({
                "author": m.sender,
                "user": m.is_created_by_user,
                "error": m.error,
                "meta": match (m.is_created_by_user, m.model.as_deref()) {
                    (false, Some(model)) if !model.eq_ignore_ascii_case(&m.sender) => {
                        format!("{model} · {}", when(m.created_at))
                    }
                    _ => when(m.created_at),
                },
                "blocks": blocks(&visible_text(m)),
            })
        })
        .collect();
    json!({
        "title": c.title,
        "byline": if byline.is_empty() { when(c.created_at) } else { format!("{} · {byline}", when(c.created_at)) },
        "messages": messages,
    })
}

/// The conversation's current branch as a PDF. CPU-bound (tens of milliseconds per page):
/// call it off the async workers.
pub fn pdf(c: &Conversation, messages: &[Message]) -> Result<Vec<u8>, ExportError> {
    let shared = shared().ok_or_else(|| ExportError("no typesetting environment".into()))?;
    let data = serde_json::to_vec(&data(c, messages)).map_err(|e| ExportError(e.to_string()))?;
    let document = Document {
        shared,
        main: Source::new(shared.main, TEMPLATE.to_owned()),
        data: Bytes::new(data),
    };
    let diagnostics = |errors: &[typst::diag::SourceDiagnostic]| {
        ExportError(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    };
    let paged = typst::compile::<typst_layout::PagedDocument>(&document)
        .output
        .map_err(|e| diagnostics(&e))?;
    let bytes =
        typst_pdf::pdf(&paged, &typst_pdf::PdfOptions::default()).map_err(|e| diagnostics(&e));
    // Typst memoizes across compilations; keep only what recent ones used, so a server that
    // exports for weeks does not grow.
    typst::comemo::evict(10);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;

    #[test]
    fn code_fences_become_code_blocks() {
        let b = blocks("Here:\n\n```rust\nfn main() {}\n```\nAfter.\n```\nopen");
        assert_eq!(
            b,
            vec![
                json!({ "code": false, "lang": null, "body": "Here:" }),
                json!({ "code": true, "lang": "rust", "body": "fn main() {}" }),
                json!({ "code": false, "lang": null, "body": "After." }),
                json!({ "code": true, "lang": null, "body": "open" }),
            ]
        );
    }

    #[test]
    fn typesets_a_pdf_and_takes_markup_as_text() {
        let mut tree = tree();
        tree[3].text = "#set page(width: 1pt) $x^2$ *not bold* #panic(\"no\")".into();
        let bytes = pdf(&conversation(), &tree).unwrap_or_else(|e| panic!("{e}"));
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.len() > 1000);
    }
}
