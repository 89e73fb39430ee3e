//! The scan driver: the one place with parallelism. It joins the three
//! rooms with two bounded channels:
//!
//! ```text
//! reader thread ──chunks──▶ N workers (rayon) ──findings──▶ collector ──▶ Reporter
//! ```
//!
//! The reader walks the inputs in order and cuts each into chunks, so a
//! single 5 GB file keeps every worker busy. Every chunk and every
//! end-of-input marker carries a global sequence number; the collector
//! puts results back in that order before reporting, so output is the same
//! whatever `-j` is. The channels are bounded, so at most a few chunks are
//! in memory at once whatever the input size, and findings stream to the
//! reporter instead of piling up.
//!
//! Key decision: when there are as many workers as cores, the workers
//! read regular files of lines longer than a chunk themselves
//! (`ReadConfig::workers_read`; a shorter file is one chunk either way,
//! read by the reader thread):
//! the reader thread hands such a file over as a `Pull` and waits, and
//! each worker, under the pull's lock, cuts the next chunk into the buffer
//! it has just scanned and numbers it. Copying file pages out of the page
//! cache is a fifth of a worker's time on a session archive; done by a
//! reader thread it took turns with the workers for the cores, and a
//! worker copies into a buffer still in its own cache. With a core to
//! spare (`-j1` on two), the reader thread reads ahead on it instead, and
//! makes the line gate's first passes over each chunk (keyword hits, block
//! masks) while its bytes are in that core's cache (see `read_all`). The
//! chunks are cut by the same `LineReader` either way.
//!
//! Key decision: what the workers do under the pull's lock is kept short.
//! They do not count a chunk's lines there: each worker's line gate walks
//! its chunk's lines anyway and tells the count to the input's
//! `chunk::LineLedger`; the chunk is scanned as starting on line 1, and its
//! findings are moved to their lines once the chunks before are counted
//! (`number_lines`). A regular file of JSON
//! lines is not even read there: it is cut in memory maps of it
//! (`source::text::MappedLines`), the gate reads the map in place and only
//! the lines it keeps are copied out (`fill_mapped`), which spares the
//! kernel's copy of every byte (`--no-mmap` reads instead). At `-j1` the
//! reader thread still reads and counts, on the core the worker leaves.

use crate::chunk::{Chunk, LineSpan, LineTicket, Mapped, Pending};
use crate::detect::gate::Prepass;
use crate::detect::rules::RuleSet;
use crate::detect::{Detector, Scratch};
use crate::finding::{Confidence, Finding, Severity, Skipped};
use crate::policy::baseline::{Baseline, Writer};
use crate::policy::{Allow, Suppressed};
use crate::pool::Pool;
use crate::redact::FingerprintKey;
use crate::report::distinct::{self, Distinct, Tallies};
use crate::report::{ColumnCount, KindCount, Reporter, Summary};
use crate::source::walk::{self, WalkOptions};
use crate::source::{self, Event, Input, ReadConfig, SourceError};
use crossbeam_channel::{Receiver, Sender, bounded};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Set when the user asks the scan to stop (Ctrl-C): the reader stops
/// cutting chunks, the chunks already read are scanned and the report is
/// finished with what was scanned so far.
pub static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn stopping() -> bool {
    STOP.load(std::sync::atomic::Ordering::Relaxed)
}

/// When to draw the progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// When stderr is a terminal and the scan has run for a second.
    Auto,
    /// Always (still on stderr).
    Always,
    /// Never.
    Never,
}

/// Validated settings of one scan.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Files, folders, or `-`.
    pub paths: Vec<String>,
    /// Worker threads.
    pub jobs: usize,
    /// Reader settings (chunk size, container limits…).
    pub read: ReadConfig,
    /// Findings below this confidence are not reported.
    pub min_confidence: Confidence,
    /// Findings at or above this confidence make the scan fail; `None`
    /// never fails.
    pub fail_on: Option<Confidence>,
    /// Progress bar mode.
    pub progress: Progress,
    /// Run the detector's line gate (see `detect::gate`); off only to
    /// check that it changes nothing.
    pub line_gate: bool,
    /// Excluded and allowlisted paths.
    pub walk: WalkOptions,
    /// Allowlisted values and fingerprints, and the inline marker.
    pub allow: Arc<Allow>,
    /// Files larger than this are skipped.
    pub max_file_size: u64,
    /// Most fingerprints remembered for the distinct counts before the
    /// largest become estimates (see `report::distinct`).
    pub distinct_budget: usize,
}

/// The baseline side of a run: findings already known, and whether to
/// record this run's findings as a new baseline.
#[derive(Debug, Default)]
pub struct Baselines {
    /// Known findings; those matching are suppressed.
    pub known: Option<Baseline>,
    /// Records every finding that passes the allowlists (before `known`
    /// is applied), for `--write-baseline`.
    pub record: Option<Writer>,
}

/// What a finished scan tells the caller.
#[derive(Debug)]
pub struct Outcome {
    /// Totals, as reported.
    pub summary: Summary,
    /// At least one finding reached `fail_on`.
    pub gate_failed: bool,
    /// The scan was interrupted (Ctrl-C) before every input was read.
    pub interrupted: bool,
    /// The baselines given to [`run`], `record` filled in.
    pub baselines: Baselines,
}

/// Work flowing from the reader to the workers.
enum Work {
    Chunk {
        seq: u64,
        input: usize,
        chunk: Chunk,
        /// The line gate's first passes over the chunk, when the reader
        /// made them (see `read_all`; boxed: the other items are small).
        prepass: Option<Box<Prepass>>,
        /// The input's path is allowlisted.
        allowed: bool,
    },
    End {
        seq: u64,
        input: usize,
        result: Result<u64, Unread>,
    },
    Skipped {
        seq: u64,
        skipped: Skipped,
    },
    /// A file of lines whose chunks the workers read themselves: each
    /// worker that gets one of these pulls chunks until the file is cut.
    Pull(Arc<Pull>),
    /// Items of the kinds above but `Pull`, in order, for one worker (see
    /// [`Batch`]).
    Batch(Vec<Work>),
}

/// The reader's work items gathered into one message while they are small
/// (chunks of small files, their ends), so that a worker is handed many at
/// once, and hands their results to the collector in one message too.
///
/// Key decision: a folder of small files (a repository, a pile of
/// exports) made one message per chunk and one per end, each way: about
/// 2.3 context switches per file at -j2 (11,888 for 4,830 files), where
/// the reader, the collector and two workers share two cores. A batch is
/// sent once it holds [`BATCH_BYTES`] of chunks or [`BATCH_ITEMS`] items,
/// whenever nothing is queued for the workers (so it only gathers what
/// they could not have started yet), before the reader waits for the
/// workers (a file they read themselves) or reads standard input, and at
/// the end; a large file's chunks, each over the bound, go one a message
/// as before. The collector puts results in order by their sequence
/// numbers whatever messages brought them. The 4,830-file folder of the
/// benchmark (`compare.sh`), paired at -j2: 0.906 (11 rounds); 11,888
/// context switches became about 900. Batches of a fixed size alone gave
/// 0.927, and held back a file's end while the reader waited on standard
/// input (a test interrupts such a scan). Peak memory on that folder: 20
/// MB before, 30-34 MB with batches (the chunks of a batch in flight).
#[derive(Default)]
struct Batch {
    items: Vec<Work>,
    bytes: usize,
}

/// A batch is sent once its chunks hold this many bytes.
const BATCH_BYTES: usize = 256 * 1024;
/// A batch is sent once it holds this many items.
const BATCH_ITEMS: usize = 64;

impl Batch {
    /// Adds `work`; sends the batch when it is full. False when the
    /// workers are gone.
    fn push(&mut self, work: Work, tx: &Sender<Work>) -> bool {
        self.bytes += match &work {
            Work::Chunk { chunk, .. } => chunk.data.len(),
            _ => 0,
        };
        self.items.push(work);
        // With the workers waiting (nothing queued), the items go at once:
        // a batch holds back only what they could not have started yet.
        if self.bytes >= BATCH_BYTES || self.items.len() >= BATCH_ITEMS || tx.is_empty() {
            return self.flush(tx);
        }
        true
    }

    /// Sends what the batch holds (one item alone, as itself).
    fn flush(&mut self, tx: &Sender<Work>) -> bool {
        self.bytes = 0;
        let work = match self.items.len() {
            0 => return true,
            1 => self.items.pop().expect("one item"),
            _ => Work::Batch(std::mem::take(&mut self.items)),
        };
        tx.send(work).is_ok()
    }
}

/// A file of lines being cut into chunks by the workers (see
/// `ReadConfig::workers_read`). The reader thread hands it to every worker
/// and waits until it is read to its end; meanwhile the workers take turns
/// reading its next chunk, under the lock that also numbers the chunks, so
/// they are cut and numbered exactly as the reader thread would have, and
/// the collector puts their results in order as usual.
struct Pull {
    state: std::sync::Mutex<PullState>,
    /// Signalled when the file is read to its end.
    read: std::sync::Condvar,
    input: usize,
    allowed: bool,
}

struct PullState {
    lines: source::SharedLines,
    /// Sequence number of the next chunk.
    seq: u64,
    /// How reading ended, once it has.
    ended: Option<PullEnd>,
}

/// How the workers' reading of a file ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PullEnd {
    /// Read to its end, or broken off (the reader says which).
    Read,
    /// The scan is stopping.
    Stopped,
    /// Reading panicked (a bug): the rest of the file is not scanned, and
    /// the input is reported as partly scanned instead of the scan hanging.
    Panicked,
}

impl Pull {
    /// Locks the state; a worker that panicked holding it left it whole
    /// (the panic would have been in reading, which holds no invariant
    /// half-done across the lock).
    fn lock(&self) -> std::sync::MutexGuard<'_, PullState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next chunk and its sequence number, or `None` when the file is
    /// read (or the scan is stopping).
    fn next(&self) -> Option<(u64, Chunk)> {
        let mut st = self.lock();
        if st.ended.is_some() {
            return None;
        }
        let next = if stopping() {
            Err(PullEnd::Stopped)
        } else {
            let lines = &mut st.lines;
            match catch_unwind(AssertUnwindSafe(|| lines.next_chunk())) {
                Ok(Some(chunk)) => Ok(chunk),
                Ok(None) => Err(PullEnd::Read),
                Err(_) => Err(PullEnd::Panicked),
            }
        };
        match next {
            Ok(chunk) => {
                let seq = st.seq;
                st.seq += 1;
                Some((seq, chunk))
            }
            Err(end) => {
                st.ended = Some(end);
                self.read.notify_all();
                None
            }
        }
    }

    /// Waits until the file is read; gives the sequence number after its
    /// last chunk and how reading ended.
    fn wait(&self) -> (u64, Result<u64, SourceError>) {
        let mut st = self.lock();
        let end = loop {
            match st.ended {
                Some(end) => break end,
                None => st = self.read.wait(st).unwrap_or_else(|e| e.into_inner()),
            }
        };
        let result = match end {
            PullEnd::Read => st.lines.finish(),
            PullEnd::Stopped => Err(SourceError::Stopped),
            PullEnd::Panicked => Err(SourceError::Partial(
                "internal error while reading; the rest of the input was not scanned".into(),
            )),
        };
        (st.seq, result)
    }
}

/// Why an input was not read to its end: `partial` when part of it was
/// scanned (reading broke off, a chunk failed), else it was skipped.
#[derive(Debug)]
struct Unread {
    partial: bool,
    reason: String,
}

/// Results flowing from the workers to the collector.
enum Done {
    Findings {
        input: usize,
        bytes: u64,
        malformed: u64,
        suppressed: Suppressed,
        findings: Vec<Finding>,
        /// The findings rendered ahead by the report format, one after the
        /// other; `ends[i]` is where finding `i` ends. Empty when the
        /// format renders at the end.
        rendered: Vec<u8>,
        ends: Vec<usize>,
    },
    /// Findings rendered ahead that no baseline needs to see: the worker
    /// sends what the collector counts of them (see [`Counts`]) and drops
    /// the findings itself.
    Counted {
        input: usize,
        bytes: u64,
        malformed: u64,
        suppressed: Suppressed,
        counts: Counts,
        /// As in `Findings`.
        rendered: Vec<u8>,
        ends: Vec<usize>,
    },
    Failed {
        input: usize,
        reason: String,
    },
    Skipped(Skipped),
    End {
        input: usize,
        result: Result<u64, Unread>,
    },
}

/// Runs a scan and streams its report. Errors are only those of writing
/// the report (and exclude patterns that do not compile, as
/// `InvalidInput`); unreadable inputs are reported as skipped.
pub fn run(
    cfg: &ScanConfig,
    rules: &RuleSet,
    key: &FingerprintKey,
    baselines: Baselines,
    reporter: &mut dyn Reporter,
) -> io::Result<Outcome> {
    let started = Instant::now();
    let detector = Detector::new(rules, key).with_allow(&cfg.allow);
    let walked = walk::walk(&cfg.paths, &cfg.walk)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let (mut inputs, mut walk_skipped) = (walked.inputs, walked.skipped);
    inputs.retain(|i| match i.size {
        Some(size) if size > cfg.max_file_size => {
            walk_skipped.push(Skipped {
                path: i.display.to_string(),
                reason: format!(
                    "{size} bytes, over --max-file-size ({}); not scanned",
                    cfg.max_file_size
                ),
            });
            false
        }
        _ => true,
    });
    // A file name can itself be an identifier (`110101…0006.pdf`): paths
    // are printed in every report, so they are masked like values.
    let mut scratch = Scratch::default();
    for input in &mut inputs {
        input.display = Arc::from(detector.redact_text(&input.display, &mut scratch));
        input.rel = Arc::from(detector.redact_text(&input.rel, &mut scratch));
    }
    // Without a baseline to match, the collector needs no more of a
    // finding rendered ahead than its counts.
    let baseline_free = baselines.known.is_none() && baselines.record.is_none();
    let mut collector = Collector::new(cfg, &inputs, baselines);
    collector.summary.inputs_excluded = walked.excluded;
    for mut s in walk_skipped {
        s.path = detector.redact_text(&s.path, &mut scratch);
        collector.skip(reporter, s)?;
    }
    let jobs = cfg.jobs.max(1);
    let (work_tx, work_rx) = bounded::<Work>(jobs * 2);
    let (done_tx, done_rx) = bounded::<Vec<(u64, Done)>>(jobs * 2);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("leaksweep-worker-{i}"))
        .build()
        .map_err(io::Error::other)?;

    let render = reporter.render();
    let result = std::thread::scope(|s| {
        let inputs = &inputs;
        let read = &cfg.read;
        let detector = &detector;
        let line_gate = cfg.line_gate;
        s.spawn(move || read_all(inputs, read, detector, jobs, line_gate, work_tx));
        s.spawn(move || {
            let ahead = Ahead {
                line_gate: cfg.line_gate,
                min_confidence: cfg.min_confidence,
                render,
                count: render.is_some() && baseline_free,
            };
            pool.broadcast(|_| work(detector, &ahead, &work_rx, &done_tx));
        });
        collector.collect(done_rx, reporter)
    });
    result?;
    collector.finish(reporter, started.elapsed())
}

/// Buffers of findings rendered ahead and of their ends, kept for reuse
/// (see [`crate::pool`]): the workers take them ([`rendered_buffers`]) and
/// the collector gives them back once it has written them
/// ([`recycle_rendered`]). A chunk of a directory export renders about
/// 17,000 findings, 8 MB of JSON Lines; filling a fresh buffer of that
/// size was 3.4% of a scan of a directory CSV (`clear_page_erms` and the
/// faults, in perf). At most four of each are kept (about the chunks in
/// flight with two workers), rendered ones of at most 16 MiB (a larger
/// one, from a chunk denser in findings than any export seen, is freed).
static RENDERED: Pool<u8> = Pool::new(4, 1, 16 << 20);
/// See [`RENDERED`].
static RENDERED_ENDS: Pool<usize> = Pool::new(4, 1, 1 << 20);

/// Empty buffers for the findings rendered ahead and their ends, reused
/// when some are spare.
fn rendered_buffers() -> (Vec<u8>, Vec<usize>) {
    (RENDERED.take(), RENDERED_ENDS.take())
}

/// Gives the buffers of findings rendered ahead back for reuse (see
/// [`RENDERED`]).
fn recycle_rendered(rendered: Vec<u8>, ends: Vec<usize>) {
    RENDERED.give(rendered);
    RENDERED_ENDS.give(ends);
}

/// The reader: every input, in order, cut into chunks. `seq` counts
/// chunks and end markers alike (it also advances inside the sink), so it
/// is not the loop index clippy takes it for.
///
/// Key decision: with the line gate on (`line_gate`), the reader makes the
/// gate's first passes over each chunk of lines it cuts before handing it
/// on (`Detector::prepass`: the regex rules' keyword hits, and the masks
/// of the chunk's blocks), and the gate takes them from the work item.
/// They are the first looks at the chunk's bytes, and on the worker they
/// mostly waited for them to come from the reader's core: without the
/// keyword search a worker's scan of the 300 MB archive at `-j1` took
/// 5–12% less time, while a second search right after the first cost
/// 2–3%. On the reader's core the bytes are still in its cache from the
/// copy, and at `-j1` that core has time to spare. Paired runs at `-j1`
/// on the 300 MB archive: the keyword search −3% wall in 21 rounds (the
/// 100 MB one −6% in 41, 20 MB −8%; CPU time the same within 1%); the
/// masks on top −12.8% wall, CPU time the same in 31 rounds (the reader
/// classifies the blocks of the lines the gate passes by their keywords
/// or escapes too, but with the bytes in its cache; the worker reads
/// masks instead of the bytes' first look). When the workers use every
/// core (`ReadConfig::workers_read`), the reader makes no first passes:
/// the chunks they cut themselves they pass over as before, and the
/// reader's own (a file shorter than a chunk) are passed over by the
/// worker's gate too, which spares the masks of the lines it judges by
/// their keywords or escapes (a folder of 4,830 small files at -j2,
/// paired: 0.970 and 0.971 in 15 and 11 rounds; pinned 1.007). The gate
/// decides the same either way (see `gate::Prepass`).
#[allow(clippy::explicit_counter_loop)]
fn read_all(
    inputs: &[Input],
    cfg: &ReadConfig,
    detector: &Detector<'_>,
    jobs: usize,
    line_gate: bool,
    tx: Sender<Work>,
) {
    let mut seq = 0u64;
    let mut scratch = Scratch::default();
    let mut batch = Batch::default();
    for (i, input) in inputs.iter().enumerate() {
        if stopping() {
            return;
        }
        // Standard input (the one input of unknown size: the walk takes
        // regular files only) may wait for its writer as long as it likes:
        // what came before goes to the workers first, ends included.
        if input.size.is_none() && !batch.flush(&tx) {
            return;
        }
        // How reading ended when the workers read the file.
        let mut pulled: Option<SourceError> = None;
        let result = source::read_input(input, cfg, &mut |event| {
            if stopping() {
                return false;
            }
            let work = match event {
                Event::Lines(lines) => {
                    // The chunks before the file's come first.
                    if !batch.flush(&tx) {
                        return false;
                    }
                    let pull = Arc::new(Pull {
                        state: std::sync::Mutex::new(PullState {
                            lines,
                            seq,
                            ended: None,
                        }),
                        read: std::sync::Condvar::new(),
                        input: i,
                        allowed: input.allowed,
                    });
                    for _ in 0..jobs {
                        if tx.send(Work::Pull(pull.clone())).is_err() {
                            return false;
                        }
                    }
                    let (next, result) = pull.wait();
                    seq = next;
                    return match result {
                        Ok(_) => true,
                        Err(SourceError::Stopped) => false,
                        Err(e) => {
                            pulled = Some(e);
                            true
                        }
                    };
                }
                Event::Chunk(chunk) => {
                    // The bytes are in this core's cache now: with a core
                    // to spare, the gate's first passes over them are made
                    // here rather than by the gate (see above).
                    let prepass =
                        (line_gate && !cfg.workers_read && gated_as_json(&chunk).is_some())
                            .then(|| Box::new(detector.prepass(&chunk.data)));
                    Work::Chunk {
                        seq,
                        input: i,
                        chunk,
                        prepass,
                        allowed: input.allowed,
                    }
                }
                // Entry and sheet names come from the input: masked.
                Event::Skipped(mut skipped) => {
                    skipped.path = detector.redact_text(&skipped.path, &mut scratch);
                    skipped.reason = detector.redact_text(&skipped.reason, &mut scratch);
                    Work::Skipped { seq, skipped }
                }
            };
            seq += 1;
            batch.push(work, &tx)
        });
        let result = match (result, pulled) {
            (Ok(_), Some(e)) => Err(e),
            (result, _) => result,
        };
        let result = match result {
            Ok(bytes) => Ok(bytes),
            Err(SourceError::Stopped) => return,
            // Error texts can quote what they choked on: masked too.
            Err(e) => Err(Unread {
                partial: matches!(e, SourceError::Partial(_)),
                reason: detector.redact_text(&e.to_string().to_lowercase(), &mut scratch),
            }),
        };
        let end = Work::End {
            seq,
            input: i,
            result,
        };
        if !batch.push(end, &tx) {
            return;
        }
        seq += 1;
    }
    batch.flush(&tx);
}

/// A worker: owns its scratch space; a panic on one chunk is caught and
/// reported against that input, and the worker goes on.
/// What workers do beyond detection.
struct Ahead {
    line_gate: bool,
    min_confidence: Confidence,
    render: Option<crate::report::Render>,
    /// Send [`Done::Counted`] for the findings rendered ahead.
    count: bool,
}

fn work(
    detector: &Detector<'_>,
    ahead: &Ahead,
    rx: &Receiver<Work>,
    tx: &Sender<Vec<(u64, Done)>>,
) {
    let (mut scratch, mut bufs) = (Scratch::default(), Buffers::default());
    let mut scan = |input, chunk, prepass, allowed| {
        scan_chunk(
            detector,
            ahead,
            &mut scratch,
            &mut bufs,
            input,
            (chunk, prepass),
            allowed,
        )
    };
    for item in rx.iter() {
        let items = match item {
            Work::Batch(items) => items,
            Work::Pull(pull) => {
                while let Some((seq, chunk)) = pull.next() {
                    let done = scan(pull.input, chunk, None, pull.allowed);
                    if tx.send(vec![(seq, done)]).is_err() {
                        return;
                    }
                }
                continue;
            }
            item => vec![item],
        };
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            results.push(match item {
                Work::Chunk {
                    seq,
                    input,
                    chunk,
                    prepass,
                    allowed,
                } => (seq, scan(input, chunk, prepass.map(|p| *p), allowed)),
                Work::End { seq, input, result } => (seq, Done::End { input, result }),
                Work::Skipped { seq, skipped } => (seq, Done::Skipped(skipped)),
                Work::Pull(_) | Work::Batch(_) => unreachable!("a batch holds neither"),
            });
        }
        if tx.send(results).is_err() {
            return;
        }
    }
}

/// A worker's buffers, kept from one chunk to the next.
#[derive(Default)]
struct Buffers {
    /// The line gate's hot lines.
    lines: Vec<LineSpan>,
    /// The findings of a chunk, when they did not go to the collector.
    findings: Vec<Finding>,
}

/// Scans one chunk of input `input` (with the gate's first passes over
/// it, when they were made) into what the collector is sent.
fn scan_chunk(
    detector: &Detector<'_>,
    ahead: &Ahead,
    scratch: &mut Scratch,
    bufs: &mut Buffers,
    input: usize,
    (mut chunk, prepass): (Chunk, Option<Prepass>),
    allowed: bool,
) -> Done {
    let mut findings = std::mem::take(&mut bufs.findings);
    findings.clear();
    // A chunk cut by the workers learns its first line here; a mapped
    // one's bytes are in the map until the worker copies out what it scans.
    let (ticket, mapped) = match chunk.pulled.take() {
        Some(p) => (Some(p.ticket), p.mapped),
        None => (None, None),
    };
    // Until then the chunk is scanned as starting on line 1.
    if ticket.is_some() {
        chunk.first_line = 1;
    }
    let bytes = match &mapped {
        Some(m) => m.range.len(),
        None => chunk.body().len(),
    } as u64;
    let ran = catch_unwind(AssertUnwindSafe(|| {
        match &mapped {
            Some(m) => fill_mapped(
                detector,
                ahead.line_gate,
                (&mut chunk, ticket.as_ref()),
                m,
                scratch,
                &mut bufs.lines,
            ),
            None => {
                let lines = match ahead.line_gate {
                    true => gate(detector, (&mut chunk, prepass), scratch, &mut bufs.lines),
                    false => None,
                };
                tell_lines(&chunk, ticket.as_ref(), None, lines);
            }
        }
        source::prepare(&mut chunk);
        detector.detect(&chunk, scratch, &mut findings);
        number_lines(&mut chunk, ticket.as_ref(), &mut findings);
    }));
    let done = match ran {
        Ok(()) => {
            findings.retain(|f| f.confidence >= ahead.min_confidence);
            let mut suppressed = scratch.take_suppressed();
            if allowed {
                suppressed.path += findings.len() as u64;
                findings.clear();
            }
            let (mut rendered, mut ends) = match ahead.render {
                Some(_) if !findings.is_empty() => rendered_buffers(),
                _ => (Vec::new(), Vec::new()),
            };
            if let Some(render) = ahead.render {
                ends.reserve(findings.len());
                for (i, f) in findings.iter().enumerate() {
                    render(f, &mut rendered);
                    ends.push(rendered.len());
                    if i == 0 {
                        // Room for the rest at about the first one's size,
                        // rather than growing (and copying) megabytes.
                        rendered.reserve((rendered.len() + 16) * findings.len());
                    }
                }
            }
            let malformed = u64::from(chunk.malformed);
            if ahead.count {
                // The findings are freed here, on the thread that made
                // them, rather than one by one on the collector's.
                let counts = Counts::of(&findings);
                scratch.recycle(&mut findings);
                bufs.findings = findings;
                Done::Counted {
                    input,
                    malformed,
                    suppressed,
                    bytes,
                    counts,
                    rendered,
                    ends,
                }
            } else {
                Done::Findings {
                    input,
                    malformed,
                    suppressed,
                    bytes,
                    findings,
                    rendered,
                    ends,
                }
            }
        }
        Err(_) => {
            *scratch = Scratch::default();
            findings.clear();
            // The chunks after this one may wait for its count (if it was
            // told before the panic, the ledger ignores this one).
            tell_lines(&chunk, ticket.as_ref(), mapped.as_ref(), None);
            if let Some(t) = &ticket {
                chunk.first_line = t.first_line();
            }
            Done::Failed {
                input,
                reason: format!(
                    "internal error while scanning the chunk at line {}; the rest of the input was scanned",
                    chunk.first_line
                ),
            }
        }
    };
    // The buffers go back to the readers (see `chunk::buffer`).
    crate::chunk::recycle_chunk(&mut chunk);
    done
}

/// Runs the detector's line gate over a chunk of lines (JSON lines still
/// to walk, or plain text), so that only the lines that may hold a finding
/// are walked and scanned. Tables and JSON documents are not gated: their
/// context (a column header, a key lines above) is not on the line.
/// Returns the number of lines the gate walked, when it ran. `prepass`:
/// the gate's first passes over the chunk, when they were made.
fn gate(
    detector: &Detector<'_>,
    (chunk, prepass): (&mut Chunk, Option<Prepass>),
    scratch: &mut Scratch,
    lines: &mut Vec<LineSpan>,
) -> Option<u32> {
    let json = gated_as_json(chunk)?;
    Some(detector.gate_chunk(chunk, json, prepass, scratch, lines))
}

/// Whether the line gate judges `chunk` as JSON lines (`Some(true)`) or
/// as plain text (`Some(false)`); `None` for a chunk it does not judge
/// (fields already made: a table, a document).
fn gated_as_json(chunk: &Chunk) -> Option<bool> {
    match chunk.pending {
        Pending::JsonLines => Some(true),
        Pending::None if chunk.fields.is_empty() && !chunk.walked => Some(false),
        Pending::None => None,
    }
}

/// Tells the ledger of a chunk whose reader left its line numbers to the
/// worker (see [`crate::chunk::LineLedger`]) how many line breaks it
/// holds: the chunks after it learn their first lines from it. `walked` is
/// the number of lines the gate walked in the chunk's body (its line
/// breaks, plus one when it does not end with one); without it the line
/// breaks are counted here. `mapped` holds the body when it is still in a
/// map. The ledger keeps a chunk's first count and ignores any other.
fn tell_lines(
    chunk: &Chunk,
    ticket: Option<&LineTicket>,
    mapped: Option<&Mapped>,
    walked: Option<u32>,
) {
    let Some(ticket) = ticket else {
        return;
    };
    let body = match mapped {
        Some(m) => m.bytes(),
        None => &chunk.data[chunk.body()],
    };
    let breaks = match walked {
        Some(n) => u64::from(n) - u64::from(!body.is_empty() && !body.ends_with(b"\n")),
        None => memchr::memchr_iter(b'\n', body).count() as u64,
    };
    ticket.tell(breaks);
}

/// Numbers the findings of a chunk that was scanned as starting on line 1
/// because its first line was not known yet (`ticket`, see
/// [`tell_lines`]): waits for it, then moves every finding down by as many
/// lines. Exact, because the detector's line numbers are the chunk's first
/// line plus a count of line breaks in its bytes, and it only compares
/// them with each other (the findings' order, the lines holding an inline
/// allow marker). The wait comes after the scan, by when the chunk before
/// (taken first) has been counted.
fn number_lines(chunk: &mut Chunk, ticket: Option<&LineTicket>, findings: &mut [Finding]) {
    let Some(ticket) = ticket else {
        return;
    };
    let first = ticket.first_line();
    for f in findings.iter_mut() {
        f.line += first - 1;
    }
    chunk.first_line = first;
}

/// Fills a chunk still in a memory map (see `source::text::MappedLines`)
/// with what the detector scans. The gate reads the map in place, and
/// only the lines it keeps, about one in fifty in a session archive, are
/// copied into the chunk's buffer; each line left out becomes an empty
/// line there, so that line `k` of the buffer is line `k` of the chunk and
/// every line number, column and offset within a line the detector derives
/// from the buffer is the one it derives from the whole chunk. What the
/// detector reads of a gated chunk is its hot lines and the strings
/// decoded after them (`Chunk::gated_len`): the same bytes, on the same
/// lines, as in the chunk read whole; a position outside every field (an
/// inline allow marker in a key) is numbered by counting the line breaks
/// before it in the buffer, which are those of the chunk. Without the gate
/// the chunk is copied whole.
fn fill_mapped(
    detector: &Detector<'_>,
    line_gate: bool,
    (chunk, ticket): (&mut Chunk, Option<&LineTicket>),
    mapped: &Mapped,
    scratch: &mut Scratch,
    lines: &mut Vec<LineSpan>,
) {
    let bytes = mapped.bytes();
    if !line_gate {
        chunk.data = crate::chunk::buffer(bytes.len() + bytes.len() / 4 + 4096);
        chunk.data.extend_from_slice(bytes);
        return tell_lines(chunk, ticket, Some(mapped), None);
    }
    let walked = detector.hot_lines(bytes, 0..bytes.len(), true, None, scratch, lines);
    // The gate's keyword hits are offsets in the map, not in the buffer.
    scratch.forget_keyword_hits();
    tell_lines(chunk, ticket, Some(mapped), Some(walked));
    let mut data = crate::chunk::buffer(64 * 1024);
    let mut next = 0u32;
    for l in lines.iter_mut() {
        // The lines left out, empty.
        data.resize(data.len() + (l.line - next) as usize, b'\n');
        let (start, end) = (l.start as usize, l.end as usize);
        let at = data.len();
        data.extend_from_slice(&bytes[start..end]);
        // The line break after the line, as in the chunk (the last line
        // may have none).
        if end < bytes.len() {
            data.push(b'\n');
        }
        (l.start, l.end, next) = (at as u32, (at + end - start) as u32, l.line + 1);
    }
    chunk.data = data;
    chunk.hot = Some(std::mem::take(lines));
    chunk.gated_len = chunk.data.len() as u32;
}

/// Findings under one column header, and their distinct fingerprints: a
/// set per kind, by kind index (see [`Collector::kind_tallies`]), in the
/// order the kinds were first met in the column.
type ColumnTally = (u64, Vec<(usize, Distinct)>);

/// A chunk's findings as the collector counts them, gathered by the worker
/// that rendered them ahead ([`Done::Counted`]).
///
/// Key decision: in a directory export every row holds a few findings, and
/// the collector, one thread for the whole scan, took a third of the
/// scan's time on a 30 MB CSV: hashing each finding's kind, path and
/// header to find its tallies, and freeing its strings, allocated on
/// another thread. Here a finding is a few numbers and an index into the
/// chunk's `keys`; the collector looks each key up once per chunk and the
/// findings are freed where they were made. The counts are the same, in
/// the same order (see [`Collector::slots`]).
#[derive(Debug, Default)]
struct Counts {
    /// `(kind, path, header)` of the findings. A key is entered once per
    /// set of shared strings (the detector shares one string among the
    /// findings of a chunk); two keys of equal text are counted as one.
    keys: Vec<CountKey>,
    /// One per finding, in order.
    each: Vec<Counted>,
}

/// A finding's kind, path and header (see [`Counts::keys`]).
type CountKey = (Arc<str>, Arc<str>, Option<Arc<str>>);

/// What the collector counts of one finding.
#[derive(Clone, Copy, Debug)]
struct Counted {
    /// Index into [`Counts::keys`].
    key: u32,
    confidence: Confidence,
    severity: Severity,
    /// [`distinct::prefix`] of its fingerprint.
    fp: u64,
}

impl Counts {
    /// The counts of `findings`.
    fn of(findings: &[Finding]) -> Counts {
        /// Where a shared string lives: findings sharing it share a key.
        fn at(s: &Arc<str>) -> usize {
            Arc::as_ptr(s).cast::<u8>() as usize
        }
        let mut counts = Counts {
            keys: Vec::new(),
            each: Vec::with_capacity(findings.len()),
        };
        let mut index: TallyMap<(usize, usize, usize), u32> = TallyMap::default();
        let mut last = None;
        for f in findings {
            let header = f.record.as_ref().and_then(|r| r.header.as_ref());
            let id = (at(&f.kind), at(&f.path), header.map_or(0, at));
            let key = match last {
                Some((l, key)) if l == id => key,
                _ => *index.entry(id).or_insert_with(|| {
                    counts
                        .keys
                        .push((f.kind.clone(), f.path.clone(), header.cloned()));
                    (counts.keys.len() - 1) as u32
                }),
            };
            last = Some((id, key));
            counts.each.push(Counted {
                key,
                confidence: f.confidence,
                severity: f.severity,
                fp: distinct::prefix(&f.fingerprint),
            });
        }
        counts
    }
}

/// The tallies of a finding: its kind's, and its column's when it has a
/// header (indices into `Collector::kind_tallies` and `column_tallies`,
/// and of the column's set for the kind).
type Slots = (usize, Option<(usize, usize)>);

/// The collector's maps, looked up several times per finding: keyed by
/// kinds, paths and headers, hashed with the Fx hash (rustc's), several
/// times cheaper than the default SipHash on these short keys. It does not
/// resist chosen collisions, which would only slow down the scan of the
/// input that chose its own column headers; the other keys (kinds, paths)
/// are few.
type TallyMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// Puts results back in order, filters, counts and reports them.
struct Collector<'a> {
    cfg: &'a ScanConfig,
    inputs: &'a [Input],
    summary: Summary,
    /// Per kind: where in `kind_tallies` its tally is.
    kinds: TallyMap<Arc<str>, usize>,
    /// Per kind: findings, and the distinct fingerprints of those not in
    /// a column (the others are in their column's set for the kind).
    ///
    /// Key decision: a finding's fingerprint joins one set, its column's
    /// for its kind, or its kind's when it has no column; a kind's
    /// distinct count is the union of its sets, taken at the end, and a
    /// column's the sum of its kinds' (a fingerprint is keyed by its kind
    /// as well as its value, so no two kinds share one). Each finding
    /// joined two sets before (its kind's and its column's, the same
    /// fingerprints twice in a directory export).
    kind_tallies: Vec<(u64, Distinct)>,
    /// Keeps the distinct sets above within their memory budget.
    tallies: Tallies,
    by_confidence: [u64; 3],
    by_severity: [u64; 4],
    /// Per path, per header: where in `column_tallies` its tally is.
    columns: TallyMap<Arc<str>, TallyMap<String, usize>>,
    /// Per path and header: kinds, findings and distinct fingerprints.
    column_tallies: Vec<ColumnTally>,
    failed: HashMap<usize, String>,
    gate_failed: bool,
    baselines: Baselines,
    /// Inputs whose end marker arrived.
    ended: Vec<bool>,
    /// Inputs of which some chunk arrived.
    started_inputs: HashSet<usize>,
    progress: ProgressBar,
    progress_shown: bool,
    /// Whether stderr is a terminal, once asked.
    stderr_terminal: Option<bool>,
    started: Instant,
}

impl<'a> Collector<'a> {
    fn new(cfg: &'a ScanConfig, inputs: &'a [Input], baselines: Baselines) -> Self {
        let total: u64 = inputs.iter().filter_map(|i| i.size).sum();
        let progress = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        progress.set_style(
            ProgressStyle::with_template(
                "{spinner} {bytes}/{total_bytes} ({bytes_per_sec}, {eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Collector {
            cfg,
            inputs,
            summary: Summary::default(),
            kinds: TallyMap::default(),
            kind_tallies: Vec::new(),
            by_confidence: [0; 3],
            by_severity: [0; 4],
            columns: TallyMap::default(),
            column_tallies: Vec::new(),
            failed: HashMap::new(),
            gate_failed: false,
            baselines,
            ended: vec![false; inputs.len()],
            started_inputs: HashSet::new(),
            tallies: Tallies::new(cfg.distinct_budget),
            progress,
            progress_shown: false,
            stderr_terminal: None,
            started: Instant::now(),
        }
    }

    fn collect(
        &mut self,
        rx: Receiver<Vec<(u64, Done)>>,
        reporter: &mut dyn Reporter,
    ) -> io::Result<()> {
        let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
        let mut next = 0u64;
        for results in rx.iter() {
            pending.extend(results);
            while let Some(done) = pending.remove(&next) {
                self.handle(done, reporter)?;
                next += 1;
            }
            self.maybe_show_progress();
        }
        debug_assert!(pending.is_empty());
        Ok(())
    }

    fn maybe_show_progress(&mut self) {
        if self.progress_shown {
            return;
        }
        let show = match self.cfg.progress {
            Progress::Never => false,
            Progress::Always => true,
            // The clock first, and whether stderr is a terminal asked
            // once: that is a system call, and this runs once a message
            // (thousands of times on a folder of small files).
            Progress::Auto => {
                use std::io::IsTerminal;
                self.started.elapsed() > Duration::from_secs(1)
                    && *self
                        .stderr_terminal
                        .get_or_insert_with(|| std::io::stderr().is_terminal())
            }
        };
        if show {
            self.progress.set_draw_target(ProgressDrawTarget::stderr());
            self.progress.enable_steady_tick(Duration::from_millis(200));
            self.progress_shown = true;
        }
    }

    fn handle(&mut self, done: Done, reporter: &mut dyn Reporter) -> io::Result<()> {
        match done {
            Done::Findings {
                input,
                bytes,
                malformed,
                suppressed,
                findings,
                rendered,
                ends,
            } => {
                self.chunk_done(input, bytes, malformed, &suppressed);
                if ends.len() != findings.len() {
                    // Not rendered ahead: one at a time.
                    for f in &findings {
                        if !self.known(input, f) {
                            self.count(f);
                            reporter.finding(f)?;
                        }
                    }
                    return Ok(());
                }
                // Rendered ahead: the findings between two left out (by a
                // baseline) go to the report in one piece.
                let mut first = 0;
                for i in 0..=findings.len() {
                    let keep = findings.get(i).is_some_and(|f| !self.known(input, f));
                    if keep {
                        self.count(&findings[i]);
                        continue;
                    }
                    if first < i {
                        let from = if first == 0 { 0 } else { ends[first - 1] };
                        let bytes = &rendered[from..ends[i - 1]];
                        let ends: Vec<usize> = ends[first..i].iter().map(|e| e - from).collect();
                        reporter.findings_rendered(bytes, &ends)?;
                    }
                    first = i + 1;
                }
                recycle_rendered(rendered, ends);
            }
            Done::Counted {
                input,
                bytes,
                malformed,
                suppressed,
                counts,
                rendered,
                ends,
            } => {
                self.chunk_done(input, bytes, malformed, &suppressed);
                // Each key is looked up when its first finding is counted,
                // as `count` would have.
                let mut slots: Vec<Option<Slots>> = vec![None; counts.keys.len()];
                for c in &counts.each {
                    let k = c.key as usize;
                    let s = match slots[k] {
                        Some(s) => s,
                        None => {
                            let (kind, path, header) = &counts.keys[k];
                            let s = self.slots(kind, path, header.as_deref());
                            slots[k] = Some(s);
                            s
                        }
                    };
                    self.tally(s, c.confidence, c.severity, c.fp);
                }
                if !counts.each.is_empty() {
                    reporter.findings_rendered(&rendered, &ends)?;
                }
                recycle_rendered(rendered, ends);
            }
            Done::Failed { input, reason } => {
                self.failed.entry(input).or_insert(reason);
            }
            Done::Skipped(skipped) => self.skip(reporter, skipped)?,
            Done::End { input, result } => {
                self.ended[input] = true;
                let path = self.inputs[input].display.to_string();
                match (result, self.failed.remove(&input)) {
                    (Ok(bytes), None) => {
                        self.summary.inputs_scanned += 1;
                        self.summary.bytes_scanned += bytes;
                    }
                    // A chunk that failed: the rest of the input was scanned.
                    (Ok(bytes), Some(reason)) => {
                        self.summary.bytes_scanned += bytes;
                        self.partial(reporter, Skipped { path, reason })?;
                    }
                    (
                        Err(Unread {
                            partial: true,
                            reason,
                        }),
                        _,
                    ) => {
                        self.partial(reporter, Skipped { path, reason })?;
                    }
                    (Err(Unread { reason, .. }), _) => {
                        self.skip(reporter, Skipped { path, reason })?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Records a finding for `--write-baseline` and tells whether the
    /// baseline already knows it (then it is counted as suppressed).
    fn known(&mut self, input: usize, f: &Finding) -> bool {
        let b = &mut self.baselines;
        if b.known.is_none() && b.record.is_none() {
            return false;
        }
        // The path relative to the scanned folder, plus the entry inside a
        // container (`a.zip!b.csv`).
        let inp = &self.inputs[input];
        let path = match f.path.strip_prefix(&*inp.display) {
            Some(rest) => format!("{}{rest}", inp.rel),
            None => f.path.to_string(),
        };
        if let Some(w) = &mut b.record {
            w.add(&f.rule, &path, &f.fingerprint);
        }
        let known = b
            .known
            .as_mut()
            .is_some_and(|k| k.take(&f.rule, &path, &f.fingerprint));
        if known {
            self.summary.suppressed.baseline += 1;
        }
        known
    }

    /// Takes in what a scanned chunk of `input` adds to the progress and
    /// the summary besides its findings.
    fn chunk_done(&mut self, input: usize, bytes: u64, malformed: u64, suppressed: &Suppressed) {
        self.progress.inc(bytes);
        self.started_inputs.insert(input);
        self.summary.malformed_json_lines += malformed;
        self.summary.suppressed.add(suppressed);
    }

    /// Counts one reported finding.
    fn count(&mut self, f: &Finding) {
        let header = f.record.as_ref().and_then(|r| r.header.as_deref());
        let slots = self.slots(&f.kind, &f.path, header);
        self.tally(
            slots,
            f.confidence,
            f.severity,
            distinct::prefix(&f.fingerprint),
        );
    }

    /// The tallies of a finding of `kind` in `path` under `header`, made
    /// when first asked for. The maps are keyed by the finding's shared
    /// strings and looked up before anything is cloned. The column's set
    /// for the kind is made here: asking again for the same
    /// finding's key changes nothing, so [`Done::Counted`] asks once per
    /// key and chunk. Entries are made in the order findings are counted,
    /// so the maps (whose order breaks ties in [`Collector::shrink`]) are
    /// the same however the findings came.
    fn slots(&mut self, kind: &Arc<str>, path: &Arc<str>, header: Option<&str>) -> Slots {
        let k = match self.kinds.get(&**kind) {
            Some(&k) => k,
            None => {
                self.kind_tallies.push(Default::default());
                let k = self.kind_tallies.len() - 1;
                self.kinds.insert(kind.clone(), k);
                k
            }
        };
        let column = header.map(|header| {
            let file = match self.columns.get_mut(&**path) {
                Some(c) => c,
                None => self.columns.entry(path.clone()).or_default(),
            };
            let c = match file.get(header) {
                Some(&c) => c,
                None => {
                    self.column_tallies.push(Default::default());
                    let c = self.column_tallies.len() - 1;
                    file.insert(header.to_string(), c);
                    c
                }
            };
            let sets = &mut self.column_tallies[c].1;
            let j = match sets.iter().position(|&(sk, _)| sk == k) {
                Some(j) => j,
                None => {
                    sets.push((k, Distinct::default()));
                    sets.len() - 1
                }
            };
            (c, j)
        });
        (k, column)
    }

    /// Counts one finding in its tallies (see [`Collector::slots`]); `fp`
    /// is the [`distinct::prefix`] of its fingerprint.
    fn tally(&mut self, (k, column): Slots, confidence: Confidence, severity: Severity, fp: u64) {
        self.summary.findings += 1;
        self.by_confidence[confidence as usize] += 1;
        self.by_severity[severity as usize] += 1;
        let tally = &mut self.kind_tallies[k];
        tally.0 += 1;
        let set = match column {
            Some((c, j)) => {
                let entry = &mut self.column_tallies[c];
                entry.0 += 1;
                &mut entry.1[j].1
            }
            None => &mut tally.1,
        };
        if self.tallies.insert(set, fp) {
            self.shrink();
        }
        if self.cfg.fail_on.is_some_and(|gate| confidence >= gate) {
            self.gate_failed = true;
        }
    }

    /// Keeps the distinct sets within their budget. The sets are offered
    /// in the maps' order (kinds, then columns, each column's by kind as
    /// first met), which breaks ties between sets of the same size.
    fn shrink(&mut self) {
        let mut kinds: Vec<Option<&mut Distinct>> = self
            .kind_tallies
            .iter_mut()
            .map(|t| Some(&mut t.1))
            .collect();
        let mut columns: Vec<Option<&mut Vec<(usize, Distinct)>>> = self
            .column_tallies
            .iter_mut()
            .map(|t| Some(&mut t.1))
            .collect();
        let sets = self.kinds.values().filter_map(|&k| kinds[k].take()).chain(
            self.columns
                .values()
                .flat_map(|f| f.values())
                .filter_map(|&c| columns[c].take())
                .flat_map(|sets| sets.iter_mut().map(|(_, set)| set)),
        );
        self.tallies.shrink(sets);
    }

    fn partial(&mut self, reporter: &mut dyn Reporter, s: Skipped) -> io::Result<()> {
        self.progress
            .suspend(|| eprintln!("leaksweep: {}: {}", s.path, s.reason));
        self.summary.inputs_partial += 1;
        reporter.partial(&s)
    }

    fn skip(&mut self, reporter: &mut dyn Reporter, s: Skipped) -> io::Result<()> {
        self.progress
            .suspend(|| eprintln!("leaksweep: skipped {}: {}", s.path, s.reason));
        self.summary.inputs_skipped += 1;
        reporter.skipped(&s)
    }

    fn finish(mut self, reporter: &mut dyn Reporter, elapsed: Duration) -> io::Result<Outcome> {
        self.progress.finish_and_clear();
        // An interrupted scan still accounts for every input: the one being
        // read when it stopped is partial, the rest were not scanned.
        if stopping() {
            self.summary.interrupted = true;
            for i in 0..self.inputs.len() {
                if self.ended[i] {
                    continue;
                }
                let path = self.inputs[i].display.to_string();
                if self.started_inputs.contains(&i) {
                    let reason =
                        "partially scanned: the scan was interrupted while reading it".to_string();
                    self.partial(reporter, Skipped { path, reason })?;
                } else {
                    let reason = "not scanned: the scan was interrupted".to_string();
                    self.skip(reporter, Skipped { path, reason })?;
                }
            }
        }
        self.summary.elapsed_ms = elapsed.as_millis() as u64;
        let tallies = std::mem::take(&mut self.column_tallies);
        // Kind names by index.
        let mut names = vec![""; self.kind_tallies.len()];
        for (kind, &k) in &self.kinds {
            names[k] = kind;
        }
        let mut columns: Vec<ColumnCount> = std::mem::take(&mut self.columns)
            .into_iter()
            .flat_map(|(path, headers)| headers.into_iter().map(move |h| (path.clone(), h)))
            .map(|(path, (header, c))| {
                let (findings, sets) = &tallies[c];
                // No two kinds share a fingerprint: the column's count is
                // the sum of its kinds'.
                let distinct: u64 = sets.iter().map(|(_, set)| set.count()).sum();
                let mut kinds: Vec<String> =
                    sets.iter().map(|&(k, _)| names[k].to_string()).collect();
                kinds.sort();
                ColumnCount {
                    path: path.to_string(),
                    header,
                    kinds,
                    findings: *findings,
                    // An estimate can overshoot; never past the findings.
                    distinct: distinct.min(*findings),
                    distinct_estimated: sets.iter().any(|(_, set)| set.is_estimate()),
                }
            })
            .collect();
        columns.sort_by(|a, b| (&a.path, &a.header).cmp(&(&b.path, &b.header)));
        self.summary.columns = columns;
        // Each kind's sets: its own, and its columns'.
        let mut by_kind: Vec<Vec<&Distinct>> =
            self.kind_tallies.iter().map(|(_, set)| vec![set]).collect();
        for (_, sets) in &tallies {
            for (k, set) in sets {
                by_kind[*k].push(set);
            }
        }
        for (kind, &k) in &self.kinds {
            let findings = self.kind_tallies[k].0;
            let (distinct, estimated) = distinct::union_count(&by_kind[k]);
            self.summary.by_kind.insert(
                kind.to_string(),
                KindCount {
                    findings,
                    distinct: distinct.min(findings),
                    distinct_estimated: estimated,
                },
            );
        }
        for c in [Confidence::Low, Confidence::Medium, Confidence::High] {
            if self.by_confidence[c as usize] > 0 {
                self.summary
                    .by_confidence
                    .insert(c.to_string(), self.by_confidence[c as usize]);
            }
        }
        for sev in [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ] {
            if self.by_severity[sev as usize] > 0 {
                self.summary
                    .by_severity
                    .insert(sev.to_string(), self.by_severity[sev as usize]);
            }
        }
        reporter.finish(&self.summary)?;
        Ok(Outcome {
            interrupted: self.summary.interrupted,
            summary: self.summary,
            gate_failed: self.gate_failed,
            baselines: self.baselines,
        })
    }
}

// Plain-text chunks lend each other at least the context the detector
// reads around a candidate, so a border never changes a finding.
const _: () = assert!(source::text::OVERLAP_BEFORE >= crate::detect::CONTEXT_BEFORE);
const _: () = assert!(source::text::OVERLAP_AFTER >= crate::detect::CONTEXT_AFTER);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::jsonl::JsonLines;

    /// The report of a scan of `path` as JSON Lines (its summary without
    /// the time taken), and how many findings a recorded baseline holds.
    fn scan(path: &str, jobs: usize, budget: usize, record: bool) -> (String, Option<usize>) {
        let read = ReadConfig {
            chunk_size: 4096,
            ..ReadConfig::default()
        };
        scan_with(path, jobs, budget, record, read, true)
    }

    /// [`scan`] with reader settings and the line gate on or off.
    fn scan_with(
        path: &str,
        jobs: usize,
        budget: usize,
        record: bool,
        read: ReadConfig,
        line_gate: bool,
    ) -> (String, Option<usize>) {
        let rules = RuleSet::builtin().expect("built-in rules");
        let key = FingerprintKey::builtin();
        let cfg = ScanConfig {
            paths: vec![path.to_string()],
            jobs,
            read,
            min_confidence: Confidence::Low,
            fail_on: None,
            progress: Progress::Never,
            line_gate,
            walk: WalkOptions::default(),
            allow: Arc::new(crate::policy::Allow::default()),
            max_file_size: u64::MAX,
            distinct_budget: budget,
        };
        let baselines = Baselines {
            known: None,
            record: record.then(Writer::default),
        };
        let mut out = Vec::new();
        let outcome =
            run(&cfg, &rules, &key, baselines, &mut JsonLines::new(&mut out)).expect("scan");
        let text = String::from_utf8(out).expect("utf-8");
        let time = regex::Regex::new(r#""elapsed_ms":\d+"#).expect("regex");
        let recorded = outcome.baselines.record.map(|w| w.len());
        (time.replace(&text, "").into_owned(), recorded)
    }

    /// Findings rendered ahead and counted on the workers (no baseline)
    /// give the report, counts and distinct counts that findings sent to
    /// the collector give (a baseline being recorded), also when the
    /// distinct sets outgrow their budget and become estimates.
    #[test]
    fn counted_on_workers_as_on_the_collector() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/formats");
        for (jobs, budget) in [(1, 1 << 20), (2, 1 << 20), (2, 3), (1, 1)] {
            let (counted, none) = scan(dir, jobs, budget, false);
            let (sent, recorded) = scan(dir, jobs, budget, true);
            assert_eq!(none, None);
            assert!(recorded.is_some_and(|n| n > 0));
            assert!(counted.contains(r#""columns":[{"#), "{counted}");
            assert_eq!(counted, sent, "jobs {jobs} budget {budget}");
        }
    }

    /// A file of JSON lines gives the same report whoever cuts it and
    /// however: a reader thread, the workers reading it (their gates
    /// counting the lines, see `chunk::LineLedger`), or the workers cutting
    /// it in memory maps (the gates reading the maps, kept lines copied
    /// out), with the gate or without. The lines straddle chunk borders,
    /// a few are longer than a chunk, some hold escapes or an inline
    /// allow marker, the maps come in several windows, and the file ends
    /// with or without a line break.
    #[test]
    fn mapped_read_and_pulled_files_give_the_same_report() {
        let mut rng = crate::detect::TestRng(11);
        let dir = tempfile::tempdir().expect("temp dir");
        for (round, end) in ["\n", ""].into_iter().enumerate() {
            let mut text = String::new();
            let mut n = 0u64;
            // About 200 chunks of 4 KiB: more than one map window.
            while text.len() < 800 << 10 {
                n += 1;
                let filler = "闲聊".repeat(rng.below(40));
                let line = match rng.below(12) {
                    0 => format!(r#"{{"msgid":"{n}","text":{{"content":"手机 13800{n:06}"}}}}"#),
                    1 => format!(
                        r#"{{"msgid":"{n}","text":{{"content":"身份证 11010519491231002X {filler}"}}}}"#
                    ),
                    2 => format!(
                        r#"{{"msgid":"{n}","text":{{"content":"\u0031380013{n:04} 手机"}}}}"#
                    ),
                    3 => format!(
                        r#"{{"msgid":"{n}","content":"电话 1390000{n:04} leaksweep:allow"}}"#
                    ),
                    4 => format!(
                        r#"{{"msgid":"{n}","text":{{"content":"{}手机 13700001234"}}}}"#,
                        "长".repeat(2000 + rng.below(1000))
                    ),
                    5 => String::new(),
                    _ => format!(
                        r#"{{"msgid":"{n}","text":{{"content":"{filler} 订单 {}"}}}}"#,
                        rng.below(1 << 20)
                    ),
                };
                text.push_str(&line);
                text.push('\n');
            }
            text.push_str(r#"{"msgid":"last","content":"手机 13912345678"}"#);
            text.push_str(end);
            let path = dir.path().join(format!("archive{round}.jsonl"));
            std::fs::write(&path, &text).expect("write");
            let path = path.to_str().expect("utf-8 path");
            let read = |workers_read, mmap| ReadConfig {
                chunk_size: 4096,
                workers_read,
                mmap,
                ..ReadConfig::default()
            };
            let (want, _) = scan_with(path, 1, 1 << 20, false, read(false, false), false);
            assert!(want.matches(r#""rule":"#).count() > 100, "{want}");
            for jobs in [1, 2] {
                for gate in [true, false] {
                    for (workers_read, mmap) in [(false, false), (true, false), (true, true)] {
                        let cfg = read(workers_read, mmap);
                        let (got, _) = scan_with(path, jobs, 1 << 20, false, cfg, gate);
                        assert_eq!(
                            got, want,
                            "round {round} jobs {jobs} gate {gate} workers {workers_read} mmap {mmap}"
                        );
                    }
                }
            }
        }
    }
}
