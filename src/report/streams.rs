//! sessions.csv and intervals.csv: rows streamed while a replication runs,
//! into one part file per replication; `assemble` joins the parts in
//! replication order behind the header, so the bytes do not depend on which
//! thread ran what.

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::atomic::AtomicFile;
use super::fmt::{push_f64, push_str, push_u64};
use super::line::{Field, Line};
use super::session_stats::SessionStats;
use crate::engine::sink::{IntervalRecord, SessionRecord, Sinks};
use crate::model::{Channel, Outcome, Priority, Scenario, ServiceId, Time, UserId};

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

    /// Asks the kernel to start writing what was written so far to disk,
    /// without waiting: the final fsync (`AtomicFile::commit`) then finds
    /// little left to do instead of a whole file to write.
    fn start_writeback(&mut self) -> io::Result<()> {
        let file = match self {
            Out::Plain(w) => {
                w.flush()?;
                w.get_ref()
            }
            Out::Zstd(w) => {
                w.get_mut().flush()?;
                w.get_ref().get_ref()
            }
        };
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: a plain syscall on a file descriptor we own; it reads
            // no memory of ours. Offset 0, length 0: the whole file.
            unsafe {
                libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = file;
        Ok(())
    }
}

/// Bytes of sessions.csv after which its writer starts their writeback.
const WRITEBACK_EVERY: usize = 64 << 20;

struct Part {
    path: PathBuf,
    out: Out,
}

/// Rows handed to the writer thread at a time (about 1 MB of rows).
const CHUNK_ROWS: usize = 8192;

/// One session row as the engine hands it over: numbers and ids, no text
/// (the writer thread looks the names up), so the engine's part of a row is
/// a copy of a few words. Absent times are `NEVER`, absent ids `NONE`; the
/// replication and the time origin are the writer's.
#[derive(Debug, Clone, Copy)]
struct Row {
    session_id: u64,
    task_id: u64,
    arrived: Time,
    queued: Time,
    accepted: Time,
    wait: Time,
    ended: Time,
    service: ServiceId,
    queue_position: u32,
    user: UserId,
    offers: u32,
    ronas: u32,
    transferred_to: ServiceId,
    /// Index into the chunk's `failures`.
    failure: u32,
    told: [u16; 8],
    channel: Channel,
    priority: Priority,
    outcome: Outcome,
    n_told: u8,
}

const NONE: u32 = u32::MAX;
const NEVER: Time = Time::MAX;

/// Rows in flight between the engine and the writer thread; the writer
/// sends emptied chunks back, so the engine allocates none in steady state.
#[derive(Default)]
struct Chunk {
    rows: Vec<Row>,
    /// Failure reasons of this chunk's rows (rare: failed or leftover sessions).
    failures: Vec<String>,
}

/// What a session row's ids and labels stand for, as CSV fields.
struct Names {
    services: Vec<Field>,
    users: Vec<Field>,
    /// The services' names as they are.
    raw: Vec<String>,
    channels: Vec<Field>,
    priorities: Vec<Field>,
    /// "outcome,outcome_group" by `Outcome as usize`.
    outcomes: Vec<Field>,
    replication: u32,
    origin: Time,
}

impl Names {
    fn new(scn: &Scenario, replication: u32) -> Names {
        // Each label at its value's index, whatever the declaration order.
        let mut channels = vec![Field::new(""); 2];
        for c in [Channel::Interact, Channel::WhatsApp] {
            channels[c as usize] = Field::new(c.name());
        }
        let mut priorities = vec![Field::new(""); Priority::ALL.len()];
        for p in Priority::ALL {
            priorities[p.index()] = Field::new(p.name());
        }
        let mut outcomes = vec![Field::new(""); Outcome::ALL.len()];
        for o in Outcome::ALL {
            // Both names are plain words: joined, they stay two fields.
            let pair = format!("{},{}", o.name(), o.group().name());
            outcomes[o as usize] = Field::verbatim(pair.into_bytes());
        }
        Names {
            services: scn.services.iter().map(|s| Field::new(&s.name)).collect(),
            users: scn.users.iter().map(|u| Field::new(&u.name)).collect(),
            raw: scn.services.iter().map(|s| s.name.clone()).collect(),
            channels,
            priorities,
            outcomes,
            replication,
            origin: scn.sim.measure_start(),
        }
    }
}

/// sessions.csv's writer: a thread that formats the rows, tallies them for
/// report.html and writes them to the part file, while the engine runs on.
/// Formatting and the kernel's copy of ~140 bytes per row were about half of
/// a run's time with sessions on one core.
struct SessionWriter {
    path: PathBuf,
    /// Set when this replication's rows continue the first replication's
    /// part (`Parts`): its position in the file order, to pass the turn on.
    chain: Option<(Arc<Parts>, usize)>,
    /// Writing at the end of another replication's part (not its own file).
    appended: bool,
    /// What every row's replication and time origin are (checked in debug
    /// builds: rows carry neither).
    replication: u32,
    origin: Time,
    chunk: Chunk,
    full: Option<SyncSender<Chunk>>,
    empty: Receiver<Chunk>,
    thread: Option<JoinHandle<io::Result<SessionStats>>>,
}

impl SessionWriter {
    fn start(
        part: Part,
        names: Names,
        chain: Option<(Arc<Parts>, usize)>,
        appended: bool,
    ) -> io::Result<SessionWriter> {
        // Up to 8 batches (~7 MB, ~25 ms of the engine's rows) in flight:
        // a writer held up by the disk or the scheduler for that long does
        // not stop the engine (M/M/20 with sessions: 2.5-3.1 s with 2, 2.3-2.6
        // s with 8; peak RSS 14 -> 19 MB).
        let (full, rx) = sync_channel::<Chunk>(8);
        let (back, empty) = sync_channel::<Chunk>(10);
        let Part { path, mut out } = part;
        let (replication, origin) = (names.replication, names.origin);
        let thread = std::thread::Builder::new()
            .name("sessions.csv".into())
            // It formats rows in a 512-byte buffer: a small stack (a load
            // test may run a writer for each of up to 1024 tenants).
            .stack_size(256 << 10)
            .spawn(move || -> io::Result<SessionStats> {
                let mut stats = SessionStats::default();
                // Each service's place in `stats` (None: no wait seen yet).
                let mut in_stats: Vec<Option<usize>> = vec![None; names.raw.len()];
                // Grows to a batch's size; a slow stream (a paced load
                // test's tenant) keeps it small.
                let mut buf = Vec::new();
                let mut error = None;
                let mut unsynced = 0;
                for mut chunk in rx {
                    if error.is_none() {
                        buf.clear();
                        for r in &chunk.rows {
                            stats.count(r.outcome);
                            if r.wait != NEVER {
                                let (s, w) = (r.service as usize, r.wait);
                                let k = *in_stats[s]
                                    .get_or_insert_with(|| stats.service(&names.raw[s]));
                                stats.wait_in(k, w);
                            }
                            format_row(&mut buf, r, &names, &chunk.failures);
                        }
                        unsynced += buf.len();
                        let mut done = out.write_all(&buf);
                        if done.is_ok() && unsynced >= WRITEBACK_EVERY {
                            unsynced = 0;
                            done = out.start_writeback();
                        }
                        error = done.err();
                    }
                    chunk.rows.clear();
                    chunk.failures.clear();
                    // The engine may have stopped taking chunks back.
                    let _ = back.try_send(chunk);
                }
                match error {
                    Some(e) => Err(e),
                    None => out.finish().map(|()| stats),
                }
            })?;
        Ok(SessionWriter {
            path,
            chain,
            appended,
            replication,
            origin,
            chunk: Chunk::default(),
            full: Some(full),
            empty,
            thread: Some(thread),
        })
    }

    #[inline]
    fn push(&mut self, r: &SessionRecord) {
        debug_assert_eq!((r.replication, r.origin), (self.replication, self.origin));
        let failure = match r.failure_reason {
            Some(f) => {
                self.chunk.failures.push(f.to_string());
                (self.chunk.failures.len() - 1) as u32
            }
            None => NONE,
        };
        let mut told = [0u16; 8];
        let n_told = r.positions_told.len().min(8);
        told[..n_told].copy_from_slice(&r.positions_told[..n_told]);
        self.chunk.rows.push(Row {
            session_id: r.session_id,
            task_id: r.task_id,
            arrived: r.arrived,
            queued: r.queued.unwrap_or(NEVER),
            accepted: r.accepted.unwrap_or(NEVER),
            wait: r.wait.unwrap_or(NEVER),
            ended: r.ended,
            service: r.service,
            queue_position: r.queue_position.unwrap_or(NONE),
            user: r.user.unwrap_or(NONE),
            offers: r.offers,
            ronas: r.ronas,
            transferred_to: r.transferred_to.unwrap_or(NONE),
            failure,
            told,
            channel: r.channel,
            priority: r.priority,
            outcome: r.outcome,
            n_told: n_told as u8,
        });
        if self.chunk.rows.len() == CHUNK_ROWS {
            self.send();
        }
    }

    fn send(&mut self) {
        let next = self.empty.try_recv().unwrap_or_else(|_| Chunk {
            rows: Vec::with_capacity(CHUNK_ROWS),
            failures: Vec::new(),
        });
        let chunk = std::mem::replace(&mut self.chunk, next);
        if let Some(tx) = &self.full {
            // A send fails only when the writer stopped (it panicked):
            // `finish` reports that.
            let _ = tx.send(chunk);
        }
    }

    /// Sends the last rows, waits for the writer; the part file (None when
    /// the rows went to the end of another replication's) and the sessions'
    /// tally.
    fn finish(mut self) -> io::Result<(Option<PathBuf>, SessionStats)> {
        if !self.chunk.rows.is_empty() {
            self.send();
        }
        let stats = match self.stop() {
            Ok(s) => s,
            Err(e) => {
                if !self.appended {
                    let _ = std::fs::remove_file(&self.path);
                }
                return Err(e);
            }
        };
        if let Some((parts, pos)) = &self.chain {
            parts.done(*pos);
        }
        let path = std::mem::take(&mut self.path);
        Ok(((!self.appended).then_some(path), stats))
    }

    fn stop(&mut self) -> io::Result<SessionStats> {
        self.full = None; // the writer drains what was sent, then ends
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(io::Error::other("the sessions.csv writer thread failed")),
            None => Err(io::Error::other("the sessions.csv writer already stopped")),
        }
    }
}

impl Drop for SessionWriter {
    fn drop(&mut self) {
        if self.thread.is_some() {
            // Not finished (an error elsewhere): stop writing, leave no part
            // (the run fails, so another replication's part goes too).
            let _ = self.stop();
            if !self.appended {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

/// One sessions.csv line.
fn format_row(out: &mut Vec<u8>, r: &Row, names: &Names, failures: &[String]) {
    let mut line = Line::new(out);
    let o = &mut line;
    let origin = names.origin;
    let time = |o: &mut Line, t: Time, origin: Time| {
        if t != NEVER {
            o.secs3(t, origin);
        }
        o.byte(b',');
    };
    let id = |o: &mut Line, v: u32| {
        if v != NONE {
            o.u64(v.into());
        }
        o.byte(b',');
    };
    o.u64(names.replication.into());
    o.byte(b',');
    o.u64(r.session_id);
    o.byte(b',');
    o.u64(r.task_id);
    o.byte(b',');
    o.field(&names.services[r.service as usize]);
    o.byte(b',');
    o.field(&names.channels[r.channel as usize]);
    o.byte(b',');
    o.field(&names.priorities[r.priority.index()]);
    o.byte(b',');
    time(o, r.arrived, origin);
    time(o, r.queued, origin);
    id(o, r.queue_position);
    if r.user != NONE {
        o.field(&names.users[r.user as usize]);
    }
    o.byte(b',');
    time(o, r.accepted, origin);
    time(o, r.wait, 0);
    time(o, r.ended, origin);
    o.field(&names.outcomes[r.outcome as usize]);
    o.byte(b',');
    o.u64(r.offers.into());
    o.byte(b',');
    o.u64(r.ronas.into());
    o.byte(b',');
    if r.transferred_to != NONE {
        o.field(&names.services[r.transferred_to as usize]);
    }
    o.byte(b',');
    if r.failure != NONE {
        let mut quoted = Vec::new();
        push_str(&mut quoted, &failures[r.failure as usize]);
        o.bytes(&quoted);
    }
    o.byte(b',');
    for (i, p) in r.told[..r.n_told as usize].iter().enumerate() {
        if i > 0 {
            o.byte(b';');
        }
        o.u64((*p).into());
    }
    o.byte(b'\n');
    line.finish();
}

/// The part files of one result folder's replications (or load tenants).
/// The first replication's parts begin with the headers, so `assemble`
/// renames them into place; a replication that starts once every earlier
/// one has finished (one thread: each of them) appends its sessions rows to
/// the first one's part instead of a file of its own, so a run on one
/// thread copies none of its sessions.csv.
pub struct Parts {
    dir: PathBuf,
    /// Replication indices in file order.
    order: Vec<u32>,
    /// How many replications (a prefix of `order`) have their sessions rows
    /// in the first one's part, and that part.
    chain: Mutex<(usize, Option<PathBuf>)>,
}

impl Parts {
    pub fn new(dir: &Path, order: Vec<u32>) -> Arc<Parts> {
        Arc::new(Parts {
            dir: dir.to_path_buf(),
            order,
            chain: Mutex::new((0, None)),
        })
    }

    fn position(&self, rep: u32) -> Option<usize> {
        self.order.iter().position(|&r| r == rep)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (usize, Option<PathBuf>)> {
        self.chain.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The first replication's sessions part, when every replication before
    /// position `pos` has its rows in it.
    fn turn(&self, pos: usize) -> Option<PathBuf> {
        let chain = self.lock();
        (chain.0 == pos).then(|| chain.1.clone()).flatten()
    }

    /// The replication at `pos` has all its rows in the chain.
    fn done(&self, pos: usize) {
        let mut chain = self.lock();
        if chain.0 == pos {
            chain.0 = pos + 1;
        }
    }
}

/// Opens an existing part to write at its end (not O_APPEND: `assemble`'s
/// kernel copy refuses such files).
fn continue_part(path: &Path, zstd: bool) -> io::Result<Part> {
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.seek(io::SeekFrom::End(0))?;
    let f = BufWriter::with_capacity(1 << 17, f);
    let out = if zstd {
        Out::Zstd(zstd::stream::Encoder::new(f, ZSTD_LEVEL)?)
    } else {
        Out::Plain(f)
    };
    Ok(Part {
        path: path.to_path_buf(),
        out,
    })
}

/// Writes one replication's rows to part files; the first I/O error is kept
/// and reported by `finish`. Tallies what report.html shows of the sessions.
pub struct FileSinks {
    sessions: Option<SessionWriter>,
    intervals: Part,
    row: Vec<u8>,
    error: Option<io::Error>,
    /// Intervals ended, shared by all replications (see `RunOptions::progress`).
    progress: Option<Arc<AtomicU64>>,
    last_interval: f64,
}

/// A part file; the first replication's begins with the file's `header`
/// (with zstd: as a frame of its own), so `assemble` can rename it into
/// place instead of copying it.
fn part(dir: &Path, name: &str, rep: u32, zstd: bool, header: Option<&str>) -> io::Result<Part> {
    let path = dir.join(format!(".{name}.r{rep}.{}.part", std::process::id()));
    let mut f = BufWriter::with_capacity(1 << 17, File::create(&path)?);
    if let Some(h) = header {
        f.write_all(&header_bytes(h, zstd)?)?;
    }
    let out = if zstd {
        Out::Zstd(zstd::stream::Encoder::new(f, ZSTD_LEVEL)?)
    } else {
        Out::Plain(f)
    };
    Ok(Part { path, out })
}

impl FileSinks {
    /// Replication `rep` (one of `parts`' order) writes its rows into part
    /// files; `sessions`: sessions rows too; `zstd`: compressed
    /// (sessions.csv.zst).
    pub fn create(
        scn: &Scenario,
        parts: &Arc<Parts>,
        rep: u32,
        sessions: bool,
        zstd: bool,
        progress: Option<Arc<AtomicU64>>,
    ) -> io::Result<FileSinks> {
        let dir = parts.dir.as_path();
        let pos = parts.position(rep);
        let first = pos == Some(0);
        let intervals = part(
            dir,
            "intervals",
            rep,
            false,
            first.then_some(INTERVALS_HEADER),
        )?;
        let sessions = if sessions {
            let names = Names::new(scn, rep);
            let started = if first {
                part(dir, "sessions", rep, zstd, Some(SESSIONS_HEADER)).and_then(|p| {
                    parts.lock().1 = Some(p.path.clone());
                    SessionWriter::start(p, names, Some((parts.clone(), 0)), false)
                })
            } else {
                match pos.and_then(|k| parts.turn(k).map(|base| (k, base))) {
                    Some((k, base)) => continue_part(&base, zstd).and_then(|p| {
                        SessionWriter::start(p, names, Some((parts.clone(), k)), true)
                    }),
                    None => part(dir, "sessions", rep, zstd, None)
                        .and_then(|p| SessionWriter::start(p, names, None, false)),
                }
            };
            match started {
                Ok(w) => Some(w),
                Err(e) => {
                    let _ = std::fs::remove_file(&intervals.path);
                    return Err(e);
                }
            }
        } else {
            None
        };
        Ok(FileSinks {
            sessions,
            intervals,
            row: Vec::with_capacity(256),
            error: None,
            progress,
            last_interval: f64::NAN,
        })
    }

    /// Flushes; returns the part files (sessions, intervals) and the
    /// sessions' tally (`None` without sessions).
    pub fn finish(mut self) -> io::Result<(Option<PathBuf>, PathBuf, Option<SessionStats>)> {
        let sessions = self.sessions.take().map(SessionWriter::finish).transpose();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let (s, stats) = match sessions? {
            Some((path, stats)) => (path, Some(stats)),
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
        // (An unfinished session writer removes its own.)
        if self.error.is_some() {
            let _ = std::fs::remove_file(&self.intervals.path);
        }
    }
}

impl Sinks for FileSinks {
    fn wants_sessions(&self) -> bool {
        self.sessions.is_some()
    }

    #[inline]
    fn session(&mut self, r: &SessionRecord) {
        if let Some(w) = self.sessions.as_mut() {
            w.push(r);
        }
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

/// The header as the file starts with it: with zstd, a frame of its own.
fn header_bytes(header: &str, zstd: bool) -> io::Result<Vec<u8>> {
    if zstd {
        zstd::encode_all(header.as_bytes(), ZSTD_LEVEL)
    } else {
        Ok(header.as_bytes().to_vec())
    }
}

/// Joins part files into a staged atomic file at `dest`. The first part
/// begins with the header (`FileSinks::create` with `first`) and becomes the
/// file, renamed, not copied; the others are appended. Without parts the
/// file holds `header` alone. With `zstd` the parts are zstd frames.
pub fn assemble(
    dest: &Path,
    header: &str,
    parts: &[PathBuf],
    zstd: bool,
) -> io::Result<AtomicFile> {
    let Some((first, rest)) = parts.split_first() else {
        let mut out = AtomicFile::create(dest)?;
        out.write_all(&header_bytes(header, zstd)?)?;
        return Ok(out);
    };
    let mut out = AtomicFile::adopt(dest, first)?;
    for p in rest {
        let mut f = File::open(p)?;
        io::copy(&mut f, out.writer())?;
    }
    Ok(out)
}
