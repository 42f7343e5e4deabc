//! Exact counts of distinct texts, on every core. polars' `n_unique` of a text column
//! inserts every value into one hash set on one core: at 10 million distinct values the set
//! outgrows the processor's cache and a count took about a second a side and column (a
//! fifth of a 10M comparison). Here each value's hash is computed once, on every core,
//! the rows are gathered in buckets by their hash, and each bucket's values are made
//! distinct in a small set of their own, on every core. Values are compared as texts in
//! those sets, so two texts that share a hash are still two values: the count is exact,
//! never an estimate.

use polars::prelude::*;
use rayon::prelude::*;

use crate::measure::buckets::{bucket_set, Bucketed, BUCKETS};

/// Distinct texts of `values`, nulls not counted.
pub fn distinct_texts(values: &StringChunked) -> u64 {
    use std::hash::BuildHasher;
    let state = foldhash::fast::FixedState::with_seed(0x6469_7374_696e_6374);
    distinct_by(values, |text| state.hash_one(text))
}

/// Distinct texts of `values` by `hash` (any function: texts that share a hash are told
/// apart as texts): the rows gathered in buckets by hash ([`Bucketed`]), and each bucket's
/// texts made distinct in a set of their own, on every core.
fn distinct_by(values: &StringChunked, hash: impl Fn(&[u8]) -> u64 + Sync) -> u64 {
    let values = values.rechunk();
    let Some(array) = values.downcast_iter().next() else {
        return 0;
    };
    if array.len() > u32::MAX as usize {
        // Past what a row number of 32 bits holds (no partition is that large).
        let n = values.n_unique().unwrap_or(0) as u64;
        return n - u64::from(values.null_count() > 0);
    }
    let rows = Bucketed::of(
        array.len(),
        |row| array.get(row),
        |text: &&str| hash(text.as_bytes()),
    );
    (0..BUCKETS)
        .into_par_iter()
        .map(|b| {
            let bucket = rows.bucket(b);
            let mut set = bucket_set(bucket.len());
            for &row in bucket {
                let text = array.value(row as usize);
                set.insert((hash(text.as_bytes()), text));
            }
            set.len() as u64
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tables::PIECE;

    fn texts(values: &[Option<&str>]) -> StringChunked {
        StringChunked::from_iter_options("v".into(), values.iter().copied())
    }

    #[test]
    fn counts_each_text_once_and_no_null() {
        let values = texts(&[
            Some("b"),
            None,
            Some("a"),
            Some("b"),
            Some(""),
            None,
            Some("a"),
        ]);
        assert_eq!(distinct_texts(&values), 3);
        assert_eq!(distinct_texts(&texts(&[])), 0);
        assert_eq!(distinct_texts(&texts(&[None, None])), 0);
    }

    #[test]
    fn agrees_with_polars_over_chunks_and_pieces() {
        // More rows than a piece, in several chunks, with repeats far apart.
        let mut values = StringChunked::from_iter_values(
            "v".into(),
            (0..PIECE as u64 * 3 + 17).map(|i| format!("v{}", (i * 7919) % 100_003)),
        );
        values
            .append(&texts(&[Some("v1"), None, Some("new")]))
            .unwrap();
        let expected = values.n_unique().unwrap() as u64 - 1;
        assert_eq!(distinct_texts(&values), expected);
    }

    #[test]
    fn texts_that_share_a_hash_are_still_two() {
        let values = texts(&[
            Some("ab"),
            Some("cd"),
            Some("ab"),
            Some("x"),
            Some("e"),
            None,
        ]);
        // Every text of one length shares a hash; every text shares the second.
        assert_eq!(distinct_by(&values, |t| t.len() as u64), 4);
        assert_eq!(distinct_by(&values, |_| 7), 4);
    }
}
