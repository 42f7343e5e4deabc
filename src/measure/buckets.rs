//! Keys gathered in buckets by their hash, so that a set of each bucket's keys stays in the
//! processor's cache. A hash set of a few million keys outgrows the cache, and every
//! insert and probe then waits for memory; in buckets each key is hashed once (on every
//! core), the rows are gathered bucket by bucket, and each bucket is worked in a small set
//! of its own (on every core). The sets compare keys, not only hashes: keys that share a
//! hash are still told apart, so what is computed over them is exact. Used to count
//! distinct texts ([`super::content::distinct`]) and to find which keys of one column the
//! other holds ([`super::held`]).

use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use crate::load::tables::PIECE;

/// Buckets of keys by their hash: each bucket's set stays in the processor's cache at tens
/// of millions of keys.
pub const BUCKET_BITS: u32 = 10;

/// How many buckets there are.
pub const BUCKETS: usize = 1 << BUCKET_BITS;

/// One column's rows with a key, gathered bucket by bucket. A row's hash is not kept: the
/// sets compute it again from the key. Kept, it was 8 bytes a row of each side beside the
/// 4 of its row number, through the whole of missing data's largest table (0.3 GiB at
/// 100M realistic records).
pub struct Bucketed {
    starts: Vec<usize>,
    rows: Vec<u32>,
}

impl Bucketed {
    /// The `len` rows read by `key` (`None`: no key, a null, left out) hashed by `hash`,
    /// which may be any function: keys that share a hash are told apart by the sets, which
    /// must hash a key with the same function. `len` must fit a row number of 32 bits.
    pub fn of<K>(
        len: usize,
        key: impl Fn(usize) -> Option<K> + Sync,
        hash: impl Fn(&K) -> u64 + Sync,
    ) -> Self {
        assert!(len <= u32::MAX as usize, "rows numbered in 32 bits");
        // Two passes over pieces of rows, on every core: each piece counts its rows per
        // bucket, then writes them at its own place in each bucket. Each key is hashed
        // twice; a bucket a row held between the passes was 2 bytes a row of each side,
        // beside the other side's buckets (missing data's peak at 100M realistic records).
        let pieces: Vec<std::ops::Range<usize>> = (0..len)
            .step_by(PIECE)
            .map(|start| start..(start + PIECE).min(len))
            .collect();
        let bucket = |row: usize| key(row).map(|k| bucket_of(hash(&k)));
        let mut places: Vec<Vec<usize>> = pieces
            .par_iter()
            .map(|piece| {
                let mut counts = vec![0usize; BUCKETS];
                for b in piece.clone().filter_map(bucket) {
                    counts[b] += 1;
                }
                counts
            })
            .collect();
        // Each bucket's rows in piece order: a piece's place in a bucket is where the
        // earlier pieces' rows of it end.
        let mut starts = vec![0usize; BUCKETS + 1];
        for b in 0..BUCKETS {
            let mut at = starts[b];
            for counts in places.iter_mut() {
                let n = counts[b];
                counts[b] = at;
                at += n;
            }
            starts[b + 1] = at;
        }
        let rows: Vec<AtomicU32> = (0..starts[BUCKETS]).map(|_| AtomicU32::new(0)).collect();
        pieces
            .into_par_iter()
            .zip(places.par_iter_mut())
            .for_each(|(piece, at)| {
                for row in piece {
                    if let Some(b) = bucket(row) {
                        rows[at[b]].store(row as u32, Ordering::Relaxed);
                        at[b] += 1;
                    }
                }
            });
        let rows = rows.into_iter().map(AtomicU32::into_inner).collect();
        Bucketed { starts, rows }
    }

    /// The rows of bucket `b` (below [`BUCKETS`]), in row order.
    pub fn bucket(&self, b: usize) -> &[u32] {
        &self.rows[self.starts[b]..self.starts[b + 1]]
    }
}

/// The bucket of a hash: its middle bits. A set places a key by its hash's lowest bits and
/// tells keys apart first by its highest, which one bucket's keys would otherwise share.
fn bucket_of(hash: u64) -> usize {
    (hash >> 32) as usize & (BUCKETS - 1)
}

/// A set for one bucket's keys, each given with its hash first: `(hash, key)`. The hash,
/// computed once, is the set's hash; the key is what equality compares.
pub fn bucket_set<K: std::hash::Hash + Eq>(
    capacity: usize,
) -> HashSet<(u64, K), BuildHasherDefault<Given>> {
    HashSet::with_capacity_and_hasher(capacity, BuildHasherDefault::<Given>::default())
}

/// A hasher whose hash is the first `u64` it is given: a key's hash, computed once, before
/// the key (which equality still compares).
#[derive(Default)]
pub struct Given(Option<u64>);

impl std::hash::Hasher for Given {
    fn finish(&self) -> u64 {
        self.0.unwrap_or(0)
    }

    fn write(&mut self, _: &[u8]) {}

    fn write_u64(&mut self, hash: u64) {
        self.0.get_or_insert(hash);
    }
}
