//! A table inventory (`inventory/source.*`, `inventory/target.*`) as a lookup by table name.
//!
//! Inventories hold one row per table, so they are small and kept as plain values. Names
//! match as databases spell them: exactly, else ignoring case (SQLite says `InvoiceLine`,
//! pgloader `invoiceline`), which the caller reports as a warning; a name that matches
//! neither way is absent, with the closest inventory name as a suggestion, and never a
//! count of 0.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::table_key;
use super::tables::{FILE_COL, ROW_COL};

/// One table of an inventory. Rows naming the same table are summed, and the table is
/// [`Inventory::repeated`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryTable {
    /// The name as the inventory spells it.
    pub name: String,
    pub row_count: i64,
    /// Where its (first) row is.
    pub file: String,
    pub row: u64,
}

/// How a name was found in an inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    Exact(&'a InventoryTable),
    /// Found, spelt with other case (or surrounding spaces).
    CaseOnly(&'a InventoryTable),
    /// Not found; the closest name, when one is close.
    Missing(Option<&'a str>),
}

impl<'a> Lookup<'a> {
    pub fn table(self) -> Option<&'a InventoryTable> {
        match self {
            Lookup::Exact(t) | Lookup::CaseOnly(t) => Some(t),
            Lookup::Missing(_) => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// By exact name.
    tables: BTreeMap<String, InventoryTable>,
    /// Exact names by [`table_key`]; several when an inventory lists two spellings.
    keys: BTreeMap<String, Vec<String>>,
    /// The tables listed on more than one row, by exact name: each row's (file, row,
    /// row_count).
    repeated: BTreeMap<String, Vec<(String, u64, i64)>>,
}

impl Inventory {
    /// From a loaded inventory frame (`table`, `row_count`, `__file`, `__row`).
    pub fn from_frame(frame: &DataFrame) -> PolarsResult<Self> {
        let names = frame.column("table")?.str()?;
        let counts = frame.column("row_count")?.i64()?;
        let files = super::tables::text_column(frame, FILE_COL)?;
        let rows = frame.column(ROW_COL)?.cast(&DataType::Int64)?;
        let rows = rows.i64()?;
        let mut inventory = Inventory::default();
        let mut listed: BTreeMap<String, Vec<(String, u64, i64)>> = BTreeMap::new();
        for i in 0..frame.height() {
            let Some(name) = names.get(i).map(str::trim).filter(|n| !n.is_empty()) else {
                continue;
            };
            listed.entry(name.to_string()).or_default().push((
                files.get(i).unwrap_or_default().to_string(),
                rows.get(i).unwrap_or(0) as u64,
                counts.get(i).unwrap_or(0),
            ));
            let entry =
                inventory
                    .tables
                    .entry(name.to_string())
                    .or_insert_with(|| InventoryTable {
                        name: name.to_string(),
                        row_count: 0,
                        file: files.get(i).unwrap_or_default().to_string(),
                        row: rows.get(i).unwrap_or(0) as u64,
                    });
            entry.row_count += counts.get(i).unwrap_or(0);
        }
        inventory.repeated = listed
            .into_iter()
            .filter(|(_, rows)| rows.len() > 1)
            .collect();
        for name in inventory.tables.keys() {
            inventory
                .keys
                .entry(table_key(name))
                .or_default()
                .push(name.clone());
        }
        Ok(inventory)
    }

    /// The tables listed on more than one row (a file exported twice, as CSV and as
    /// Parquet, or a table per shard), with each row's (file, row, row_count): their rows
    /// are counted as the sum, which `coverage.inventory.repeated_table` says.
    pub fn repeated(&self) -> impl Iterator<Item = (&str, &[(String, u64, i64)])> {
        self.repeated
            .iter()
            .map(|(n, rows)| (n.as_str(), rows.as_slice()))
    }

    /// Every table, sorted by name.
    pub fn tables(&self) -> impl Iterator<Item = &InventoryTable> {
        self.tables.values()
    }

    /// How many of its names fold to `key` ([`table_key`]): 2 for `Artist` and `artist`.
    pub fn spellings(&self, key: &str) -> usize {
        self.keys.get(key).map_or(0, Vec::len)
    }

    /// The table `name` resolves to, as [`Inventory::lookup`] finds it, without seeking a
    /// suggestion for a name it does not list (that compares the name with every table's,
    /// and a caller resolving every entity's table would compare every pair).
    pub fn find(&self, name: &str) -> Option<&InventoryTable> {
        let trimmed = name.trim();
        self.tables.get(trimmed).or_else(|| {
            self.keys
                .get(&table_key(name))
                .and_then(|names| names.first())
                .and_then(|n| self.tables.get(n))
        })
    }

    pub fn lookup(&self, name: &str) -> Lookup<'_> {
        let trimmed = name.trim();
        if let Some(table) = self.tables.get(trimmed) {
            return if trimmed == name {
                Lookup::Exact(table)
            } else {
                Lookup::CaseOnly(table)
            };
        }
        if let Some(table) = self
            .keys
            .get(&table_key(name))
            .and_then(|names| names.first())
            .and_then(|n| self.tables.get(n))
        {
            return Lookup::CaseOnly(table);
        }
        Lookup::Missing(self.closest(name))
    }

    /// The inventory name nearest to `name` (by edit distance, ignoring case), when it is
    /// within a third of the name's length.
    fn closest(&self, name: &str) -> Option<&str> {
        let wanted = table_key(name);
        let limit = (wanted.chars().count() / 3).max(1);
        self.keys
            .iter()
            .map(|(key, names)| (strsim::levenshtein(key, &wanted), names[0].as_str()))
            .filter(|(distance, _)| *distance <= limit)
            .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
            .map(|(_, name)| name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory(rows: &[(&str, i64)]) -> Inventory {
        let frame = df!(
            "table" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "row_count" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            FILE_COL => rows.iter().map(|_| "inventory/source.csv").collect::<Vec<_>>(),
            ROW_COL => (1..=rows.len() as IdxSize).collect::<Vec<_>>()
        )
        .unwrap();
        Inventory::from_frame(&frame).unwrap()
    }

    #[test]
    fn names_match_exactly_then_ignoring_case_then_suggest() {
        let inv = inventory(&[("invoiceline", 2240), ("customer", 59), ("customer", 1)]);
        assert!(matches!(inv.lookup("customer"), Lookup::Exact(t) if t.row_count == 60));
        assert!(
            matches!(inv.lookup("InvoiceLine"), Lookup::CaseOnly(t) if t.name == "invoiceline")
        );
        assert_eq!(
            inv.lookup("invoice_line"),
            Lookup::Missing(Some("invoiceline"))
        );
        assert_eq!(inv.lookup("playlist"), Lookup::Missing(None));
    }
}
