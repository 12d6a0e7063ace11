//! Reading a backup file back: its header, then its lines as [`Entry`]s, checked as they come
//! (a line out of place is an error at that line) and at the end against the trailer, so a
//! file cut short or stitched together is refused before anything it holds is kept.

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::read::GzDecoder;
use serde_json::Value;

/// One line of a backup after its header.
#[derive(Debug, PartialEq)]
pub(super) enum Entry {
    /// A table starts, with the columns its rows list.
    Table { name: String, columns: Vec<String> },
    /// One row of the current table.
    Row(Vec<Value>),
    /// The contents of the file stored under this key follow.
    File(String),
    /// A piece of the current file's contents (empty when the reader was told not to decode).
    Data(Vec<u8>),
    /// The current file's contents are complete: their size and SHA-256 when written.
    FileEnd { bytes: u64, sha256: String },
}

/// What the lines held, and what the trailer says they hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Tally {
    tables: u64,
    rows: u64,
    files: u64,
    file_bytes: u64,
}

/// Where in the file the reader is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Tables,
    /// Between two files' contents.
    Files,
    /// Inside one file's contents.
    InFile,
}

/// The entries of one backup file, after its header.
pub(super) struct Entries {
    lines: Lines<BufReader<GzDecoder<std::fs::File>>>,
    decode: bool,
    section: Section,
    counted: Tally,
    ended: Option<Tally>,
    failed: bool,
}

/// Opens the backup at `path` and reads its header; `decode` false skips decoding files'
/// contents (a reader after the tables only).
pub(super) fn open(path: &Path, decode: bool) -> Result<(Value, Entries), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot be opened: {e}"))?;
    let mut lines = BufReader::new(GzDecoder::new(file)).lines();
    let header = match lines.next() {
        Some(Ok(line)) => serde_json::from_str(&line)
            .map_err(|_| "is not a ferrochat backup (no header)".to_owned())?,
        Some(Err(e)) => return Err(format!("cannot be read: {e}")),
        None => return Err("is empty".into()),
    };
    Ok((
        header,
        Entries {
            lines,
            decode,
            section: Section::Tables,
            counted: Tally::default(),
            ended: None,
            failed: false,
        },
    ))
}

impl Entries {
    /// The entry a line holds, or why it does not fit where it is.
    fn entry(&mut self, value: Value) -> Result<Option<Entry>, String> {
        match value {
            Value::Array(values) if self.section == Section::Tables => {
                self.counted.rows += 1;
                Ok(Some(Entry::Row(values)))
            }
            Value::String(data) if self.section == Section::InFile => {
                let bytes = if self.decode {
                    STANDARD
                        .decode(data.as_bytes())
                        .map_err(|e| format!("has damaged file contents: {e}"))?
                } else {
                    Vec::new()
                };
                Ok(Some(Entry::Data(bytes)))
            }
            Value::Object(mut o) => {
                if let Some(end) = o.get("end") {
                    if self.section == Section::InFile {
                        return Err("ends inside a file's contents".into());
                    }
                    let count = |key: &str| end.get(key).map_or(Some(0), Value::as_u64);
                    self.ended = Some(Tally {
                        tables: count("tables").unwrap_or(u64::MAX),
                        rows: count("rows").unwrap_or(u64::MAX),
                        files: count("files").unwrap_or(u64::MAX),
                        file_bytes: count("file_bytes").unwrap_or(u64::MAX),
                    });
                    return Ok(None);
                }
                if let Some(key) = o.remove("file") {
                    if self.section == Section::InFile {
                        return Err("starts a file inside another".into());
                    }
                    let key = key
                        .as_str()
                        .filter(|k| !k.is_empty())
                        .ok_or("names a file without a key")?;
                    self.section = Section::InFile;
                    return Ok(Some(Entry::File(key.to_owned())));
                }
                if let Some(end) = o.remove("file_end") {
                    if self.section != Section::InFile {
                        return Err("ends a file that did not start".into());
                    }
                    let bytes = end["bytes"]
                        .as_u64()
                        .ok_or("has a file end without its size")?;
                    let sha256 = end["sha256"]
                        .as_str()
                        .ok_or("has a file end without its SHA-256")?
                        .to_owned();
                    self.section = Section::Files;
                    self.counted.files += 1;
                    self.counted.file_bytes += bytes;
                    return Ok(Some(Entry::FileEnd { bytes, sha256 }));
                }
                if self.section != Section::Tables {
                    return Err("has a table after the files' contents".into());
                }
                let name = o
                    .remove("table")
                    .and_then(|t| t.as_str().map(str::to_owned));
                let columns = o.remove("columns").and_then(|c| {
                    c.as_array().map(|cs| {
                        cs.iter()
                            .filter_map(|c| c.as_str().map(str::to_owned))
                            .collect::<Vec<_>>()
                    })
                });
                match (name, columns) {
                    (Some(name), Some(columns)) => {
                        self.counted.tables += 1;
                        Ok(Some(Entry::Table { name, columns }))
                    }
                    _ => Err("has a line that is neither a table nor a row".into()),
                }
            }
            _ => Err("has a line out of place (a row among files, or data outside a file)".into()),
        }
    }

    /// The end of the file: fine when a trailer came and matches what came before it.
    fn finish(&self) -> Option<Result<Entry, String>> {
        match &self.ended {
            Some(end) if *end == self.counted => None,
            Some(end) => Some(Err(format!(
                "is inconsistent: its trailer says {} tables, {} rows and {} files ({} bytes); it holds {}, {} and {} ({} bytes)",
                end.tables,
                end.rows,
                end.files,
                end.file_bytes,
                self.counted.tables,
                self.counted.rows,
                self.counted.files,
                self.counted.file_bytes
            ))),
            None => Some(Err("is cut short (no trailer)".into())),
        }
    }
}

impl Iterator for Entries {
    type Item = Result<Entry, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let Some(line) = self.lines.next() else {
                let end = self.finish();
                self.failed = end.is_some();
                return end;
            };
            let found = if self.ended.is_some() {
                Err("has data after its trailer".to_owned())
            } else {
                line.map_err(|e| format!("cannot be read: {e}"))
                    .and_then(|l| {
                        serde_json::from_str(&l).map_err(|e| format!("has a damaged line: {e}"))
                    })
                    .and_then(|value| self.entry(value))
            };
            match found {
                Ok(Some(entry)) => return Some(Ok(entry)),
                // The trailer: the next turn checks it against the end of the file.
                Ok(None) => continue,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write as _;

    use super::*;

    const HEADER: &str = r#"{"format":"ferrochat-backup","version":2,"files":true}"#;

    /// The entries of a backup made of `lines`, or the first error.
    fn read(lines: &[&str], decode: bool) -> Result<Vec<Entry>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for line in std::iter::once(HEADER).chain(lines.iter().copied()) {
            writeln!(gz, "{line}").unwrap();
        }
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let (header, entries) = open(&path, decode)?;
        assert_eq!(header["version"], 2);
        entries.collect()
    }

    #[test]
    fn tables_then_files_read_back_and_match_the_trailer() {
        let lines = [
            r#"{"table":"files","columns":["id","storage_key"]}"#,
            r#"["f1","k1"]"#,
            r#"{"file":"k1"}"#,
            r#""aGVs""#,
            r#""bG8=""#,
            r#"{"file_end":{"bytes":5,"sha256":"x"}}"#,
            r#"{"end":{"tables":1,"rows":1,"files":1,"file_bytes":5}}"#,
        ];
        let entries = read(&lines, true).unwrap();
        assert_eq!(entries[3], Entry::Data(b"hel".to_vec()));
        assert_eq!(entries[4], Entry::Data(b"lo".to_vec()));
        assert_eq!(
            entries[5],
            Entry::FileEnd {
                bytes: 5,
                sha256: "x".into()
            }
        );
        // Not decoded: the lines are still checked, their bytes skipped.
        assert_eq!(read(&lines, false).unwrap()[3], Entry::Data(Vec::new()));
        // A version 1 trailer (no files) still matches a file without files.
        let v1 = [
            r#"{"table":"t","columns":["a"]}"#,
            r#"[1]"#,
            r#"{"end":{"tables":1,"rows":1}}"#,
        ];
        assert_eq!(read(&v1, true).unwrap().len(), 2);
    }

    #[test]
    fn lines_out_of_place_and_wrong_trailers_are_refused() {
        let table = r#"{"table":"t","columns":["a"]}"#;
        let cases: [(&[&str], &str); 8] = [
            (&[table, r#"{"file":"k"}"#, r#"[1]"#], "out of place"),
            (&[table, r#""aGVs""#], "out of place"),
            (&[r#"{"file":"k"}"#, r#"{"file":"j"}"#], "inside another"),
            (
                &[r#"{"file_end":{"bytes":1,"sha256":"x"}}"#],
                "did not start",
            ),
            (
                &[
                    r#"{"file":"k"}"#,
                    r#"{"file_end":{"bytes":0,"sha256":"x"}}"#,
                    table,
                ],
                "table after the files",
            ),
            (&[r#"{"file":"k"}"#, r#""!!""#], "damaged file contents"),
            (&[r#"{"file":"k"}"#, r#"{"end":{}}"#], "ends inside"),
            (
                &[table, r#"{"end":{"tables":1,"rows":0}}"#, r#"[1]"#],
                "after its trailer",
            ),
        ];
        for (lines, why) in cases {
            let err = read(lines, true).unwrap_err();
            assert!(err.contains(why), "{lines:?}: {err}");
        }
        let err = read(&[table, r#"[1]"#, r#"{"end":{"tables":1,"rows":2}}"#], true).unwrap_err();
        assert!(err.contains("inconsistent"), "{err}");
        let err = read(&[table, r#"[1]"#], true).unwrap_err();
        assert!(err.contains("cut short"), "{err}");
    }
}
