//! sessions.csv and intervals.csv: rows streamed while a replication runs,
//! into one part file per replication; `assemble` joins the parts in
//! replication order behind the header, so the bytes do not depend on which
//! thread ran what.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::atomic::AtomicFile;
use super::fmt::{push_f64, push_str, push_time, push_u64};
use super::session_stats::SessionStats;
use crate::engine::sink::{IntervalRecord, SessionRecord, Sinks};

pub const SESSIONS_HEADER: &str = "replication,session_id,task_id,service,channel,priority,arrived_s,queued_s,queue_position,user,accepted_s,wait_s,ended_s,outcome,outcome_group,offers,ronas,transferred_to,failure_reason,positions_told\n";
pub const INTERVALS_HEADER: &str = "replication,service,interval_start_s,interval_start,offered,queued,handled,abandoned,failed,service_level,mean_wait_s,wait_p90_s,mean_queue_length,max_queue_length,selectable_users,occupancy,engaged,slot_occupancy\n";

/// zstd level of `sessions.csv.zst`: level 1 is the fastest (see
/// results/BENCHMARKS.md for the size and speed of the levels).
pub const ZSTD_LEVEL: i32 = 1;

/// A part file's writer: plain, or one zstd frame per part (zstd frames
/// concatenate into a valid stream, so `assemble` still just copies bytes).
enum Out {
    Plain(BufWriter<File>),
    Zstd(zstd::stream::Encoder<'static, BufWriter<File>>),
}

impl Out {
    fn write_all(&mut self, row: &[u8]) -> io::Result<()> {
        match self {
            Out::Plain(w) => w.write_all(row),
            Out::Zstd(w) => w.write_all(row),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Out::Plain(w) => w.flush(),
            Out::Zstd(w) => w.flush(),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Out::Plain(mut w) => w.flush(),
            Out::Zstd(w) => w.finish()?.flush(),
        }
    }
}

struct Part {
    path: PathBuf,
    out: Out,
}

/// Writes one replication's rows to part files; the first I/O error is kept
/// and reported by `finish`. Tallies what report.html shows of the sessions.
pub struct FileSinks {
    sessions: Option<Part>,
    stats: SessionStats,
    intervals: Part,
    row: Vec<u8>,
    error: Option<io::Error>,
    /// Intervals ended, shared by all replications (see `RunOptions::progress`).
    progress: Option<Arc<AtomicU64>>,
    last_interval: f64,
}

fn part(dir: &Path, name: &str, rep: u32, zstd: bool) -> io::Result<Part> {
    let path = dir.join(format!(".{name}.r{rep}.{}.part", std::process::id()));
    let f = BufWriter::with_capacity(1 << 17, File::create(&path)?);
    let out = if zstd {
        Out::Zstd(zstd::stream::Encoder::new(f, ZSTD_LEVEL)?)
    } else {
        Out::Plain(f)
    };
    Ok(Part { path, out })
}

impl FileSinks {
    /// `sessions`: write sessions rows; `zstd`: compress them (sessions.csv.zst).
    pub fn create(
        dir: &Path,
        rep: u32,
        sessions: bool,
        zstd: bool,
        progress: Option<Arc<AtomicU64>>,
    ) -> io::Result<FileSinks> {
        Ok(FileSinks {
            sessions: if sessions {
                Some(part(dir, "sessions", rep, zstd)?)
            } else {
                None
            },
            stats: SessionStats::default(),
            intervals: part(dir, "intervals", rep, false)?,
            row: Vec::with_capacity(256),
            error: None,
            progress,
            last_interval: f64::NAN,
        })
    }

    /// Flushes; returns the part files (sessions, intervals) and the
    /// sessions' tally (`None` without sessions).
    pub fn finish(mut self) -> io::Result<(Option<PathBuf>, PathBuf, Option<SessionStats>)> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let (s, stats) = match self.sessions.take() {
            Some(p) => {
                p.out.finish()?;
                (Some(p.path), Some(std::mem::take(&mut self.stats)))
            }
            None => (None, None),
        };
        self.intervals.out.flush()?;
        Ok((s, self.intervals.path.clone(), stats))
    }

    fn write_row(out: &mut Out, row: &[u8], error: &mut Option<io::Error>) {
        if error.is_none() {
            if let Err(e) = out.write_all(row) {
                *error = Some(e);
            }
        }
    }
}

impl Drop for FileSinks {
    fn drop(&mut self) {
        // Parts are removed once assembled; on failure they must not linger.
        if self.error.is_some() {
            if let Some(p) = &self.sessions {
                let _ = std::fs::remove_file(&p.path);
            }
            let _ = std::fs::remove_file(&self.intervals.path);
        }
    }
}

impl Sinks for FileSinks {
    fn wants_sessions(&self) -> bool {
        self.sessions.is_some()
    }

    fn session(&mut self, r: &SessionRecord) {
        let Some(part) = self.sessions.as_mut() else {
            return;
        };
        self.stats.record(r);
        let o = &mut self.row;
        o.clear();
        push_u64(o, r.replication as u64);
        o.push(b',');
        push_u64(o, r.session_id);
        o.push(b',');
        push_u64(o, r.task_id);
        o.push(b',');
        push_str(o, r.service);
        o.push(b',');
        o.extend_from_slice(r.channel.name().as_bytes());
        o.push(b',');
        o.extend_from_slice(r.priority.name().as_bytes());
        o.push(b',');
        push_time(o, Some(r.arrived), r.origin);
        o.push(b',');
        push_time(o, r.queued, r.origin);
        o.push(b',');
        if let Some(p) = r.queue_position {
            push_u64(o, p as u64);
        }
        o.push(b',');
        if let Some(u) = r.user {
            push_str(o, u);
        }
        o.push(b',');
        push_time(o, r.accepted, r.origin);
        o.push(b',');
        push_time(o, r.wait, 0);
        o.push(b',');
        push_time(o, Some(r.ended), r.origin);
        o.push(b',');
        o.extend_from_slice(r.outcome.name().as_bytes());
        o.push(b',');
        o.extend_from_slice(r.outcome.group().name().as_bytes());
        o.push(b',');
        push_u64(o, r.offers as u64);
        o.push(b',');
        push_u64(o, r.ronas as u64);
        o.push(b',');
        if let Some(t) = r.transferred_to {
            push_str(o, t);
        }
        o.push(b',');
        if let Some(f) = r.failure_reason {
            push_str(o, f);
        }
        o.push(b',');
        for (i, p) in r.positions_told.iter().enumerate() {
            if i > 0 {
                o.push(b';');
            }
            push_u64(o, *p as u64);
        }
        o.push(b'\n');
        Self::write_row(&mut part.out, o, &mut self.error);
    }

    fn interval(&mut self, r: &IntervalRecord) {
        if let Some(p) = &self.progress {
            // One record per service per interval: count each interval once.
            if r.start_s != self.last_interval {
                self.last_interval = r.start_s;
                p.fetch_add(1, Ordering::Relaxed);
            }
        }
        let o = &mut self.row;
        o.clear();
        push_u64(o, r.replication as u64);
        o.push(b',');
        push_str(o, r.service);
        o.push(b',');
        push_f64(o, r.start_s, 3);
        o.push(b',');
        let _ = write!(o, "{}", r.start_local);
        for v in [r.offered, r.queued, r.handled, r.abandoned, r.failed] {
            o.push(b',');
            push_u64(o, v);
        }
        o.push(b',');
        push_f64(o, r.service_level, 6);
        o.push(b',');
        push_f64(o, r.mean_wait_s, 3);
        o.push(b',');
        push_f64(o, r.wait_p90_s, 3);
        o.push(b',');
        push_f64(o, r.mean_queue_length, 6);
        o.push(b',');
        push_u64(o, r.max_queue_length as u64);
        o.push(b',');
        push_f64(o, r.selectable_users, 6);
        for v in [r.engaged, r.engaged, r.slot_occupancy] {
            o.push(b',');
            push_f64(o, v, 6);
        }
        o.push(b'\n');
        Self::write_row(&mut self.intervals.out, o, &mut self.error);
    }
}

/// Joins part files behind `header` into a staged atomic file at `dest`;
/// with `zstd` the parts are zstd frames and the header becomes one too.
pub fn assemble(
    dest: &Path,
    header: &str,
    parts: &[PathBuf],
    zstd: bool,
) -> io::Result<AtomicFile> {
    let mut out = AtomicFile::create(dest)?;
    if zstd {
        out.write_all(&zstd::encode_all(header.as_bytes(), ZSTD_LEVEL)?)?;
    } else {
        out.write_all(header.as_bytes())?;
    }
    for p in parts {
        let mut f = File::open(p)?;
        io::copy(&mut f, out.writer())?;
    }
    Ok(out)
}
