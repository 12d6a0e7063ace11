//! The text of office documents, for the model: Word (`.docx`), PowerPoint (`.pptx`) and
//! OpenDocument text and presentations (`.odt`, `.odp`).
//!
//! Each is a ZIP archive of XML parts; the text is read from the parts that hold it, in
//! process and with limits, because an archive is easily made to expand enormously: at most
//! [`MAX_PARTS`] parts, [`MAX_XML`] bytes inflated per part, and [`super::pdf::MAX_TEXT`] bytes
//! of text in all. Paragraphs become lines; a presentation's slides are numbered.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::pdf::MAX_TEXT;

/// Parts of a presentation read at most (its slides).
const MAX_PARTS: usize = 500;
/// Bytes one XML part may inflate to.
const MAX_XML: u64 = 32 * 1024 * 1024;

/// The document kinds read, by what holds their text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Office {
    /// `word/document.xml`, text in `w:t`.
    Docx,
    /// `ppt/slides/slideN.xml`, text in `a:t`.
    Pptx,
    /// `content.xml`, text anywhere in it.
    OpenDocument,
}

impl Office {
    /// The kind of a file, by MIME type or, for the generic type, by extension.
    pub fn of(kind: &str, name: &str) -> Option<Self> {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match (kind, ext.as_str()) {
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _)
            | ("application/octet-stream" | "application/zip", "docx") => Some(Self::Docx),
            ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _)
            | ("application/octet-stream" | "application/zip", "pptx") => Some(Self::Pptx),
            (
                "application/vnd.oasis.opendocument.text"
                | "application/vnd.oasis.opendocument.presentation",
                _,
            )
            | ("application/octet-stream" | "application/zip", "odt" | "odp") => {
                Some(Self::OpenDocument)
            }
            _ => None,
        }
    }
}

/// Why a document's text is not available.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OfficeError {
    /// Not a ZIP archive, or damaged.
    #[error("it could not be read as that kind of document")]
    Unreadable,
}

/// The text of `bytes`, a document of kind `office` (call off the async threads: it inflates
/// and parses).
pub fn text(bytes: &[u8], office: Office) -> Result<String, OfficeError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| OfficeError::Unreadable)?;
    let mut out = String::new();
    match office {
        Office::Docx => read_part(&mut zip, "word/document.xml", true, &mut out)?,
        Office::OpenDocument => read_part(&mut zip, "content.xml", false, &mut out)?,
        Office::Pptx => {
            let mut slides: Vec<(u32, String)> = zip
                .file_names()
                .filter_map(|n| {
                    let number = n
                        .strip_prefix("ppt/slides/slide")?
                        .strip_suffix(".xml")?
                        .parse()
                        .ok()?;
                    Some((number, n.to_owned()))
                })
                .collect();
            slides.sort();
            for (number, name) in slides.into_iter().take(MAX_PARTS) {
                if out.len() >= MAX_TEXT {
                    break;
                }
                out.push_str(&format!("[Slide {number}]\n"));
                read_part(&mut zip, &name, true, &mut out)?;
                out.push('\n');
            }
        }
    }
    if out.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n[… the rest of this document's text was cut]");
    }
    Ok(out.trim_end().to_owned())
}

/// Appends the text of the XML part `name`: only inside `t` elements when `tagged` (Office
/// Open XML), any text otherwise (OpenDocument); paragraphs and headings end lines.
fn read_part(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    tagged: bool,
    out: &mut String,
) -> Result<(), OfficeError> {
    let mut xml = Vec::new();
    zip.by_name(name)
        .map_err(|_| OfficeError::Unreadable)?
        .take(MAX_XML)
        .read_to_end(&mut xml)
        .map_err(|_| OfficeError::Unreadable)?;
    let mut reader = Reader::from_reader(xml.as_slice());
    let mut buf = Vec::new();
    let mut inside_t = 0usize;
    loop {
        if out.len() > MAX_TEXT {
            return Ok(());
        }
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|_| OfficeError::Unreadable)?;
        let takes_text = !tagged || inside_t > 0;
        match event {
            Event::Start(e) if e.local_name().as_ref() == b"t" => inside_t += 1,
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => inside_t = inside_t.saturating_sub(1),
                b"p" | b"h" => out.push('\n'),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"tab" => out.push('\t'),
                b"br" | b"line-break" => out.push('\n'),
                b"s" if !tagged => out.push(' '),
                _ => {}
            },
            Event::Text(t) if takes_text => {
                out.push_str(&t.decode().map_err(|_| OfficeError::Unreadable)?);
            }
            Event::CData(t) if takes_text => {
                out.push_str(&String::from_utf8_lossy(&t));
            }
            Event::GeneralRef(r) if takes_text => {
                let name: &[u8] = &r;
                let resolved = match name {
                    b"amp" => Some('&'),
                    b"lt" => Some('<'),
                    b"gt" => Some('>'),
                    b"quot" => Some('"'),
                    b"apos" => Some('\''),
                    _ => r.resolve_char_ref().ok().flatten(),
                };
                out.extend(resolved);
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn archive(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body) in parts {
            zip.start_file(
                *name,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn word_paragraphs_tabs_and_entities() {
        let doc = archive(&[(
            "word/document.xml",
            r#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>Fish &amp; chips</w:t><w:tab/><w:t xml:space="preserve"> &#163;5</w:t></w:r></w:p><w:p><w:r><w:instrText>IGNORED</w:instrText><w:t>Second</w:t></w:r></w:p></w:body></w:document>"#,
        )]);
        assert_eq!(
            text(&doc, Office::Docx).unwrap(),
            "Fish & chips\t £5\nSecond"
        );
    }

    #[test]
    fn slides_in_number_order_and_open_document() {
        let deck = archive(&[
            (
                "ppt/slides/slide10.xml",
                r#"<p:sld xmlns:a="a" xmlns:p="p"><a:p><a:r><a:t>Ten</a:t></a:r></a:p></p:sld>"#,
            ),
            (
                "ppt/slides/slide2.xml",
                r#"<p:sld xmlns:a="a" xmlns:p="p"><a:p><a:r><a:t>Two</a:t></a:r></a:p></p:sld>"#,
            ),
        ]);
        assert_eq!(
            text(&deck, Office::Pptx).unwrap(),
            "[Slide 2]\nTwo\n\n[Slide 10]\nTen"
        );
        let odt = archive(&[(
            "content.xml",
            r#"<office:document-content xmlns:text="t"><text:h>Title</text:h><text:p>A<text:s/>b<text:span>c</text:span></text:p></office:document-content>"#,
        )]);
        assert_eq!(text(&odt, Office::OpenDocument).unwrap(), "Title\nA bc");
    }

    #[test]
    fn damaged_or_foreign_archives_are_unreadable() {
        assert_eq!(
            text(b"PK\x03\x04junk", Office::Docx),
            Err(OfficeError::Unreadable)
        );
        let other = archive(&[("readme.txt", "hi")]);
        assert_eq!(text(&other, Office::Docx), Err(OfficeError::Unreadable));
    }

    #[test]
    fn kinds_by_type_or_extension() {
        assert_eq!(
            Office::of(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "x"
            ),
            Some(Office::Docx)
        );
        assert_eq!(
            Office::of("application/octet-stream", "Deck.PPTX"),
            Some(Office::Pptx)
        );
        assert_eq!(
            Office::of("application/octet-stream", "a.odt"),
            Some(Office::OpenDocument)
        );
        assert_eq!(Office::of("application/pdf", "a.docx"), None);
    }
}
