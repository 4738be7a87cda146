//! A result folder written as a whole: every command that writes one (run,
//! sweep, staff, merge, load) writes into a hidden sibling staging folder
//! and swaps it in at once, so the folder always holds the files of exactly
//! one run — the new one when it is complete, the previous one until then.
//!
//! - Lock: `.NAME.lock` beside the folder, held (`flock`) while writing; a
//!   second writer into the same folder gets an error naming the process.
//! - Swap: `renameat2(RENAME_EXCHANGE)` where the file system has it (one
//!   atomic step); elsewhere the old folder is renamed aside, the new one
//!   into place, and a kill between the two is repaired by the next run.
//! - Clean-up: the staging folder is removed on error, on drop, and on
//!   SIGINT / SIGTERM; stale ones of killed runs are removed by the next
//!   writer of that folder.
//!
//! A folder is only replaced if it holds nothing but routesim result files,
//! so `-o .` or `-o ~/Documents` cannot throw away unrelated files.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

/// Every file a routesim command writes into a result folder.
pub const RESULT_FILES: [&str; 20] = [
    "sessions.csv",
    "sessions.csv.zst",
    "tenants.csv",
    "intervals.csv",
    "users.csv",
    "replications.csv",
    "summary.csv",
    "summary.json",
    "interval_counts.csv",
    "report.html",
    "sweep.csv",
    "sweep.json",
    "sweep_replications.csv",
    "sweep_interval_counts.csv",
    "staffing.csv",
    "staffing.json",
    "load.csv",
    "find_max.csv",
    "comparison.csv",
    "comparison_intervals.csv",
];

pub struct OutDir {
    dest: PathBuf,
    stage: PathBuf,
    lock: Option<(File, PathBuf)>,
}

/// Staging folders and their locks, removed if a signal ends the process.
static LIVE: Mutex<Vec<(PathBuf, PathBuf)>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();
/// Set by a command that stops gracefully on Ctrl-C and then commits or
/// drops its `OutDir` itself (load): SIGINT then does not end the process.
static SIGINT_TO_CALLER: AtomicBool = AtomicBool::new(false);

/// Leaves SIGINT to the caller's own handling (see `SIGINT_TO_CALLER`);
/// SIGTERM still removes the staging folder and exits.
pub fn leave_sigint_to_caller() {
    SIGINT_TO_CALLER.store(true, Ordering::Relaxed);
}

fn err(kind: io::ErrorKind, msg: String) -> io::Error {
    io::Error::new(kind, msg)
}

impl OutDir {
    /// Locks `dest`, removes what killed runs left, and creates an empty
    /// staging folder. Call it when the results are ready to write (load's
    /// own Ctrl-C handling must not be overridden during its test).
    pub fn begin(dest: &Path) -> io::Result<OutDir> {
        let (dest, parent, name, lock) = prepare(dest)?;
        let stage = parent.join(format!(".{name}.new-{}", std::process::id()));
        // Registered before it exists: a signal at any moment finds it.
        install_handler();
        LIVE.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((stage.clone(), lock.1.clone()));
        let out = OutDir {
            dest,
            stage,
            lock: Some(lock),
        };
        fs::create_dir(&out.stage)?;
        Ok(out)
    }

    /// Where to write every file of the result.
    pub fn path(&self) -> &Path {
        &self.stage
    }

    /// The final path of a file written into the staging folder.
    pub fn final_path(&self, p: &Path) -> PathBuf {
        p.strip_prefix(&self.stage)
            .map_or_else(|_| p.to_path_buf(), |rel| self.dest.join(rel))
    }

    /// Swaps the staging folder in: `dest` then holds exactly the new files.
    pub fn commit(self) -> io::Result<()> {
        sync_dir(&self.stage);
        {
            // Not while a signal handler is deleting the staging folder.
            let _live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
            swap(&self.stage, &self.dest)?;
        }
        if let Some(parent) = self.dest.parent() {
            sync_dir(parent);
        }
        Ok(())
    }
}

/// A result folder's lock held by a command that adds files to the folder
/// instead of replacing it (`compare`), so a run writing the same folder
/// cannot swap it while those files go in.
pub struct FolderLock(Option<(File, PathBuf)>);

impl FolderLock {
    /// Takes `dest`'s lock (creating the folders above it); `dest` may be
    /// missing but not a file.
    pub fn take(dest: &Path) -> io::Result<FolderLock> {
        let (parent, name) = split(&resolve(dest)?)?;
        fs::create_dir_all(&parent)?;
        lock(&parent.join(format!(".{name}.lock"))).map(|l| FolderLock(Some(l)))
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        release(self.0.take());
    }
}

/// Unlinks a lock file while still holding it; a waiter that opened the old
/// file sees it gone and retries (see `lock`).
fn release(lock: Option<(File, PathBuf)>) {
    if let Some((file, path)) = lock {
        let _ = fs::remove_file(&path);
        drop(file);
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        // After a swap the staging path holds the previous run (or nothing).
        let _ = fs::remove_dir_all(&self.stage);
        let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|(s, _)| *s != self.stage);
        drop(live);
        release(self.lock.take());
    }
}

/// Checks early that `dest` could be written (free, replaceable) and
/// cleans what killed runs left, without keeping the lock or installing the
/// signal handler (load checks before its test and writes after it).
pub fn check(dest: &Path) -> io::Result<()> {
    let (_, _, _, (file, path)) = prepare(dest)?;
    let _ = fs::remove_file(&path);
    drop(file);
    Ok(())
}

/// Resolves `dest`, takes its lock, cleans stale temp, checks it may be replaced.
fn prepare(dest: &Path) -> io::Result<(PathBuf, PathBuf, String, (File, PathBuf))> {
    let dest = resolve(dest)?;
    let (parent, name) = split(&dest)?;
    fs::create_dir_all(&parent)?;
    let lock = lock(&parent.join(format!(".{name}.lock")))?;
    let ready = clean_stale(&parent, &name, &dest).and_then(|()| check_replaceable(&dest));
    if let Err(e) = ready {
        let _ = fs::remove_file(&lock.1);
        return Err(e);
    }
    Ok((dest, parent, name, lock))
}

/// An absolute path with a last component (`.` becomes the folder's name).
fn resolve(dest: &Path) -> io::Result<PathBuf> {
    if dest.exists() {
        let meta = fs::metadata(dest)?;
        if !meta.is_dir() {
            return Err(err(
                io::ErrorKind::AlreadyExists,
                "a file, not a folder, stands there; choose a folder path".into(),
            ));
        }
        return fs::canonicalize(dest);
    }
    std::path::absolute(dest)
}

fn split(dest: &Path) -> io::Result<(PathBuf, String)> {
    match (dest.parent(), dest.file_name()) {
        (Some(p), Some(n)) => Ok((p.to_path_buf(), n.to_string_lossy().into_owned())),
        _ => Err(err(
            io::ErrorKind::InvalidInput,
            "cannot write results into the root folder; choose a sub-folder".into(),
        )),
    }
}

/// Takes the folder's lock, or says which process holds it.
fn lock(path: &Path) -> io::Result<(File, PathBuf)> {
    loop {
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        match f.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = f.read_to_string(&mut holder);
                let who = match holder.trim().parse::<u32>() {
                    Ok(pid) => format!("another routesim (process {pid})"),
                    Err(_) => "another routesim".to_string(),
                };
                return Err(err(
                    io::ErrorKind::ResourceBusy,
                    format!("{who} is writing this folder; wait for it to finish or choose another output folder"),
                ));
            }
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
        // The previous holder unlinks the file before unlocking: if ours is
        // no longer the file at `path`, take the lock again on the new one.
        if same_file(&f, path) {
            f.set_len(0)?;
            write!(f, "{}", std::process::id())?;
            return Ok((f, path.to_path_buf()));
        }
    }
}

#[cfg(unix)]
fn same_file(f: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

/// Removes what killed runs left: staging folders, and temp files of older
/// versions inside the folder. An old folder renamed aside by an
/// interrupted non-atomic swap is put back if the folder itself is missing.
fn clean_stale(parent: &Path, name: &str, dest: &Path) -> io::Result<()> {
    let new = format!(".{name}.new-");
    let old = format!(".{name}.old-");
    for e in fs::read_dir(parent)?.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(&old) && !dest.exists() {
            fs::rename(e.path(), dest)?;
        } else if n.starts_with(&new) || n.starts_with(&old) {
            fs::remove_dir_all(e.path())?;
        }
    }
    if dest.is_dir() {
        for e in fs::read_dir(dest)?.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with('.') && (n.ends_with(".tmp") || n.ends_with(".part")) {
                fs::remove_file(e.path())?;
            }
        }
    }
    Ok(())
}

/// Refuses to replace a folder holding anything routesim did not write.
fn check_replaceable(dest: &Path) -> io::Result<()> {
    if !dest.is_dir() {
        return Ok(());
    }
    let mut foreign: Vec<String> = fs::read_dir(dest)?
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            !(RESULT_FILES.contains(&n.as_str()) && e.path().is_file())
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    foreign.sort();
    if foreign.is_empty() {
        return Ok(());
    }
    let more = if foreign.len() > 3 {
        format!(" and {} more", foreign.len() - 3)
    } else {
        String::new()
    };
    foreign.truncate(3);
    Err(err(
        io::ErrorKind::AlreadyExists,
        format!(
            "holds {}{more}, which routesim did not write; a result folder is replaced as a whole, so choose an empty or new folder, or one routesim wrote",
            foreign.join(", ")
        ),
    ))
}

fn swap(stage: &Path, dest: &Path) -> io::Result<()> {
    if !dest.exists() {
        return fs::rename(stage, dest);
    }
    if exchange(stage, dest)? {
        return Ok(());
    }
    let (parent, name) = split(dest)?;
    let aside = parent.join(format!(".{name}.old-{}", std::process::id()));
    fs::rename(dest, &aside)?;
    fs::rename(stage, dest)?;
    fs::remove_dir_all(&aside)
}

/// Atomically exchanges two paths; Ok(false) where the system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| err(io::ErrorKind::InvalidInput, "path holds a NUL byte".into()))
    };
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: two valid NUL-terminated paths; renameat2 reads them only.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<bool> {
    Ok(false)
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

/// On SIGINT / SIGTERM: remove the staging folders and locks, then exit
/// with 128 + the signal, as the default action would.
fn install_handler() {
    HANDLER.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        std::thread::spawn(move || {
            for sig in signals.forever() {
                if sig == SIGINT && SIGINT_TO_CALLER.load(Ordering::Relaxed) {
                    continue;
                }
                let live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
                for (stage, lock) in live.iter() {
                    // Files may still appear while workers run: retry.
                    for _ in 0..3 {
                        if fs::remove_dir_all(stage).is_ok() || !stage.exists() {
                            break;
                        }
                    }
                    let _ = fs::remove_file(lock);
                }
                std::process::exit(128 + sig);
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_whole_folder_and_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("r");
        fs::create_dir(&dest).unwrap();
        fs::write(dest.join("sessions.csv"), "old").unwrap();
        fs::write(dest.join("summary.json"), "old").unwrap();
        fs::write(dest.join(".x.123.part"), "junk").unwrap();
        fs::create_dir(tmp.path().join(".r.new-999999")).unwrap();
        let out = OutDir::begin(&dest).unwrap();
        assert!(!tmp.path().join(".r.new-999999").exists(), "stale staging");
        fs::write(out.path().join("summary.json"), "new").unwrap();
        // Until the commit the previous run stays whole.
        assert_eq!(
            fs::read_to_string(dest.join("summary.json")).unwrap(),
            "old"
        );
        // A second writer is refused and named.
        let e = OutDir::begin(&dest).err().unwrap();
        assert!(
            e.to_string().contains(&std::process::id().to_string()),
            "{e}"
        );
        out.commit().unwrap();
        assert_eq!(
            fs::read_to_string(dest.join("summary.json")).unwrap(),
            "new"
        );
        assert!(!dest.join("sessions.csv").exists(), "a file of the old run");
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("r")]);
    }

    #[test]
    fn refuses_a_folder_with_foreign_files() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let e = OutDir::begin(tmp.path()).err().unwrap();
        assert!(e.to_string().contains("notes.txt"), "{e}");
        assert!(tmp.path().join("notes.txt").exists());
    }

    #[test]
    fn restores_a_folder_left_aside() {
        let tmp = tempfile::tempdir().unwrap();
        let aside = tmp.path().join(".r.old-5");
        fs::create_dir(&aside).unwrap();
        fs::write(aside.join("summary.json"), "prev").unwrap();
        let dest = tmp.path().join("r");
        drop(OutDir::begin(&dest).unwrap());
        assert_eq!(
            fs::read_to_string(dest.join("summary.json")).unwrap(),
            "prev"
        );
        assert!(!aside.exists());
    }
}
