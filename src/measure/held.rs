//! Which keys of one column the other holds, both ways at once, on every core: missing
//! data's two questions of a legacy table (which of its ids has a mapping, which of its
//! mappings' legacy ids is among its ids). polars answers each with an anti join, whose
//! hash sets of a table's few million keys outgrow the processor's cache; every probe
//! then waits for memory (about 100 ns a key at 30 million mappings). Here each key is
//! hashed once, the keys of both sides are gathered in buckets by their hash, and each
//! bucket's keys are compared in two small sets, on every core. Keys are compared as
//! values in those sets, so two keys that share a hash are still told apart: the answer
//! is exact.

use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, Ordering};

use polars::prelude::*;
use rayon::prelude::*;

use super::buckets::{bucket_set, Bucketed, BUCKETS};

/// For each row of `left`, whether `right` holds its key, and for each row of `right`,
/// whether `left` holds its key; a null is never held and holds nothing (as in a join).
/// `None` when the columns are not both whole numbers or both text (the caller joins
/// them). The columns are compared as they are: give both the same type.
pub fn held_both_ways(
    left: &Column,
    right: &Column,
) -> PolarsResult<Option<(BooleanChunked, BooleanChunked)>> {
    held_at(left, right, None)
}

/// [`held_both_ways`] of `left` and the rows of `right` at `positions` (in that order),
/// read where they are: no copy of them is made.
pub fn held_both_ways_at(
    left: &Column,
    right: &Column,
    positions: &[IdxSize],
) -> PolarsResult<Option<(BooleanChunked, BooleanChunked)>> {
    held_at(left, right, Some(positions))
}

/// Both: the right side every row of `right`, or its rows at `positions`.
fn held_at(
    left: &Column,
    right: &Column,
    positions: Option<&[IdxSize]>,
) -> PolarsResult<Option<(BooleanChunked, BooleanChunked)>> {
    let state = foldhash::fast::FixedState::with_seed(0x6865_6c64_6b65_7973);
    let right_len = positions.map_or(right.len(), |p| p.len());
    let at = |i: usize| positions.map_or(i, |p| p[i] as usize);
    let held = match (left.dtype(), right.dtype()) {
        (DataType::Int64, DataType::Int64) => {
            let (left, right) = (left.i64()?.rechunk(), right.i64()?.rechunk());
            let (l, r) = (first_array(&*left), first_array(&*right));
            held_by(
                (left.len(), |i| l.and_then(|a| a.get(i))),
                (right_len, |i| r.and_then(|a| a.get(at(i)))),
                |k: &i64| state.hash_one(k),
            )
        }
        (DataType::String, DataType::String) => {
            let (left, right) = (left.str()?.rechunk(), right.str()?.rechunk());
            let (l, r) = (first_array(&*left), first_array(&*right));
            held_by(
                (left.len(), |i| l.and_then(|a| a.get(i))),
                (right_len, |i| r.and_then(|a| a.get(at(i)))),
                |k: &&str| state.hash_one(k.as_bytes()),
            )
        }
        // A key held as a number meets a text key where the text is the number written as
        // polars writes it (`same_keys` compares them as text): each text read as that
        // number, or as no key when it is not one (`007`, `+7`, `-0`, `ALFKI`), which
        // no number's text equals. No number is written out as text: that copy of a
        // table's ids, and of its mappings' legacy ids, was 32 bytes a pair of rows (0.27
        // GiB for one table, the peak of 100M realistic records).
        (DataType::Int64, DataType::String) => {
            let (left, right) = (left.i64()?.rechunk(), right.str()?.rechunk());
            let (l, r) = (first_array(&*left), first_array(&*right));
            held_by(
                (left.len(), |i| l.and_then(|a| a.get(i))),
                (right_len, |i| {
                    r.and_then(|a| a.get(at(i))).and_then(whole_number)
                }),
                |k: &i64| state.hash_one(k),
            )
        }
        (DataType::String, DataType::Int64) => {
            let (left, right) = (left.str()?.rechunk(), right.i64()?.rechunk());
            let (l, r) = (first_array(&*left), first_array(&*right));
            held_by(
                (left.len(), |i| {
                    l.and_then(|a| a.get(i)).and_then(whole_number)
                }),
                (right_len, |i| r.and_then(|a| a.get(at(i)))),
                |k: &i64| state.hash_one(k),
            )
        }
        _ => return Ok(None),
    };
    Ok(held.map(|(l, r)| (l.into_column(), r.into_column())))
}

/// A mark for each row, a bit each, set from every core. A byte a row of each side was
/// held beside both sides' buckets (18 MB for missing data's largest table at 100M
/// realistic records, its peak).
struct Marks {
    words: Vec<AtomicU64>,
    len: usize,
}

impl Marks {
    fn new(len: usize) -> Marks {
        Marks {
            words: (0..len.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
            len,
        }
    }

    fn mark(&self, row: usize) {
        self.words[row / 64].fetch_or(1 << (row % 64), Ordering::Relaxed);
    }

    /// The marks as a boolean column, `__held` (an Arrow bitmap is the same bits, the
    /// lowest of each byte first).
    fn into_column(self) -> BooleanChunked {
        let bytes: Vec<u8> = self
            .words
            .into_iter()
            .flat_map(|word| word.into_inner().to_le_bytes())
            .collect();
        let values = polars_arrow::bitmap::Bitmap::from_u8_vec(bytes, self.len);
        let array = polars_arrow::array::BooleanArray::new(ArrowDataType::Boolean, values, None);
        BooleanChunked::from_chunk_iter("__held".into(), [array])
    }
}

/// The whole number a text is written as, where polars writes that number so: digits, a
/// minus sign before them only when it is below zero, no leading zero, no sign or space
/// around.
fn whole_number(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = match digits.as_bytes() {
        [] => false,
        [b'0'] => digits.len() == text.len(),
        [b'0', ..] => false,
        bytes => bytes.iter().all(u8::is_ascii_digit),
    };
    canonical.then(|| text.parse().ok()).flatten()
}

fn first_array<T: PolarsDataType>(values: &ChunkedArray<T>) -> Option<&T::Array> {
    values.downcast_iter().next()
}

/// A side: its length and its key at a row.
type Side<F> = (usize, F);

/// [`held_both_ways`] for keys read by `key` and hashed by `hash` (any function: keys that
/// share a hash are told apart as keys). `None` past what a row number of 32 bits holds.
fn held_by<K, L, R>(
    left: Side<L>,
    right: Side<R>,
    hash: impl Fn(&K) -> u64 + Sync,
) -> Option<(Marks, Marks)>
where
    K: Hash + Eq + Send,
    L: Fn(usize) -> Option<K> + Sync,
    R: Fn(usize) -> Option<K> + Sync,
{
    if left.0 > u32::MAX as usize || right.0 > u32::MAX as usize {
        return None;
    }
    let left_rows = Bucketed::of(left.0, &left.1, &hash);
    let right_rows = Bucketed::of(right.0, &right.1, &hash);
    // A row is in one bucket only, so each bucket marks its own rows, on every core, with
    // no list of the held rows between (4 bytes a held row of each side).
    let (left_held, right_held) = (Marks::new(left.0), Marks::new(right.0));
    (0..BUCKETS).into_par_iter().for_each(|b| {
        let (l, r) = ((&left_rows, &left.1), (&right_rows, &right.1));
        mark_held(b, l, r, &hash, &left_held);
        mark_held(b, r, l, &hash, &right_held);
    });
    Some((left_held, right_held))
}

/// Of bucket `b`'s rows of one side (its rows and the key of a row), those whose key is
/// among the same bucket's rows of the `other` side are marked in `held`.
fn mark_held<K: Hash + Eq>(
    b: usize,
    (rows, key): (&Bucketed, &impl Fn(usize) -> Option<K>),
    (other, other_key): (&Bucketed, &impl Fn(usize) -> Option<K>),
    hash: &impl Fn(&K) -> u64,
    held: &Marks,
) {
    let (mine, theirs) = (rows.bucket(b), other.bucket(b));
    if mine.is_empty() || theirs.is_empty() {
        return;
    }
    let mut set = bucket_set(theirs.len());
    for &row in theirs {
        if let Some(k) = other_key(row as usize) {
            set.insert((hash(&k), k));
        }
    }
    for &row in mine {
        if key(row as usize).is_some_and(|k| set.contains(&(hash(&k), k))) {
            held.mark(row as usize);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of a column at some positions (out of order, repeated, a null among them)
    /// are held as the same rows gathered into a column of their own are.
    #[test]
    fn rows_at_positions_are_held_as_their_copy() {
        let left = Column::new(
            "k".into(),
            &[Some("a"), Some("b"), None, Some("d"), Some("a")],
        );
        let right = Column::new(
            "k".into(),
            &[Some("d"), None, Some("a"), Some("x"), Some("b")],
        );
        let positions: Vec<IdxSize> = vec![3, 0, 2, 1, 2, 3];
        let gathered = right
            .take(&IdxCa::from_vec("p".into(), positions.clone()))
            .unwrap();
        let flags = |held: (BooleanChunked, BooleanChunked)| {
            let list = |b: &BooleanChunked| b.iter().collect::<Vec<_>>();
            (list(&held.0), list(&held.1))
        };
        let at = held_both_ways_at(&left, &right, &positions)
            .unwrap()
            .unwrap();
        let copy = held_both_ways(&left, &gathered).unwrap().unwrap();
        assert_eq!(flags(at.clone()), flags(copy));
        // The positions read "x", "d", "a", null, "a", "x": on the left "a" and "d" are
        // held ("b" is at no position), on the right "d" and both "a".
        let (l, r) = flags(at);
        let (t, f) = (Some(true), Some(false));
        assert_eq!(l, [t, f, f, t, t]);
        assert_eq!(r, [f, t, t, f, t, f]);
    }
    use crate::load::tables::PIECE;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        /// Over generated numbers and texts (each a number written as polars writes it, or
        /// with a leading zero, a plus sign, a space, `-0`, or text), at positions or not,
        /// both ways round: a number meets a text exactly where polars' text of the number
        /// equals it.
        #[test]
        fn numbers_meet_texts_as_polars_texts_do(
            numbers in proptest::collection::vec(
                proptest::option::of(proptest::prop_oneof![-12i64..12, proptest::prelude::Just(i64::MIN), proptest::prelude::Just(i64::MAX)]),
                0..30,
            ),
            texts in proptest::collection::vec(
                proptest::option::of((-12i64..12, 0usize..6)),
                0..30,
            ),
            reversed in proptest::prelude::any::<bool>(),
        ) {
            let spelled: Vec<Option<String>> = texts
                .iter()
                .map(|t| t.map(|(n, how)| match how {
                    0 | 1 => n.to_string(),
                    2 => format!("0{n}"),
                    3 => format!("+{n}"),
                    4 => format!(" {n}"),
                    _ if n == 0 => "-0".to_string(),
                    _ => format!("id-{n}"),
                }))
                .collect();
            let number = Column::new("k".into(), &numbers);
            let text = Column::new("k".into(), &spelled);
            let as_text = number.cast(&DataType::String).unwrap();
            let list = |b: &BooleanChunked| b.iter().map(|v| v.unwrap()).collect::<Vec<_>>();
            let positions: Vec<IdxSize> = match reversed {
                true => (0..spelled.len() as IdxSize).rev().collect(),
                false => (0..spelled.len() as IdxSize).collect(),
            };
            let gathered = text.take(&IdxCa::from_vec("p".into(), positions.clone())).unwrap();
            let (n, t) = held_both_ways_at(&number, &text, &positions).unwrap().unwrap();
            let (n_text, t_text) = held_both_ways(&as_text, &gathered).unwrap().unwrap();
            proptest::prop_assert_eq!((list(&n), list(&t)), (list(&n_text), list(&t_text)));
            let (t, n) = held_both_ways(&text, &number).unwrap().unwrap();
            let (t_text, n_text) = held_both_ways(&text, &as_text).unwrap().unwrap();
            proptest::prop_assert_eq!((list(&t), list(&n)), (list(&t_text), list(&n_text)));
        }
    }

    /// A number meets a text as polars' text of the number does (what `same_keys` compares):
    /// against every spelling a whole number's text can take, both ways round, and worked
    /// out by hand: of the texts only `7`, `0`, `-7` and the two extremes are numbers'
    /// texts; of the numbers, 3 and the null meet none.
    #[test]
    fn a_number_meets_a_text_as_its_text_does() {
        let texts = [
            Some("7"),
            Some("007"),
            Some("+7"),
            Some("-0"),
            Some("0"),
            Some("-7"),
            Some(" 7"),
            Some("7 "),
            Some("7.0"),
            Some("1e3"),
            Some(""),
            Some("-"),
            Some("٣"),
            Some("ALFKI"),
            Some("9223372036854775807"),
            Some("9223372036854775808"),
            Some("-9223372036854775808"),
            None,
        ];
        let numbers = [
            Some(7i64),
            Some(0),
            Some(-7),
            Some(i64::MAX),
            Some(i64::MIN),
            Some(3),
            None,
        ];
        let text = Column::new("k".into(), &texts);
        let number = Column::new("k".into(), &numbers);
        let as_text = number.cast(&DataType::String).unwrap();
        let list = |b: &BooleanChunked| b.iter().map(|v| v.unwrap()).collect::<Vec<_>>();
        let all: Vec<IdxSize> = (0..texts.len() as IdxSize).rev().collect();
        let (n, t) = held_both_ways_at(&number, &text, &all).unwrap().unwrap();
        let (n_text, t_text) = held_both_ways(
            &as_text,
            &text
                .take(&IdxCa::from_vec("p".into(), all.clone()))
                .unwrap(),
        )
        .unwrap()
        .unwrap();
        assert_eq!((list(&n), list(&t)), (list(&n_text), list(&t_text)));
        assert_eq!(list(&n), [true, true, true, true, true, false, false]);
        let met: Vec<&str> = all
            .iter()
            .zip(list(&t))
            .filter(|(_, held)| *held)
            .filter_map(|(i, _)| texts[*i as usize])
            .collect();
        assert_eq!(
            met,
            [
                "-9223372036854775808",
                "9223372036854775807",
                "-7",
                "0",
                "7"
            ]
        );
        // The other way round.
        let (t, n) = held_both_ways(&text, &number).unwrap().unwrap();
        let (t_text, n_text) = held_both_ways(&text, &as_text).unwrap().unwrap();
        assert_eq!((list(&t), list(&n)), (list(&t_text), list(&n_text)));
    }

    fn held_as_polars(left: &Column, right: &Column) -> (Vec<bool>, Vec<bool>) {
        let is_in = |a: &Column, b: &Column| -> Vec<bool> {
            let frame = DataFrame::new(a.len(), vec![a.clone().with_name("k".into())]).unwrap();
            let b = b.as_materialized_series().clone().with_name("k".into());
            frame
                .lazy()
                .select([col("k")
                    .is_in(lit(b.drop_nulls()).implode(false), false)
                    .fill_null(lit(false))])
                .collect()
                .unwrap()
                .column("k")
                .unwrap()
                .bool()
                .unwrap()
                .iter()
                .map(|b| b.expect("filled"))
                .collect()
        };
        (is_in(left, right), is_in(right, left))
    }

    fn both(left: &Column, right: &Column) -> (Vec<bool>, Vec<bool>) {
        let (l, r) = held_both_ways(left, right).unwrap().expect("comparable");
        let plain = |b: BooleanChunked| b.iter().map(|b| b.expect("no null")).collect();
        (plain(l), plain(r))
    }

    #[test]
    fn finds_each_side_s_keys_in_the_other_and_never_a_null() {
        let left = Column::new(
            "id".into(),
            [Some("a"), None, Some("b"), Some("a"), Some("")],
        );
        let right = Column::new("legacy_id".into(), [Some("b"), Some(""), None, Some("c")]);
        assert_eq!(
            both(&left, &right),
            (
                vec![false, false, true, false, true],
                vec![true, true, false, false]
            )
        );
        let left = Column::new("id".into(), [Some(7i64), None, Some(-1)]);
        let right = Column::new("legacy_id".into(), [None, Some(7i64), Some(8)]);
        assert_eq!(
            both(&left, &right),
            (vec![true, false, false], vec![false, true, false])
        );
        let empty = Column::new("legacy_id".into(), Vec::<i64>::new());
        assert_eq!(both(&left, &empty), (vec![false; 3], vec![]));
    }

    #[test]
    fn agrees_with_polars_over_chunks_and_pieces() {
        let n = PIECE as u64 * 3 + 17;
        let mut left = StringChunked::from_iter_values(
            "id".into(),
            (0..n).map(|i| format!("k{}", (i * 7919) % 100_003)),
        );
        left.append(&StringChunked::from_iter_options(
            "id".into(),
            [Some("k1"), None, Some("new")].into_iter(),
        ))
        .unwrap();
        let right = StringChunked::from_iter_values(
            "legacy_id".into(),
            (0..n / 2).map(|i| format!("k{}", (i * 104_729) % 200_000)),
        );
        let (left, right) = (left.into_column(), right.into_column());
        assert!(left.as_materialized_series().n_chunks() > 1);
        assert_eq!(both(&left, &right), held_as_polars(&left, &right));
        let ints = |c: &Column| {
            c.as_materialized_series()
                .str()
                .unwrap()
                .apply_values(|t| t.replace('k', "").into())
                .into_column()
                .cast(&DataType::Int64)
                .unwrap()
        };
        let (left, right) = (ints(&left), ints(&right));
        assert_eq!(both(&left, &right), held_as_polars(&left, &right));
    }

    #[test]
    fn keys_that_share_a_hash_are_still_told_apart() {
        let left = [Some("ab"), Some("cd"), None, Some("x")];
        let right = [Some("cd"), Some("e"), Some("ab"), Some("zz")];
        for hash in [|t: &&str| t.len() as u64, |_: &&str| 7] {
            let found = held_by((left.len(), |i| left[i]), (right.len(), |i| right[i]), hash).map(
                |(l, r)| {
                    let list = |m: Marks| {
                        let marks = m.into_column();
                        marks
                            .iter()
                            .map(|v| v.expect("no null"))
                            .collect::<Vec<_>>()
                    };
                    (list(l), list(r))
                },
            );
            assert_eq!(
                found,
                Some((
                    vec![true, true, false, false],
                    vec![true, false, true, false]
                ))
            );
        }
    }

    #[test]
    fn other_types_are_left_to_the_caller() {
        let left = Column::new("id".into(), [1i32, 2]);
        let right = Column::new("legacy_id".into(), [1i64]);
        assert!(held_both_ways(&left, &right).unwrap().is_none());
    }
}
