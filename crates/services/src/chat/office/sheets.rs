//! Spreadsheets' text: each sheet's rows as lines, cells separated by tabs, a cell showing its
//! value (a formula's last result, not the formula).

use std::io::Cursor;

use super::{MAX_TEXT, Node, OfficeError, numbered, part, walk};

/// Times a repeated OpenDocument row or cell is written out at most: files repeat empty cells
/// to the sheet's edge (16,384 columns, a million rows), and those are dropped anyway.
const MAX_REPEAT: u32 = 256;
/// Cells kept per row.
const MAX_CELLS: usize = 1024;

/// Appends every sheet of an Excel workbook (`[Sheet N]`, then its rows).
pub(super) fn xlsx(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    out: &mut String,
) -> Result<(), OfficeError> {
    let strings = shared_strings(zip)?;
    for (number, name) in numbered(zip, "xl/worksheets/sheet") {
        if out.len() >= MAX_TEXT {
            break;
        }
        out.push_str(&format!("[Sheet {number}]\n"));
        read_sheet(zip, &name, &strings, out)?;
        out.push('\n');
    }
    Ok(())
}

/// A workbook's shared strings, in order (each the text of its `t` elements).
fn shared_strings(zip: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<Vec<String>, OfficeError> {
    let Ok(xml) = part(zip, "xl/sharedStrings.xml") else {
        // A workbook of numbers only has none.
        return Ok(Vec::new());
    };
    let mut strings = Vec::new();
    let (mut current, mut inside_t, mut size) = (String::new(), false, 0usize);
    walk(&xml, |node| {
        match node {
            Node::Start(b"t", _) => inside_t = true,
            Node::End(b"t") => inside_t = false,
            Node::End(b"si") => {
                size += current.len();
                strings.push(std::mem::take(&mut current));
            }
            Node::Text(t) if inside_t => current.push_str(&t),
            _ => {}
        }
        size <= MAX_TEXT * 4
    })?;
    Ok(strings)
}

/// Appends a sheet's rows, cells separated by tabs: shared strings looked up, inline strings,
/// numbers and formula results as written.
fn read_sheet(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    strings: &[String],
    out: &mut String,
) -> Result<(), OfficeError> {
    let xml = part(zip, name)?;
    let (mut shared, mut in_value, mut first_in_row) = (false, false, true);
    let mut value = String::new();
    walk(&xml, |node| {
        match node {
            Node::Start(b"row", _) => first_in_row = true,
            Node::End(b"row") => out.push('\n'),
            Node::Start(b"c", attrs) => {
                if !first_in_row {
                    out.push('\t');
                }
                first_in_row = false;
                shared = attrs.shared;
            }
            Node::Start(b"v" | b"t", _) => {
                in_value = true;
                value.clear();
            }
            Node::End(b"v") | Node::End(b"t") => {
                in_value = false;
                match value.trim().parse::<usize>().ok().filter(|_| shared) {
                    Some(i) => out.push_str(strings.get(i).map_or("", String::as_str)),
                    None => out.push_str(&value),
                }
            }
            Node::Text(t) if in_value => value.push_str(&t),
            _ => {}
        }
        out.len() <= MAX_TEXT
    })
}

/// Appends every table of an OpenDocument spreadsheet's `content.xml` (`[Sheet N]`, then its
/// rows). Cells' paragraphs are joined by spaces; comments are left out; empty cells and rows
/// at the edges are dropped, repeated ones written out up to [`MAX_REPEAT`] times.
pub(super) fn ods(xml: &[u8], out: &mut String) -> Result<(), OfficeError> {
    let mut sheet = 0u32;
    let mut row: Vec<String> = Vec::new();
    let mut row_repeat = 1;
    let mut cell: Option<(String, u32)> = None;
    let mut in_comment = 0usize;
    walk(xml, |node| {
        match node {
            Node::Start(b"table", _) => {
                sheet += 1;
                out.push_str(&format!("[Sheet {sheet}]\n"));
            }
            Node::End(b"table") => out.push('\n'),
            Node::Start(b"table-row", attrs) => {
                row.clear();
                row_repeat = attrs.repeated.min(MAX_REPEAT);
            }
            Node::End(b"table-row") => {
                while row.last().is_some_and(String::is_empty) {
                    row.pop();
                }
                if !row.is_empty() {
                    let line = row.join("\t");
                    for _ in 0..row_repeat {
                        out.push_str(&line);
                        out.push('\n');
                    }
                }
            }
            Node::Start(b"table-cell" | b"covered-table-cell", attrs) => {
                cell = Some((String::new(), attrs.repeated.min(MAX_REPEAT)));
            }
            Node::Empty(b"table-cell" | b"covered-table-cell", attrs) => {
                push_cells(&mut row, "", attrs.repeated.min(MAX_REPEAT));
            }
            Node::End(b"table-cell" | b"covered-table-cell") => {
                if let Some((text, times)) = cell.take() {
                    push_cells(&mut row, text.trim(), times);
                }
            }
            Node::Start(b"annotation", _) => in_comment += 1,
            Node::End(b"annotation") => in_comment = in_comment.saturating_sub(1),
            Node::Start(b"p", _) if in_comment == 0 => {
                if let Some((text, _)) = cell.as_mut().filter(|(t, _)| !t.is_empty()) {
                    text.push(' ');
                }
            }
            Node::Empty(b"s" | b"tab" | b"line-break", _) if in_comment == 0 => {
                if let Some((text, _)) = cell.as_mut() {
                    text.push(' ');
                }
            }
            Node::Text(t) if in_comment == 0 => {
                if let Some((text, _)) = cell.as_mut() {
                    text.push_str(&t);
                }
            }
            _ => {}
        }
        out.len() <= MAX_TEXT
    })
}

/// Adds `times` cells holding `text` to a row, up to [`MAX_CELLS`].
fn push_cells(row: &mut Vec<String>, text: &str, times: u32) {
    for _ in 0..times {
        if row.len() >= MAX_CELLS {
            return;
        }
        row.push(text.to_owned());
    }
}
