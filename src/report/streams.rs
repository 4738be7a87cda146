//! sessions.csv and intervals.csv: rows streamed while a replication runs,
//! into one part file per replication; `assemble` joins the parts in
//! replication order behind the header, so the bytes do not depend on which
//! thread ran what.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::atomic::AtomicFile;
use super::fmt::{push_f64, push_str, push_time, push_u64};
use crate::engine::sink::{IntervalRecord, SessionRecord, Sinks};

pub const SESSIONS_HEADER: &str = "replication,session_id,task_id,service,channel,priority,arrived_s,queued_s,queue_position,user,accepted_s,wait_s,ended_s,outcome,outcome_group,offers,ronas,transferred_to,failure_reason,positions_told\n";
pub const INTERVALS_HEADER: &str = "replication,service,interval_start_s,interval_start,offered,queued,handled,abandoned,failed,service_level,mean_wait_s,wait_p90_s,mean_queue_length,max_queue_length,selectable_users,occupancy,engaged,slot_occupancy\n";

struct Part {
    path: PathBuf,
    out: BufWriter<File>,
}

/// Writes one replication's rows to part files; the first I/O error is kept
/// and reported by `finish`.
pub struct FileSinks {
    sessions: Option<Part>,
    intervals: Part,
    row: Vec<u8>,
    error: Option<io::Error>,
}

fn part(dir: &Path, name: &str, rep: u32) -> io::Result<Part> {
    let path = dir.join(format!(".{name}.r{rep}.{}.part", std::process::id()));
    let f = File::create(&path)?;
    Ok(Part {
        path,
        out: BufWriter::with_capacity(1 << 17, f),
    })
}

impl FileSinks {
    pub fn create(dir: &Path, rep: u32, sessions: bool) -> io::Result<FileSinks> {
        Ok(FileSinks {
            sessions: if sessions {
                Some(part(dir, "sessions", rep)?)
            } else {
                None
            },
            intervals: part(dir, "intervals", rep)?,
            row: Vec::with_capacity(256),
            error: None,
        })
    }

    /// Flushes; returns the part files (sessions, intervals).
    pub fn finish(mut self) -> io::Result<(Option<PathBuf>, PathBuf)> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let s = match self.sessions.take() {
            Some(mut p) => {
                p.out.flush()?;
                Some(p.path.clone())
            }
            None => None,
        };
        self.intervals.out.flush()?;
        Ok((s, self.intervals.path.clone()))
    }

    fn write_row(out: &mut BufWriter<File>, row: &[u8], error: &mut Option<io::Error>) {
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

/// Joins part files behind `header` into a staged atomic file at `dest`.
pub fn assemble(dest: &Path, header: &str, parts: &[PathBuf]) -> io::Result<AtomicFile> {
    let mut out = AtomicFile::create(dest)?;
    out.write_all(header.as_bytes())?;
    for p in parts {
        let mut f = File::open(p)?;
        io::copy(&mut f, out.writer())?;
    }
    Ok(out)
}
