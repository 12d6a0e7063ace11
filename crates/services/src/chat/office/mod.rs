//! The text of office documents, for the model: Word (`.docx`), PowerPoint (`.pptx`), Excel
//! (`.xlsx`) and OpenDocument text, presentations and spreadsheets (`.odt`, `.odp`, `.ods`);
//! spreadsheets as each sheet's rows, cells separated by tabs ([`sheets`]).
//!
//! Each is a ZIP archive of XML parts; the text is read from the parts that hold it, in
//! process and with limits, because an archive is easily made to expand enormously: at most
//! [`MAX_PARTS`] parts, [`MAX_XML`] bytes inflated per part, and [`super::pdf::MAX_TEXT`] bytes
//! of text in all. Paragraphs become lines; a presentation's slides are numbered.

mod sheets;

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
    /// `xl/worksheets/sheetN.xml`, cells by row, strings in `xl/sharedStrings.xml`.
    Xlsx,
    /// `content.xml`, tables of rows of cells.
    Ods,
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
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _)
            | ("application/octet-stream" | "application/zip", "xlsx") => Some(Self::Xlsx),
            (
                "application/vnd.oasis.opendocument.text"
                | "application/vnd.oasis.opendocument.presentation",
                _,
            )
            | ("application/octet-stream" | "application/zip", "odt" | "odp") => {
                Some(Self::OpenDocument)
            }
            ("application/vnd.oasis.opendocument.spreadsheet", _)
            | ("application/octet-stream" | "application/zip", "ods") => Some(Self::Ods),
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
        Office::Xlsx => sheets::xlsx(&mut zip, &mut out)?,
        Office::Ods => sheets::ods(&part(&mut zip, "content.xml")?, &mut out)?,
        Office::Pptx => {
            for (number, name) in numbered(&zip, "ppt/slides/slide") {
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

/// The parts `{prefix}N.xml`, by number, at most [`MAX_PARTS`].
fn numbered(zip: &zip::ZipArchive<Cursor<&[u8]>>, prefix: &str) -> Vec<(u32, String)> {
    let mut parts: Vec<(u32, String)> = zip
        .file_names()
        .filter_map(|n| {
            let number = n.strip_prefix(prefix)?.strip_suffix(".xml")?.parse().ok()?;
            Some((number, n.to_owned()))
        })
        .collect();
    parts.sort();
    parts.truncate(MAX_PARTS);
    parts
}

/// The XML part `name`, inflated up to [`MAX_XML`] bytes.
fn part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Vec<u8>, OfficeError> {
    let mut xml = Vec::new();
    zip.by_name(name)
        .map_err(|_| OfficeError::Unreadable)?
        .take(MAX_XML)
        .read_to_end(&mut xml)
        .map_err(|_| OfficeError::Unreadable)?;
    Ok(xml)
}

/// Walks the XML `xml`, calling `on` with each event (entity references resolved into text).
fn walk(xml: &[u8], mut on: impl FnMut(Node<'_>) -> bool) -> Result<(), OfficeError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|_| OfficeError::Unreadable)?;
        let node = match &event {
            Event::Start(e) => Node::Start(e.local_name().into_inner(), Attrs::of(e)),
            Event::End(e) => Node::End(e.local_name().into_inner()),
            Event::Empty(e) => Node::Empty(e.local_name().into_inner(), Attrs::of(e)),
            Event::Text(t) => Node::Text(t.decode().map_err(|_| OfficeError::Unreadable)?),
            Event::CData(t) => Node::Text(String::from_utf8_lossy(t)),
            Event::GeneralRef(r) => {
                let name: &[u8] = r;
                let resolved = match name {
                    b"amp" => Some('&'),
                    b"lt" => Some('<'),
                    b"gt" => Some('>'),
                    b"quot" => Some('"'),
                    b"apos" => Some('\''),
                    _ => r.resolve_char_ref().ok().flatten(),
                };
                Node::Text(resolved.map(String::from).unwrap_or_default().into())
            }
            Event::Eof => return Ok(()),
            _ => Node::Other,
        };
        if !on(node) {
            return Ok(());
        }
        buf.clear();
    }
}

/// What [`walk`] reports: elements by local name (with the attributes the readers need), and
/// text.
enum Node<'a> {
    Start(&'a [u8], Attrs),
    End(&'a [u8]),
    Empty(&'a [u8], Attrs),
    Text(std::borrow::Cow<'a, str>),
    Other,
}

/// The attributes of an element that the readers use.
#[derive(Clone, Copy)]
struct Attrs {
    /// `t="s"`: an Excel cell holding the index of a shared string.
    shared: bool,
    /// OpenDocument's `number-columns-repeated` or `number-rows-repeated` (1 when absent).
    repeated: u32,
}

impl Attrs {
    fn of(e: &quick_xml::events::BytesStart<'_>) -> Self {
        let mut attrs = Attrs {
            shared: false,
            repeated: 1,
        };
        for a in e.attributes().flatten() {
            match a.key.local_name().into_inner() {
                b"t" => attrs.shared = a.value.as_ref() == b"s",
                b"number-columns-repeated" | b"number-rows-repeated" => {
                    attrs.repeated = std::str::from_utf8(&a.value)
                        .ok()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(1);
                }
                _ => {}
            }
        }
        attrs
    }
}

/// Appends the text of the XML part `name`: only inside `t` elements when `tagged` (Office
/// Open XML), any text otherwise (OpenDocument); paragraphs and headings end lines.
fn read_part(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    tagged: bool,
    out: &mut String,
) -> Result<(), OfficeError> {
    let xml = part(zip, name)?;
    let mut inside_t = 0usize;
    walk(&xml, |node| {
        match node {
            Node::Start(b"t", _) => inside_t += 1,
            Node::End(b"t") => inside_t = inside_t.saturating_sub(1),
            Node::End(b"p" | b"h") => out.push('\n'),
            Node::Empty(b"tab", _) => out.push('\t'),
            Node::Empty(b"br" | b"line-break", _) => out.push('\n'),
            Node::Empty(b"s", _) if !tagged => out.push(' '),
            Node::Text(t) if !tagged || inside_t > 0 => out.push_str(&t),
            _ => {}
        }
        out.len() <= MAX_TEXT
    })
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
    fn spreadsheet_rows_with_shared_inline_and_number_cells() {
        let book = archive(&[
            (
                "xl/sharedStrings.xml",
                r#"<sst><si><t>Name</t></si><si><r><t>Tot</t></r><r><t>al</t></r></si><si><t>Ada &amp; co</t></si></sst>"#,
            ),
            (
                "xl/worksheets/sheet1.xml",
                r#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><f>SUM(1,2)</f><v>3</v></c><c r="C2" t="inlineStr"><is><t>note</t></is></c></row></sheetData></worksheet>"#,
            ),
            (
                "xl/worksheets/sheet2.xml",
                r#"<worksheet><sheetData><row><c><v>7</v></c></row></sheetData></worksheet>"#,
            ),
        ]);
        assert_eq!(
            text(&book, Office::Xlsx).unwrap(),
            "[Sheet 1]\nName\tTotal\nAda & co\t3\tnote\n\n[Sheet 2]\n7"
        );
    }

    #[test]
    fn open_document_spreadsheets_by_table_row_and_cell() {
        // Repeated cells and rows as spreadsheet programs write them, to the sheet's edge; a
        // merged (covered) cell, a cell of two paragraphs, a comment left out.
        let content = r#"<office:document-content xmlns:table="t" xmlns:text="x" xmlns:office="o"><office:body><office:spreadsheet>
<table:table table:name="Budget">
  <table:table-row><table:table-cell office:value-type="string"><text:p>Item</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2"><text:p>Cost</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16381"/></table:table-row>
  <table:table-row table:number-rows-repeated="2"><table:table-cell><text:p>Tea <text:s/>&amp; cake</text:p><office:annotation><text:p>HIDDEN</text:p></office:annotation></table:table-cell><table:table-cell table:number-columns-repeated="1"/><table:table-cell office:value-type="float" office:value="3.5"><text:p>3.5</text:p></table:table-cell></table:table-row>
  <table:table-row><table:table-cell><text:p>Two</text:p><text:p>lines</text:p></table:table-cell><table:covered-table-cell/><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row>
  <table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
</table:table>
<table:table table:name="Empty"><table:table-row><table:table-cell/></table:table-row></table:table>
</office:spreadsheet></office:body></office:document-content>"#;
        let ods = archive(&[("content.xml", content)]);
        assert_eq!(
            text(&ods, Office::Ods).unwrap(),
            "[Sheet 1]\nItem\tCost\tCost\nTea  & cake\t\t3.5\nTea  & cake\t\t3.5\nTwo lines\t\tx\n\n[Sheet 2]"
        );
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
        let cases = [
            (
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "x",
                Some(Office::Docx),
            ),
            ("application/octet-stream", "Deck.PPTX", Some(Office::Pptx)),
            (
                "application/octet-stream",
                "a.odt",
                Some(Office::OpenDocument),
            ),
            ("application/octet-stream", "b.xlsx", Some(Office::Xlsx)),
            (
                "application/vnd.oasis.opendocument.spreadsheet",
                "x",
                Some(Office::Ods),
            ),
            ("application/octet-stream", "c.ods", Some(Office::Ods)),
            ("application/pdf", "a.docx", None),
        ];
        for (kind, name, want) in cases {
            assert_eq!(Office::of(kind, name), want, "{kind} {name}");
        }
    }
}
