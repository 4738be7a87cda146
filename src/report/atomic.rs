//! Atomic output files: written under a temporary name in the target folder,
//! renamed into place only when complete, so an interrupted run never leaves a
//! half file that looks whole.

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
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
        let tmp = tmp_path(dest);
        let f = File::create(&tmp)?;
        Ok(AtomicFile {
            tmp,
            dest: dest.to_path_buf(),
            out: Some(BufWriter::with_capacity(1 << 16, f)),
        })
    }

    /// Takes over `existing` as the file's start: it is renamed to the
    /// temporary name, and writes append to it.
    pub fn adopt(dest: &Path, existing: &Path) -> io::Result<AtomicFile> {
        if dest.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "a folder stands where the file should go",
            ));
        }
        let tmp = tmp_path(dest);
        std::fs::rename(existing, &tmp)?;
        // Not O_APPEND: the kernel's copy_file_range refuses such a file,
        // and appending parts would fall back to a copy through user space.
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&tmp)
            .and_then(|mut f| f.seek(io::SeekFrom::End(0)).map(|_| f));
        let f = f.inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })?;
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

/// Where a file is written before it is renamed to `dest`.
fn tmp_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
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
