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

use rayon::prelude::*;

use crate::load::tables::PIECE;

/// Buckets of keys by their hash: each bucket's set stays in the processor's cache at tens
/// of millions of keys.
pub const BUCKET_BITS: u32 = 10;

/// How many buckets there are.
pub const BUCKETS: usize = 1 << BUCKET_BITS;

/// One column's rows with a key, gathered bucket by bucket, and every row's hash.
pub struct Bucketed {
    hashes: Vec<u64>,
    starts: Vec<usize>,
    rows: Vec<u32>,
}

impl Bucketed {
    /// The `len` rows read by `key` (`None`: no key, a null, left out) hashed by `hash`,
    /// which may be any function: keys that share a hash are told apart by the sets.
    /// `len` must fit a row number of 32 bits.
    pub fn of<K>(
        len: usize,
        key: impl Fn(usize) -> Option<K> + Sync,
        hash: impl Fn(&K) -> u64 + Sync,
    ) -> Self {
        assert!(len <= u32::MAX as usize, "rows numbered in 32 bits");
        // One hash a row, 8 bytes: a row without a key gets none of its own (0, never
        // read), and is told apart by reading its key again, which is cheap beside the
        // hash. An `Option<u64>` a row took 16 bytes, and with the rows' numbers was the
        // largest part of missing data's peak at 100M realistic mappings.
        let mut hashes: Vec<u64> = Vec::new();
        (0..len)
            .into_par_iter()
            .with_min_len(PIECE)
            .map(|row| key(row).map_or(0, |k| hash(&k)))
            .collect_into_vec(&mut hashes);
        // Middle bits: a set places a key by its hash's lowest bits and tells keys apart
        // first by its highest, which one bucket's keys would otherwise share.
        let bucket = |h: u64| (h >> 32) as usize & (BUCKETS - 1);
        // Each bucket's rows, one after another, by a count and a scatter.
        let keyed = |row: usize| key(row).is_some();
        let mut starts = vec![0usize; BUCKETS + 1];
        for (row, h) in hashes.iter().enumerate() {
            if keyed(row) {
                starts[bucket(*h) + 1] += 1;
            }
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        let mut next = starts.clone();
        let mut rows = vec![0u32; starts[BUCKETS]];
        for (row, h) in hashes.iter().enumerate() {
            if keyed(row) {
                let at = &mut next[bucket(*h)];
                rows[*at] = row as u32;
                *at += 1;
            }
        }
        Bucketed {
            hashes,
            starts,
            rows,
        }
    }

    /// The rows of bucket `b` (below [`BUCKETS`]), in row order.
    pub fn bucket(&self, b: usize) -> &[u32] {
        &self.rows[self.starts[b]..self.starts[b + 1]]
    }

    /// The hash of `row`, a row gathered in a bucket.
    pub fn hash(&self, row: u32) -> u64 {
        self.hashes[row as usize]
    }
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
