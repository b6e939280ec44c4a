//! A spool: records appended to a file as they come, read back in another
//! order. Only `(key, offset, length)` of each record stays in memory, so a
//! writer that must order what it streams (bundle.json's scenarios in suite
//! order, a JUnit testsuite's testcases by line) holds no record itself.

use std::{
    fs::File,
    io::{self, BufReader, BufWriter, Read as _, Write as _},
    path::{Path, PathBuf},
};

/// Appends records to a file.
pub struct Spool {
    path: PathBuf,
    out: BufWriter<File>,
    offset: u64,
    index: Vec<Slot>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    key: u64,
    offset: u64,
    len: u64,
}

impl Spool {
    /// Creates (or truncates) the spool file at `path`.
    pub fn create(path: &Path) -> io::Result<Spool> {
        Ok(Spool { path: path.to_path_buf(), out: BufWriter::new(File::create(path)?), offset: 0, index: Vec::new() })
    }

    /// Appends one record, to be read back in the order of `key` (records
    /// with equal keys in the order they were appended).
    pub fn append(&mut self, key: u64, record: &[u8]) -> io::Result<()> {
        self.out.write_all(record)?;
        let len = record.len() as u64;
        self.index.push(Slot { key, offset: self.offset, len });
        self.offset += len;
        Ok(())
    }

    /// Records appended so far.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Ends writing; the records can then be read back in key order.
    pub fn finish(mut self) -> io::Result<SpoolReader> {
        self.out.flush()?;
        let file = self.out.into_inner().map_err(io::IntoInnerError::into_error)?;
        drop(file);
        self.index.sort_by_key(|s| s.key);
        Ok(SpoolReader { path: self.path, index: self.index })
    }
}

/// A finished spool, read in key order as often as needed.
pub struct SpoolReader {
    path: PathBuf,
    index: Vec<Slot>,
}

impl SpoolReader {
    /// Calls `f` with each record, in key order (one record in memory at a time).
    pub fn each(&self, f: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        // Records written in about the order they are read come through
        // the buffer; a jump back or ahead seeks.
        let mut file = BufReader::with_capacity(64 * 1024, File::open(&self.path)?);
        let mut buf = Vec::new();
        let mut at = 0u64;
        for slot in &self.index {
            if slot.offset != at {
                file.seek_relative(slot.offset as i64 - at as i64)?;
            }
            buf.resize(slot.len as usize, 0);
            file.read_exact(&mut buf)?;
            at = slot.offset + slot.len;
            f(&buf)?;
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_in_key_order_whatever_order_they_went_in() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::create(&dir.path().join("s")).unwrap();
        for (key, text) in [(3, "c"), (1, "a1"), (2, "bb"), (1, "a2"), (0, "")] {
            spool.append(key, text.as_bytes()).unwrap();
        }
        assert_eq!(spool.len(), 5);
        let reader = spool.finish().unwrap();
        for _ in 0..2 {
            let mut got = Vec::new();
            reader
                .each(&mut |r| {
                    got.push(String::from_utf8(r.to_vec()).unwrap());
                    Ok(())
                })
                .unwrap();
            assert_eq!(got, ["", "a1", "a2", "bb", "c"]);
        }
    }

    #[test]
    fn a_truncated_spool_is_an_error_not_a_short_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut spool = Spool::create(&path).unwrap();
        spool.append(0, b"0123456789").unwrap();
        let reader = spool.finish().unwrap();
        std::fs::write(&path, b"01234").unwrap();
        let err = reader.each(&mut |_| Ok(())).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
