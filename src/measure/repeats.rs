//! Rows that repeat the key of an earlier row: duplicate mappings and ids for `validate`,
//! and distinct counts (rows less repeats) for `measure`.
//!
//! Repeats are few in a migration's exports, so the exact test (a window giving each key's
//! first row) runs only on the rows a cheap test cannot clear: a 64-bit hash of each row's
//! keys, sorted, shows which hashes occur twice. A hash shared by different keys only adds
//! rows to the exact test, never drops one, so the result is exact; a window over every row
//! would hold a group per key (a gigabyte at ten million mappings).

use std::hash::BuildHasher;

use polars::prelude::*;

use crate::load::tables::{half_names, FILE_COL, ROW_COL};

/// Rows that repeat `keys` of an earlier row (in file and row order); the first stays.
/// `in_order`: the frame is in the order its files were read (each folder's entries by
/// name) and rows in order, as the mappings are loaded, so the sort of every row is
/// skipped. Files differ from their paths' order as text only in nested folders whose
/// names extend one another (`a/` and `a-b/`). How: see the module's comment.
pub fn repeats(frame: LazyFrame, keys: &[Expr], in_order: bool) -> PolarsResult<LazyFrame> {
    repeats_hashed(frame, keys, key_hash(keys), in_order)
}

/// [`repeats`] with the rows' hash given: `hash` must be equal for rows whose `keys` are
/// equal (rows with unequal keys may share one). The keys are then computed for the
/// candidate rows only, so a costly key (text folded to lower case) is never computed for
/// every row when its hash can be taken without it.
pub fn repeats_hashed(
    frame: LazyFrame,
    keys: &[Expr],
    hash: Expr,
    in_order: bool,
) -> PolarsResult<LazyFrame> {
    repeats_held(frame, keys, hash, in_order, HASHES_HELD)
}

/// [`repeats_hashed`], holding at most `held` hashes at once.
fn repeats_held(
    frame: LazyFrame,
    keys: &[Expr],
    hash: Expr,
    in_order: bool,
    held: usize,
) -> PolarsResult<LazyFrame> {
    let frame = match in_order {
        true => frame,
        false => frame.sort([FILE_COL, ROW_COL], Default::default()),
    };
    let rows = frame.collect()?;
    let repeated = Series::new("__repeated".into(), repeated_hashes(&rows, &hash, held)?);
    // The candidates are taken by position, in the rows' order, so their own row numbers
    // order them as the whole frame's would; no other column of every row is touched (a
    // join would have written out the file column, one value for the whole file). The
    // hashes are computed again a slice at a time, so no second array of them is held.
    let mut positions = Vec::new();
    for (offset, slice) in slices_of(&rows) {
        let picked = slice
            .lazy()
            .select([hash.clone().alias("__hash")])
            .with_row_index("__position", Some(offset))
            .filter(col("__hash").is_in(lit(repeated.clone()).implode(false), false))
            .select([col("__position")])
            .collect()?;
        positions.extend(picked.column("__position")?.idx()?.into_no_null_iter());
    }
    let candidates = rows.take(&IdxCa::from_vec("__position".into(), positions))?;
    let first = col("__order").min().over(keys)?;
    Ok(candidates.lazy().with_row_index("__order", None).filter(
        col("__order").neq(first).and(
            keys.iter()
                .fold(lit(true), |all, k| all.and(k.clone().is_not_null())),
        ),
    ))
}

/// Rows a hash pass takes at a time: each slice's hashes (8 bytes a row) are a small
/// array beside the one that holds them all.
const HASH_SLICE_ROWS: usize = 1 << 22;

/// The frame in slices of [`HASH_SLICE_ROWS`] rows (views, not copies), with the position
/// of each slice's first row.
fn slices_of(rows: &DataFrame) -> impl Iterator<Item = (IdxSize, DataFrame)> + '_ {
    (0..rows.height().max(1))
        .step_by(HASH_SLICE_ROWS)
        .map(|offset| {
            (
                offset as IdxSize,
                rows.slice(offset as i64, HASH_SLICE_ROWS),
            )
        })
}

/// The hashes that occur more than once among the rows, in ascending order. Sorted, a
/// repeated hash sits beside its repeat: no table of every hash is built. The hashes are
/// computed a slice at a time into one array and sorted in place (polars' sort of a column
/// of them held a sorted copy beside them, 0.65 GiB at 100M records); above
/// [`HASHES_HELD`] they are taken in passes, each keeping the hashes of one residue, so
/// one pass holds at most that many (equal hashes share a residue).
fn repeated_hashes(rows: &DataFrame, hash: &Expr, held: usize) -> PolarsResult<Vec<u64>> {
    use rayon::slice::ParallelSliceMut;
    let passes = rows.height().div_ceil(held.max(1)).max(1) as u64;
    let mut repeated: Vec<u64> = Vec::new();
    for pass in 0..passes {
        // A residue's share varies from pass to pass: room for 1/32 more than the mean, so
        // that the array is not grown to twice its size (which held both copies at once:
        // 0.7 GiB for the 100M realistic mappings' second pass, the build's peak).
        let mean = rows.height() / passes as usize;
        let room = match passes {
            1 => rows.height(),
            _ => mean + mean / 32 + 4096,
        };
        let mut hashes: Vec<u64> = Vec::with_capacity(room);
        for (_, slice) in slices_of(rows) {
            let part = slice
                .lazy()
                .select([hash.clone().alias("__hash")])
                .collect()?;
            let part = part.column("__hash")?.u64()?;
            for values in part.downcast_iter() {
                match passes {
                    1 => hashes.extend_from_slice(values.values()),
                    _ => hashes.extend(values.values().iter().filter(|h| *h % passes == pass)),
                }
            }
        }
        hashes.par_sort_unstable();
        for pair in hashes.windows(2) {
            if pair[0] == pair[1] && repeated.last() != Some(&pair[0]) {
                repeated.push(pair[0]);
            }
        }
    }
    // Each pass's are ascending; together, in the order `is_in` and the tests expect.
    repeated.sort_unstable();
    Ok(repeated)
}

/// The most hashes [`repeated_hashes`] holds at once (8 bytes each: 256 MiB). Half as
/// many took 0.03 GiB off the peak of 100M realistic records, and a pass more (every hash
/// computed again) cost 30M records about 3 s with the smaller type passes below.
const HASHES_HELD: usize = 1 << 25;

/// The most ids [`distinct`] counts without hashing them apart.
const SMALL_DISTINCT: usize = 1 << 16;

/// The most hashes [`distinct`] holds at once (32 MiB): a table's ids larger than that
/// are hashed once a pass.
const DISTINCT_HASHES_HELD: usize = 1 << 22;

/// A 64-bit hash of the keys (as text, numbers, or a dictionary column's codes) of each row.
fn key_hash(keys: &[Expr]) -> Expr {
    keys[0].clone().map_many(
        |columns: &mut [Column]| {
            let state = PlSeedableRandomStateQuality::seed_from_u64(0);
            let mut hashes = Vec::new();
            for (i, column) in columns.iter().enumerate() {
                // A dictionary column (`entity_type_key`) is hashed by its codes: equal
                // text has one code, and its text is never written out for every row (16
                // bytes a row).
                if let DataType::Categorical(..) = column.dtype() {
                    let codes = column.to_physical_repr();
                    let codes = codes.as_materialized_series();
                    match i {
                        0 => codes.vec_hash(state.clone(), &mut hashes)?,
                        _ => codes.vec_hash_combine(state.clone(), &mut hashes)?,
                    }
                    continue;
                }
                // A key held as numbers (`ColumnKind::Key`) is hashed as numbers: a column
                // is all numbers or all text, so equal keys still hash alike.
                if let DataType::Int64 = column.dtype() {
                    let numbers = column.i64()?;
                    match i {
                        0 => numbers.vec_hash(state.clone(), &mut hashes)?,
                        _ => numbers.vec_hash_combine(state.clone(), &mut hashes)?,
                    }
                    continue;
                }
                let text = column.cast(&DataType::String)?;
                let text = text.str()?;
                match i {
                    0 => text.vec_hash(state.clone(), &mut hashes)?,
                    _ => text.vec_hash_combine(state.clone(), &mut hashes)?,
                }
            }
            Ok(UInt64Chunked::from_vec("__hash".into(), hashes).into_column())
        },
        &keys[1..],
        |_, _| Ok(Field::new("__hash".into(), DataType::UInt64)),
    )
}

/// A hash of each value of a load's UUID column ([`crate::load::tables::ColumnKind::Uuid`])
/// as [`repeats_hashed`] needs for the key `text.str().strip_chars().str().to_lowercase()`
/// (`trimmed`) or `text.str().to_lowercase()`, without building that text: a value that
/// folds to a UUID is hashed by its halves (every spelling of one UUID has the same
/// halves); any other is hashed as its text folded to lower case ([`fold_hashes`]; no text
/// outside ASCII folds to a UUID's digits). Not trimmed when the key is not: polars folds
/// a capital sigma by what follows a text's first 16 ASCII bytes, so a leading space can
/// change how the rest folds (` ABCDEFGHIJKLMNOPΣ`; found by an independent review).
pub fn folded_uuid_hash(name: &str, trimmed: bool) -> Expr {
    let (hi, lo) = half_names(name);
    col(name).map_many(
        move |columns: &mut [Column]| {
            let state = PlSeedableRandomStateQuality::seed_from_u64(0);
            let hi = columns[1].u64()?;
            let lo = columns[2].u64()?;
            let halves: Vec<Option<u64>> = hi
                .iter()
                .zip(lo.iter())
                .map(|halves| match halves {
                    (Some(hi), Some(lo)) => Some(state.hash_one((hi, lo))),
                    _ => None,
                })
                .collect();
            let texts = crate::load::tables::text_values(&columns[0])?
                .zip(&halves)
                .map(|(text, halves)| match halves {
                    Some(_) => None,
                    None if trimmed => text.map(str::trim),
                    None => text,
                });
            let mut hashes = fold_hashes(&state, texts)?;
            for (hash, halves) in hashes.iter_mut().zip(halves) {
                if let Some(halves) = halves {
                    *hash = halves;
                }
            }
            Ok(UInt64Chunked::from_vec(columns[0].name().clone(), hashes).into_column())
        },
        &[col(hi), col(lo)],
        |_, fields| Ok(Field::new(fields[0].name().clone(), DataType::UInt64)),
    )
}

/// A hash of each value of text column `name` as [`repeats_hashed`] needs for the key
/// `col(name).str().to_lowercase()`, without building that text for every row (a copy of
/// every value: 1 GB at 26 million mapping ids).
pub fn folded_text_hash(name: &str) -> Expr {
    col(name).map(
        |column: Column| {
            let state = PlSeedableRandomStateQuality::seed_from_u64(0);
            let hashes = fold_hashes(&state, column.str()?.iter())?;
            Ok(UInt64Chunked::from_vec(column.name().clone(), hashes).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::UInt64)),
    )
}

/// Each text value's hash as its text folded to lower case, as polars' `to_lowercase`
/// folds it (null: 0): an ASCII value folded byte by byte; the others (rare in ids) folded
/// by polars itself, all at once. Not by `str::to_lowercase`: polars folds a text's ASCII
/// start 16 bytes at a time and then decides whether a capital sigma ends a word from the
/// rest alone (`ABCDEFGHIJKLMNOPΣ` ends in `σ` there, in `ς` in Rust's), and the hash must
/// be equal for values whose key is (found by an independent check).
fn fold_hashes<'a>(
    state: &PlSeedableRandomStateQuality,
    values: impl Iterator<Item = Option<&'a str>>,
) -> PolarsResult<Vec<u64>> {
    let mut folded = Vec::new();
    let mut others: Vec<(usize, &str)> = Vec::new();
    let mut hashes: Vec<u64> = values
        .enumerate()
        .map(|(row, value)| match value {
            Some(value) if value.is_ascii() => {
                folded.clear();
                folded.extend(value.bytes().map(|b| b.to_ascii_lowercase()));
                state.hash_one(&*folded)
            }
            Some(value) => {
                others.push((row, value));
                0
            }
            None => 0,
        })
        .collect();
    if !others.is_empty() {
        let texts = StringChunked::from_iter_values("others".into(), others.iter().map(|o| o.1));
        for ((row, _), lower) in others.iter().zip(texts.to_lowercase().iter()) {
            hashes[*row] = state.hash_one(lower.unwrap_or_default().as_bytes());
        }
    }
    Ok(hashes)
}

/// The distinct non-null values of `column` in `frame`: its non-null rows less those that
/// repeat an earlier one. Missing data counts a table's ids so while they are held beside
/// every mapping: its hashes are held [`DISTINCT_HASHES_HELD`] at a time (all of a
/// table's 9.4 million text ids, 75 MB, were the peak of 100M realistic records).
pub fn distinct(frame: LazyFrame, column: &str) -> PolarsResult<u64> {
    let frame = frame.select([col(column)]).collect()?;
    let present = (frame.height() - frame.column(column)?.null_count()) as u64;
    // A small table's ids counted at once: the hashes' plan cost more than the count
    // (a millisecond a table, most of missing data's time with thousands of tables).
    if frame.height() <= SMALL_DISTINCT {
        return Ok(frame.column(column)?.drop_nulls().n_unique()? as u64);
    }
    let keys = [col(column)];
    let repeated = repeats_held(
        frame.lazy(),
        &keys,
        key_hash(&keys),
        true,
        DISTINCT_HASHES_HELD,
    )?
    .select([len().alias("n")])
    .collect()?;
    let repeated = repeated.column("n")?.idx()?.get(0).unwrap_or(0) as u64;
    Ok(present - repeated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tables::{upper_name, uuid_halves, uuid_text};

    /// Past [`SMALL_DISTINCT`] rows the ids are hashed apart: the count is the same as a
    /// small table's, text and numbers, with repeats and missing values.
    #[test]
    fn distinct_counts_alike_by_hashes_and_at_once() {
        let n = SMALL_DISTINCT + 4_465;
        let ints: Vec<Option<i64>> = (0..n)
            .map(|i| (i % 7 != 0).then_some((i % 50_021) as i64))
            .collect();
        let texts: Vec<Option<String>> = ints.iter().map(|v| v.map(|v| format!("k{v}"))).collect();
        let frame = df!("int" => &ints, "text" => &texts).unwrap();
        // Counted apart from polars: the values present, in a set.
        let counted = |rows: usize| {
            ints[..rows]
                .iter()
                .flatten()
                .collect::<std::collections::HashSet<_>>()
                .len() as u64
        };
        assert!(counted(n) < (n - n / 7) as u64, "repeats in the column");
        for column in ["int", "text"] {
            assert_eq!(distinct(frame.clone().lazy(), column).unwrap(), counted(n));
            let small = frame.head(Some(1000));
            assert_eq!(distinct(small.lazy(), column).unwrap(), counted(1000));
        }
    }

    /// The plain window over every row: what [`repeats`] must equal.
    fn by_window(frame: &DataFrame, keys: &[Expr]) -> Vec<i64> {
        let first = col("__order").min().over(keys).unwrap();
        let rows = frame
            .clone()
            .lazy()
            .with_row_index("__order", None)
            .filter(
                col("__order").neq(first).and(
                    keys.iter()
                        .fold(lit(true), |all, k| all.and(k.clone().is_not_null())),
                ),
            )
            .collect()
            .unwrap();
        order(&rows)
    }

    /// The rows found, by their row numbers (`__order` numbers only the candidates).
    fn order(rows: &DataFrame) -> Vec<i64> {
        let mut order: Vec<i64> = rows
            .column(ROW_COL)
            .unwrap()
            .cast(&DataType::Int64)
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        order.sort_unstable();
        order
    }

    proptest::proptest! {
        #[test]
        fn equals_the_window_over_every_row(
            rows in proptest::collection::vec(
                (proptest::option::of(0u8..4), proptest::option::of(0u8..6)),
                0..200,
            )
        ) {
            let kind: Vec<Option<String>> = rows.iter().map(|r| r.0.map(|v| format!("T{v}"))).collect();
            let id: Vec<Option<String>> = rows.iter().map(|r| r.1.map(|v| v.to_string())).collect();
            let frame = df!(
                FILE_COL => vec!["m.csv"; rows.len()],
                ROW_COL => (1..=rows.len() as IdxSize).collect::<Vec<_>>(),
                "kind" => kind,
                "id" => id,
            )
            .unwrap();
            let keys = [col("kind"), col("id")];
            // Taken in passes, the repeated hashes are those of one pass.
            let whole = repeated_hashes(&frame, &key_hash(&keys), usize::MAX).unwrap();
            for held in [1, 3, 64] {
                proptest::prop_assert_eq!(
                    &repeated_hashes(&frame, &key_hash(&keys), held).unwrap(),
                    &whole
                );
            }
            let found = repeats(frame.clone().lazy(), &keys, false).unwrap().collect().unwrap();
            proptest::prop_assert_eq!(order(&found), by_window(&frame, &keys));
            let present = frame.column("id").unwrap().drop_nulls().n_unique().unwrap() as u64;
            proptest::prop_assert_eq!(distinct(frame.lazy(), "id").unwrap(), present);
        }

        #[test]
        fn uuid_halves_keep_every_text_and_find_what_the_folded_window_finds(
            picks in proptest::collection::vec(proptest::option::of(0usize..11), 0..200)
        ) {
            // One UUID in three spellings, another, text that is no UUID in two cases, a
            // non-ASCII value and a value with a UUID inside it.
            let words = [
                "3f2b8c1e-9a4d-4c3b-8e2f-1a2b3c4d5e6f",
                "3F2B8C1E-9A4D-4C3B-8E2F-1A2B3C4D5E6F",
                "3F2b8c1e-9a4d-4c3b-8e2f-1a2b3c4d5e6f",
                "00000000-0000-4000-8000-000000000000",
                " 3f2b8c1e-9a4d-4c3b-8e2f-1a2b3c4d5e6f ",
                "0a0b0c0d-0000-4000-8000-000000000001",
                "not-a-uuid",
                "NOT-A-UUID",
                "é-ü",
                "x3f2b8c1e-9a4d-4c3b-8e2f-1a2b3c4d5e6",
                "3f2b8c1e9a4d4c3b8e2f1a2b3c4d5e6f",
            ];
            let (shown, original, found, window) = uuid_repeats(&words, &picks);
            proptest::prop_assert_eq!(shown, original);
            proptest::prop_assert_eq!(found, window);
        }

        #[test]
        fn folded_hash_finds_what_the_folded_window_finds(
            picks in proptest::collection::vec(proptest::option::of(0usize..12), 0..200)
        ) {
            // Case, spaces and non-ASCII letters: equal once folded, or not; the Kelvin
            // sign folds to an ASCII `k` (with every non-ASCII value given one hash, a
            // Kelvin sign and one `k` were not found); a capital sigma after 16 ASCII
            // letters folds as polars folds it.
            let words = [
                "ab", "AB", " ab ", "aB", "éa", "ÉA", "Éa ", "ba", "k", "\u{212A}",
                " ABCDEFGHIJKLMNOPΣ", "abcdefghijklmnopσ",
            ];
            let (shown, original, found, window) = uuid_repeats(&words, &picks);
            proptest::prop_assert_eq!(shown, original);
            proptest::prop_assert_eq!(found, window);
        }

        #[test]
        fn folded_text_hash_finds_what_the_lower_case_window_finds(
            picks in proptest::collection::vec(proptest::option::of(0usize..15), 0..200)
        ) {
            // Case, non-ASCII letters, the Kelvin sign, a final sigma and spaces (which
            // this key keeps); a capital sigma after 16 ASCII letters, which polars folds
            // to `σ` where Rust's lower case gives `ς`.
            let words = [
                "ab", "AB", "aB", " ab", "éa", "ÉA", "k", "K", "\u{212A}", "ΑΣ", "ας", "ασ",
                "ABCDEFGHIJKLMNOPΣ", "abcdefghijklmnopσ", "abcdefghijklmnopς",
            ];
            let frame = picked(&words, &picks, "id");
            let keys = [col("id").str().to_lowercase()];
            let found = repeats_hashed(frame.clone().lazy(), &keys, folded_text_hash("id"), true)
                .unwrap()
                .collect()
                .unwrap();
            proptest::prop_assert_eq!(order(&found), by_window(&frame, &keys));
        }
    }

    /// The words picked (null for none) as column `name` of one file's rows.
    fn picked(words: &[&str], picks: &[Option<usize>], name: &str) -> DataFrame {
        let text: Vec<Option<&str>> = picks.iter().map(|p| p.map(|i| words[i])).collect();
        df!(
            FILE_COL => vec!["m.csv"; picks.len()],
            ROW_COL => (1..=picks.len() as IdxSize).collect::<Vec<_>>(),
            name => text,
        )
        .unwrap()
    }

    /// The words picked, held as load holds a UUID column (the halves, the case flag and
    /// the text where it is not canonical): (their text given back, the words, the rows
    /// [`repeats_hashed`] finds with [`folded_uuid_hash`], the rows the window on the
    /// folded words finds).
    fn uuid_repeats(
        words: &[&str],
        picks: &[Option<usize>],
    ) -> (Series, Series, Vec<i64>, Vec<i64>) {
        let frame = picked(words, picks, "original");
        let (hi, lo) = half_names("modern_id");
        let field = |name: &str| col("parts").struct_().field_by_name(name);
        let parts = frame
            .clone()
            .lazy()
            .with_column(
                uuid_halves(col("original"), crate::load::tables::category_dtype()).alias("parts"),
            )
            .with_columns([
                field("hi").alias(hi.as_str()),
                field("lo").alias(lo.as_str()),
                field("upper").alias(upper_name("modern_id").as_str()),
                field("text").alias("modern_id"),
            ])
            .collect()
            .unwrap();
        let shown = parts
            .clone()
            .lazy()
            .select([uuid_text("modern_id")])
            .collect()
            .unwrap();
        let folded = |c: Expr| c.str().strip_chars(lit(NULL)).str().to_lowercase();
        let found = repeats_hashed(
            parts.lazy(),
            &[folded(uuid_text("modern_id"))],
            folded_uuid_hash("modern_id", true),
            true,
        )
        .unwrap()
        .collect()
        .unwrap();
        (
            shown
                .column("modern_id")
                .unwrap()
                .as_materialized_series()
                .clone(),
            frame
                .column("original")
                .unwrap()
                .as_materialized_series()
                .clone()
                .with_name("modern_id".into()),
            order(&found),
            by_window(&frame, &[folded(col("original"))]),
        )
    }
}
