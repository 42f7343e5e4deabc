//! Hash partitions of one entity's content comparison, spilled to disk, so that its memory
//! does not grow with the rows. Past [`ONE_PIECE_ROWS`] legacy rows or mappings
//! (`content_partition_rows` in `migcov.yaml`), each side's rows are streamed once through
//! polars' streaming engine into Arrow IPC files, one set per partition of the legacy keys
//! (a legacy row by its key's hash, a target row to the partitions of the legacy keys whose
//! mappings name it), and the partitions are then compared one at a time, each as a
//! comparison of its own. Every row count adds up over partitions (a legacy key is in
//! one), samples and lowest and highest values are the first of the partitions' firsts,
//! sums add exactly; distinct values do not add up, so each partition's are spilled again
//! by the values' own hash ([`Distincts`]) and counted one bucket at a time.
//!
//! The files live in a temporary folder removed when the comparison ends (or fails); they
//! are no output, which `output.rs` alone writes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use polars::prelude::*;

use crate::measure::buckets::{bucket_set, Bucketed, BUCKETS};

/// Legacy rows (or mappings) compared in one piece at most, unless `migcov.yaml`'s
/// `content_partition_rows` says otherwise: in one piece, nothing is spilled (at 2,000,000
/// rows a side, 9.4–10.0 s against 11.9 s in partitions of [`PARTITION_ROWS`]).
pub const ONE_PIECE_ROWS: u64 = 2_000_000;

/// Legacy rows (or mappings) one partition holds at most past [`ONE_PIECE_ROWS`], unless
/// `migcov.yaml`'s `content_partition_rows` says otherwise. Small enough that a partition's columns (16
/// bytes a value: 4 MiB) stay under the 8 MiB past which jemalloc gives an allocation
/// pages of its own and returns them when it is freed, so each step reuses the memory the
/// last one freed: at 10M rows a side, partitions of 2,000,000 rows spent a third of their
/// time in the kernel's page faults, and the build took 71–76 s against 60–74 s (system
/// time 32–39 s against 21–24 s, run back to back).
pub const PARTITION_ROWS: u64 = 250_000;

/// How many partitions `rows` need: with `content_partition_rows` (`per_partition`), one
/// past it, of at most that many rows each; without it, one up to [`ONE_PIECE_ROWS`],
/// then partitions of [`PARTITION_ROWS`] (at most 4,096: past that, partitions grow
/// instead).
pub fn partitions_for(rows: u64, per_partition: Option<u64>) -> u32 {
    let per_partition = match per_partition.filter(|n| *n > 0) {
        Some(n) => n,
        None if rows <= ONE_PIECE_ROWS => return 1,
        None => PARTITION_ROWS,
    };
    rows.div_ceil(per_partition).clamp(1, 4_096) as u32
}

/// A text's bucket of `parts`: the same for the same text in every run. foldhash (the
/// hash polars uses) with a fixed seed: the standard library's SipHash took 3.5% of a 10M
/// comparison.
pub fn bucket(text: &str, parts: u32) -> u32 {
    use std::hash::BuildHasher;
    let hash = foldhash::fast::FixedState::with_seed(0x6d69_6763_6f76).hash_one(text);
    (hash % u64::from(parts)) as u32
}

/// Each row's bucket of `parts` by its text (a missing text in bucket 0).
pub fn buckets(texts: &StringChunked, parts: u32) -> Vec<u32> {
    texts
        .iter()
        .map(|t| t.map_or(0, |t| bucket(t, parts)))
        .collect()
}

/// Each bucket's row numbers, in order.
pub fn rows_by_bucket(buckets: impl Iterator<Item = u32>, parts: u32) -> Vec<Vec<IdxSize>> {
    let mut rows = vec![Vec::new(); parts as usize];
    for (row, b) in buckets.enumerate() {
        rows[b as usize].push(row as IdxSize);
    }
    rows
}

/// A distinct value's hash, the same in every partition: which of the [`BUCKETS`] it is
/// in, whichever partitions hold it. Many small buckets, whatever the partitions: each
/// bucket's values are made distinct in a set of their own, which stays in the
/// processor's cache (with a bucket a partition, the sets of 2 million texts were a fifth
/// of a 10M comparison's time; a bucket a partition also made memory grow with the square
/// of the partitions, found by an independent check).
fn value_hash(text: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x6469_7374_696e_6374).hash_one(text)
}

/// Rows of one partition gathered before they are written as one file.
const CHUNK_ROWS: usize = 1 << 16;

/// Rows of every partition gathered at most: past them, every partition's are written,
/// so what a side's stream holds does not grow with the partitions (4,096 partitions of
/// [`CHUNK_ROWS`] each would be 268 million rows).
const PENDING_ROWS: usize = 1 << 20;

/// Which partitions each row of a batch goes to: one list of row numbers per partition.
pub type Route = Box<dyn FnMut(&DataFrame) -> PolarsResult<Vec<Vec<IdxSize>>> + Send>;

/// `frame` written as an Arrow IPC file at `path`, its buffers compressed with LZ4 when
/// `compressed` (as Parquet, polars' dictionary encoding of every text column made the
/// spill take half as long again: 25 s against 17 s at 10M rows a side).
fn write_ipc(path: &std::path::Path, frame: &mut DataFrame, compressed: bool) -> PolarsResult<()> {
    let mut write = || -> PolarsResult<()> {
        let file = std::io::BufWriter::new(std::fs::File::create(path)?);
        IpcWriter::new(file)
            .with_compression(compressed.then_some(IpcCompression::LZ4))
            .finish(frame)
    };
    write().map_err(|e| temporary(path, e))
}

fn read_ipc(path: &std::path::Path) -> PolarsResult<DataFrame> {
    let read = || IpcReader::new(std::fs::File::open(path)?).finish();
    read().map_err(|e| temporary(path, e))
}

/// Starts the message of an error of the temporary folder (a full disk, a missing
/// `TMPDIR`), so that the comparison says it is the folder's, not the rows files'.
pub const TEMPORARY: &str = "the comparison in partitions could not use its temporary folder";

fn temporary(path: &std::path::Path, error: PolarsError) -> PolarsError {
    let folder = path.parent().unwrap_or(path);
    PolarsError::ComputeError(format!("{TEMPORARY} {}: {error}", folder.display()).into())
}

const SPILL_PREFIX: &str = "migcov-content-";

/// The temporary folder of one comparison's partitions.
pub struct Spill {
    dir: tempfile::TempDir,
    pub parts: u32,
    /// Files written per side and partition.
    files: Mutex<std::collections::BTreeMap<(String, u32), Vec<PathBuf>>>,
}

struct Writing {
    route: Route,
    pending: Vec<Vec<DataFrame>>,
    /// Rows in `pending`, over every partition.
    held: usize,
    rows: u64,
    /// Where full chunks go to be written, `None` once the stream has ended.
    send: Option<Chunks>,
}

/// Where a chunk is sent to be written: its file and its rows.
type Chunks = std::sync::mpsc::SyncSender<(PathBuf, DataFrame)>;

/// Chunks waiting for a writer at most: with those being written, about 100 MB at the
/// benchmark's ten text columns.
const QUEUED_CHUNKS: usize = 4;

/// Threads writing one side's chunks, each compressing its chunk with LZ4 and writing it
/// while the stream goes on. Written uncompressed by the stream's own thread, the spill
/// was the writes' system time alone (13 of 18 s at 10M rows a side, 5.4 GB of Arrow IPC,
/// this machine's page cache taking about 600 MB/s): compressed, it writes less than half
/// of that, and the compression runs beside polars' reading on the other cores.
fn writers() -> (Chunks, Vec<std::thread::JoinHandle<PolarsResult<()>>>) {
    let (send, receive) = std::sync::mpsc::sync_channel::<(PathBuf, DataFrame)>(QUEUED_CHUNKS);
    let receive = Arc::new(Mutex::new(receive));
    let threads = (0..rayon::current_num_threads().max(1))
        .map(|_| {
            let receive = receive.clone();
            std::thread::spawn(move || -> PolarsResult<()> {
                loop {
                    let next = receive.lock().expect("one receiver at a time").recv();
                    let Ok((path, mut frame)) = next else {
                        return Ok(());
                    };
                    write_ipc(&path, &mut frame, true)?;
                }
            })
        })
        .collect();
    (send, threads)
}

impl Spill {
    pub fn new(parts: u32) -> PolarsResult<Spill> {
        crate::output::remove_abandoned(&std::env::temp_dir(), SPILL_PREFIX);
        // The pid in the name lets a later comparison tell the folder of a build that was
        // killed (no drop runs then) from one still in use.
        let temp = std::env::temp_dir();
        let dir = tempfile::Builder::new()
            .prefix(&format!("{SPILL_PREFIX}{}-", std::process::id()))
            .tempdir_in(&temp)
            .map_err(|e| temporary(&temp.join("-"), e.into()))?;
        Ok(Spill {
            dir,
            parts,
            files: Mutex::default(),
        })
    }

    /// The rows of `side` held for `part`, sent to be written as the next file of that
    /// partition (its place in the partition's order taken now).
    fn flush(
        &self,
        (side, part): (&str, usize),
        pending: &mut Vec<DataFrame>,
        send: Option<&Chunks>,
    ) -> PolarsResult<()> {
        let frames = std::mem::take(pending);
        let mut frames = frames.into_iter();
        let Some(mut frame) = frames.next() else {
            return Ok(());
        };
        for next in frames {
            frame.vstack_mut_owned(next)?;
        }
        let path = {
            let mut files = self.files.lock().expect("one writer at a time");
            let written = files.entry((side.to_string(), part as u32)).or_default();
            let path = self
                .dir
                .path()
                .join(format!("{side}-{part}-{}.arrow", written.len()));
            written.push(path.clone());
            path
        };
        // A writer that failed has stopped receiving; its error is the one returned when
        // the writers are joined.
        let stopped = || PolarsError::ComputeError("a spill writer stopped".into());
        send.ok_or_else(stopped)?
            .send((path, frame))
            .map_err(|_| stopped())
    }

    /// `frame`, streamed (polars' streaming engine, in order), each row written to the
    /// files of `side` of the partitions `route` names for it: how many rows went by.
    pub fn write(
        self: &Arc<Self>,
        side: &str,
        frame: LazyFrame,
        route: Route,
    ) -> PolarsResult<u64> {
        let (send, threads) = writers();
        let state = Arc::new(Mutex::new(Writing {
            route,
            pending: vec![Vec::new(); self.parts as usize],
            held: 0,
            rows: 0,
            send: Some(send),
        }));
        let (shared, spill, name) = (state.clone(), self.clone(), side.to_string());
        let callback = PlanCallback::Rust(SpecialEq::new(Arc::new(
            move |batch: DataFrame| -> PolarsResult<bool> {
                let mut writing = shared.lock().expect("one batch at a time");
                let writing = &mut *writing;
                writing.rows += batch.height() as u64;
                let routed = (writing.route)(&batch)?;
                for (part, rows) in routed.into_iter().enumerate() {
                    if rows.is_empty() {
                        continue;
                    }
                    writing.held += rows.len();
                    let rows = IdxCa::from_vec("".into(), rows);
                    writing.pending[part].push(batch.take(&rows)?);
                    let held: usize = writing.pending[part].iter().map(|f| f.height()).sum();
                    if held >= CHUNK_ROWS {
                        writing.held -= held;
                        let send = writing.send.as_ref();
                        spill.flush((&name, part), &mut writing.pending[part], send)?;
                    }
                }
                if writing.held >= PENDING_ROWS {
                    for part in 0..writing.pending.len() {
                        let send = writing.send.as_ref();
                        spill.flush((&name, part), &mut writing.pending[part], send)?;
                    }
                    writing.held = 0;
                }
                Ok(false)
            },
        )
            as Arc<dyn Fn(DataFrame) -> PolarsResult<bool> + Send + Sync>));
        let streamed = || -> PolarsResult<u64> {
            // The schema of a partition no row went to.
            let schema = frame.clone().collect_schema()?;
            frame
                .sink_batches(callback, true, None)?
                .collect_with_engine(Engine::Streaming)?;
            let mut writing = state.lock().expect("the stream has ended");
            let writing = &mut *writing;
            for part in 0..self.parts as usize {
                if writing.pending[part].is_empty() && !self.has(side, part as u32) {
                    writing.pending[part].push(DataFrame::empty_with_schema(&schema));
                }
                self.flush(
                    (side, part),
                    &mut writing.pending[part],
                    writing.send.as_ref(),
                )?;
            }
            Ok(writing.rows)
        };
        let streamed = streamed();
        // Whatever happened, the writers finish what they were sent before anything is
        // read or the folder removed; a writer's error comes before the stream's (which
        // may only say that a writer stopped).
        state.lock().expect("the stream has ended").send = None;
        let mut written = Ok(());
        for thread in threads {
            let done = thread.join().unwrap_or_else(|_| {
                Err(PolarsError::ComputeError("a spill writer panicked".into()))
            });
            if written.is_ok() {
                written = done;
            }
        }
        written?;
        streamed
    }

    fn has(&self, side: &str, part: u32) -> bool {
        self.files
            .lock()
            .expect("one reader at a time")
            .contains_key(&(side.to_string(), part))
    }

    /// The rows of `side` that went to `part`, in the order they came; its files removed.
    pub fn read(&self, side: &str, part: u32) -> PolarsResult<DataFrame> {
        let paths = self
            .files
            .lock()
            .expect("one reader at a time")
            .remove(&(side.to_string(), part))
            .unwrap_or_default();
        // Read and decompressed on every core, then put together in their order.
        use rayon::prelude::*;
        let read = paths
            .par_iter()
            .map(|path| {
                let read = read_ipc(path)?;
                std::fs::remove_file(path).map_err(|e| temporary(path, e.into()))?;
                Ok(read)
            })
            .collect::<PolarsResult<Vec<DataFrame>>>()?;
        let mut frame: Option<DataFrame> = None;
        for read in read {
            frame = Some(match frame {
                None => read,
                Some(mut held) => {
                    held.vstack_mut_owned(read)?;
                    held
                }
            });
        }
        // Left in its files' pieces: each compared column is gathered from one piece when
        // its pair is compared (a copy of every column at once held them all twice).
        frame.ok_or_else(|| {
            PolarsError::ComputeError(format!("no rows of partition {part} of {side}").into())
        })
    }

    /// Where each pair's distinct values are spilled.
    pub fn distincts(&self) -> Distincts {
        Distincts {
            dir: self.dir.path().to_path_buf(),
            written: Mutex::default(),
        }
    }
}

/// The distinct values of each compared column's sides, over partitions of the legacy
/// keys: each partition's are ordered by the values' own hash bucket and written as one
/// file, with where each bucket starts, so a value is in one bucket whichever partitions
/// hold it and the buckets' distinct values add up; each bucket is then counted from its
/// slice of every partition's file (memory-mapped, so only the slice is read).
pub struct Distincts {
    dir: PathBuf,
    /// The files written, by pair and side.
    written: Mutex<std::collections::BTreeMap<(usize, usize), Vec<DistinctFile>>>,
}

/// One partition's distinct values of one side of a pair (`v`), in bucket order, each
/// with its bucket (`b`).
type DistinctFile = PathBuf;

// A bucket is written in two bytes.
const _: () = assert!(BUCKETS <= 1 << 16);

impl Distincts {
    /// One partition's values (texts, no nulls, repeats allowed) of one side (0 legacy, 1
    /// target) of pair `pair`: each bucket's made distinct, on every core, and written in
    /// bucket order. Each value is hashed once ([`value_hash`]), its row gathered in its
    /// bucket ([`Bucketed`]), and each bucket's texts made distinct in a small set of
    /// their own; the distinct texts are copied once, into the file's column. (Taken and
    /// made unique bucket by bucket by polars, then joined, each value was hashed three
    /// times and copied three times: a third of a partition's comparison at 10M rows.)
    pub fn add(
        &self,
        (pair, side): (usize, usize),
        part: u32,
        values: &Series,
    ) -> PolarsResult<()> {
        use rayon::prelude::*;
        let values = values.str()?.rechunk();
        let array = values.downcast_iter().next();
        let hashes: Vec<u64> = match array {
            Some(array) => array
                .values_iter()
                .map(|text| value_hash(text.as_bytes()))
                .collect(),
            None => Vec::new(),
        };
        let rows = Bucketed::of(hashes.len(), |row| Some(hashes[row]), |hash| *hash);
        let distinct: Vec<Vec<&str>> = (0..BUCKETS)
            .into_par_iter()
            .map(|b| {
                let Some(array) = array else {
                    return Vec::new();
                };
                let bucket = rows.bucket(b);
                let mut set = bucket_set(bucket.len());
                let mut kept = Vec::new();
                for &row in bucket {
                    let text = array.value(row as usize);
                    if set.insert((hashes[row as usize], text)) {
                        kept.push(text);
                    }
                }
                kept
            })
            .collect();
        // Each value's bucket beside it (2 bytes a distinct value): the file says where
        // each bucket is, so nothing is held for it until the count. (A span for each of
        // 256 buckets of every file, held until the count, was 80 KiB a partition at the
        // benchmark's ten pairs: 320 MiB at 4,096 partitions.)
        let bucket_of: UInt16Chunked = distinct
            .iter()
            .enumerate()
            .flat_map(|(b, d)| std::iter::repeat_n(b as u16, d.len()))
            .collect_ca("b".into());
        let taken = StringChunked::from_iter_values("v".into(), distinct.iter().flatten().copied());
        drop(distinct);
        let mut frame = DataFrame::new(
            taken.len(),
            vec![taken.into_column(), bucket_of.into_column()],
        )?;
        let path = self
            .dir
            .join(format!("distinct-{pair}-{side}-{part}.arrow"));
        // Uncompressed: each bucket's slice is read from the file memory-mapped.
        write_ipc(&path, &mut frame, false)?;
        self.written
            .lock()
            .expect("one file at a time")
            .entry((pair, side))
            .or_default()
            .push(path);
        Ok(())
    }

    /// Distinct values of one side of pair `pair` over every partition: each bucket's
    /// values read from its slice of every partition's file and counted in a set of their
    /// own, on every core.
    pub fn count(&self, (pair, side): (usize, usize)) -> PolarsResult<u64> {
        use rayon::prelude::*;
        let files = self
            .written
            .lock()
            .expect("one count at a time")
            .remove(&(pair, side))
            .unwrap_or_default();
        // Each file mapped once (its buckets are slices of it), not once a bucket.
        let mapped = files
            .iter()
            .map(|path| -> PolarsResult<(StringChunked, UInt16Chunked)> {
                // SAFETY: the file is this comparison's own, in its own temporary folder,
                // written before and never changed while it is mapped.
                let frame = unsafe {
                    IpcReader::new(std::fs::File::open(path)?).memory_mapped(Some(path.clone()))
                }
                .finish()?;
                let values = frame.column("v")?.str()?.rechunk().into_owned();
                let buckets = frame.column("b")?.u16()?.rechunk().into_owned();
                Ok((values, buckets))
            })
            .collect::<PolarsResult<Vec<_>>>()?;
        let counts = (0..BUCKETS)
            .into_par_iter()
            .map(|b| -> PolarsResult<u64> {
                let mut slices: Vec<StringChunked> = Vec::new();
                for (values, buckets) in &mapped {
                    // The file's buckets ascend: bucket `b`'s values are one run of rows.
                    let buckets = buckets.cont_slice()?;
                    let start = buckets.partition_point(|x| usize::from(*x) < b);
                    let end = buckets.partition_point(|x| usize::from(*x) <= b);
                    if end > start {
                        slices.push(values.slice(start as i64, end - start));
                    }
                }
                let mut set = bucket_set(slices.iter().map(|s| s.len()).sum());
                for text in slices.iter().flat_map(|s| s.iter().flatten()) {
                    set.insert((value_hash(text.as_bytes()), text));
                }
                Ok(set.len() as u64)
            })
            .collect::<PolarsResult<Vec<u64>>>()?;
        drop(mapped);
        for path in files {
            std::fs::remove_file(path)?;
        }
        Ok(counts.into_iter().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(values: &[&str]) -> Series {
        StringChunked::from_iter_values("v".into(), values.iter().copied()).into_series()
    }

    /// One piece up to 2,000,000 rows by default, then partitions of 250,000; with
    /// `content_partition_rows`, partitions of at most that many past it; never past 4,096.
    #[test]
    fn partitions_are_of_the_rows_said() {
        assert_eq!(partitions_for(0, None), 1);
        assert_eq!(partitions_for(ONE_PIECE_ROWS, None), 1);
        assert_eq!(partitions_for(ONE_PIECE_ROWS + 1, None), 9);
        assert_eq!(partitions_for(10_000_000, None), 40);
        assert_eq!(partitions_for(u64::MAX, None), 4_096);
        assert_eq!(partitions_for(3, Some(3)), 1);
        assert_eq!(partitions_for(10, Some(3)), 4);
        assert_eq!(partitions_for(10, Some(0)), 1);
    }

    /// Past [`PENDING_ROWS`] rows held over every partition, every partition's are written
    /// at once: each partition reads back its rows whole and in the order they came,
    /// across the files of both kinds of write.
    #[test]
    fn rows_past_the_pending_bound_come_back_whole_and_in_order() {
        // 40 partitions of 52,428 rows each, none reaching CHUNK_ROWS alone; a 41st empty.
        let spill = Arc::new(Spill::new(41).unwrap());
        let rows = (PENDING_ROWS * 2) as u32;
        // From Parquet in row groups of 65,536 rows, which the stream gives as batches.
        let mut frame = df!("k" => (0..rows).collect::<Vec<u32>>()).unwrap();
        let path = spill.dir.path().join("rows.parquet");
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .with_row_group_size(Some(CHUNK_ROWS))
            .finish(&mut frame)
            .unwrap();
        let frame = LazyFrame::scan_parquet(
            PlRefPath::try_from_path(&path).unwrap(),
            ScanArgsParquet::default(),
        )
        .unwrap();
        let route: Route = Box::new(|batch: &DataFrame| {
            let keys = batch.column("k")?.u32()?;
            Ok(rows_by_bucket(keys.into_no_null_iter().map(|k| k % 40), 41))
        });
        assert_eq!(spill.write("side", frame, route).unwrap(), u64::from(rows));
        let files = |part: u32| spill.files.lock().unwrap()[&("side".to_string(), part)].len();
        assert!(files(0) > 1, "written before the stream ended");
        for part in 0..41 {
            let frame = spill.read("side", part).unwrap();
            let read: Vec<u32> = frame
                .column("k")
                .unwrap()
                .u32()
                .unwrap()
                .into_no_null_iter()
                .collect();
            let expected: Vec<u32> = (0..rows).filter(|k| k % 40 == part).collect();
            assert_eq!(read, expected, "partition {part}");
        }
    }

    /// Values shared by partitions count once; a partition with no values and one side
    /// with none at all count nothing; texts longer than a view's inline 12 bytes and texts
    /// sharing those 12 bytes are told apart; every file is removed once counted.
    #[test]
    fn distinct_values_over_partitions_count_each_value_once() {
        let spill = Spill::new(4).unwrap();
        let distincts = spill.distincts();
        let long = |i: usize| format!("a shared prefix of more than twelve bytes {i}");
        let parts: Vec<Vec<String>> = vec![
            (0..2_000).map(|i| format!("v{}", i % 700)).collect(),
            Vec::new(),
            (500..1_500)
                .map(|i| format!("v{i}"))
                .chain((0..50).map(long))
                .collect(),
            (0..100)
                .map(long)
                .chain(["".to_string(), "v1".to_string()])
                .collect(),
        ];
        for (part, values) in parts.iter().enumerate() {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            distincts.add((0, 0), part as u32, &texts(&values)).unwrap();
            distincts.add((0, 1), part as u32, &texts(&[])).unwrap();
        }
        // v0..v1499, the 100 long texts and the empty text.
        assert_eq!(distincts.count((0, 0)).unwrap(), 1_500 + 100 + 1);
        assert_eq!(distincts.count((0, 1)).unwrap(), 0);
        let left = std::fs::read_dir(spill.dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("distinct-"))
            .count();
        assert_eq!(left, 0);
    }
}
