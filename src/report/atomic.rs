//! Atomic output files: written under a temporary name in the target folder,
//! renamed into place only when complete, so an interrupted run never leaves a
//! half file that looks whole.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(dest: &Path) -> io::Result<AtomicFile> {
        if dest.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "a folder stands where the file should go",
            ));
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dest.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let f = File::create(&tmp)?;
        Ok(AtomicFile {
            tmp,
            dest: dest.to_path_buf(),
            out: Some(BufWriter::with_capacity(1 << 16, f)),
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.out.as_mut().expect("writer used after commit")
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        let out = self.out.take().expect("committed once");
        let done = out
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .and_then(|()| std::fs::rename(&self.tmp, &self.dest));
        if let Err(e) = done {
            let _ = std::fs::remove_file(&self.tmp);
            return Err(e);
        }
        Ok(self.dest.clone())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.is_some() {
            // Not committed: leave nothing behind.
            self.out = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes a whole file atomically.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    stage(dest, bytes)?.commit()
}

/// Writes `bytes` under a temporary name; `commit` puts the file in place.
pub fn stage(dest: &Path, bytes: &[u8]) -> io::Result<AtomicFile> {
    let mut f = AtomicFile::create(dest)?;
    f.write_all(bytes)?;
    Ok(f)
}

/// Commits staged files in order; a failure names the file.
pub fn commit_all(files: Vec<AtomicFile>) -> Result<Vec<PathBuf>, (PathBuf, io::Error)> {
    let mut done = Vec::with_capacity(files.len());
    for f in files {
        let dest = f.dest.clone();
        done.push(f.commit().map_err(|e| (dest, e))?);
    }
    Ok(done)
}
