//! The data model of `shared/seed/data-model.md`: entities, enums and ids. No I/O.
//!
//! Enums parse case-insensitively (`COMPLETE`, `complete`, `Complete`) and serialise in
//! upper case, the spelling the seed uses for field values. Ids that a manifest leaves out are
//! derived as UUID v5 of the kind and name, so the same manifest always yields the same ids.

pub mod config;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// Namespace for ids derived from names (UUID v5). Never change it: ids in published
/// reports and JSON files would all change with it.
pub const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6d69_6763_6f76_4000_8000_6d69_6763_6f76);

/// The id of a record whose manifest gives none: UUID v5 of `kind:name`.
pub fn derive_id(kind: &str, name: &str) -> Uuid {
    Uuid::new_v5(&ID_NAMESPACE, format!("{kind}:{name}").as_bytes())
}

/// An enum value that is not one of the allowed spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub found: String,
    pub expected: String,
}

impl fmt::Display for UnknownVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected a {} ({}), found {:?}",
            self.kind, self.expected, self.found
        )
    }
}

impl std::error::Error for UnknownVariant {}

macro_rules! model_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The upper-case spelling used in manifests, exports and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Lower-case form, used in file names and URLs.
            pub fn slug(self) -> String {
                self.as_str().to_ascii_lowercase()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim().replace(['-', ' '], "_");
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(&wanted))
                    .ok_or_else(|| UnknownVariant {
                        kind: $kind,
                        found: s.to_string(),
                        expected: Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(" | "),
                    })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "enum": Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
                })
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // A visitor, so the error is raised while the deserializer still knows the
                // value's position (serde_yaml then reports its line).
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        write!(f, "a {}", $kind)
                    }
                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$name, E> {
                        text.parse().map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}

model_enum!(
    /// `MigrationScript.category`.
    Category, "category" {
        Core => "CORE",
        Communications => "COMMUNICATIONS",
        Business => "BUSINESS",
        Specialized => "SPECIALIZED",
        System => "SYSTEM",
        CriticalFix => "CRITICAL_FIX",
    }
);

model_enum!(
    /// `DataDomain.name` and `MigrationScript.data_domain`.
    Domain, "data domain" {
        Clinical => "CLINICAL",
        Business => "BUSINESS",
        Communications => "COMMUNICATIONS",
        Technical => "TECHNICAL",
    }
);

model_enum!(
    /// `DataDomain.priority`.
    Priority, "priority" {
        Critical => "CRITICAL",
        High => "HIGH",
        Medium => "MEDIUM",
        Low => "LOW",
    }
);

model_enum!(
    /// `MigrationScript.status`; `ROLLBACK_REQUIRED` comes from the seed's status enum.
    Status, "status" {
        NotStarted => "NOT_STARTED",
        InProgress => "IN_PROGRESS",
        Complete => "COMPLETE",
        Failed => "FAILED",
        RollbackRequired => "ROLLBACK_REQUIRED",
    }
);

model_enum!(
    /// `ExecutionLog.operation_type`.
    OperationType, "operation type" {
        Migrate => "MIGRATE",
        Validate => "VALIDATE",
        Rollback => "ROLLBACK",
        Fix => "FIX",
    }
);

model_enum!(
    /// `ExecutionLog.level`.
    LogLevel, "log level" {
        Info => "INFO",
        Warn => "WARN",
        Error => "ERROR",
        Debug => "DEBUG",
    }
);

/// A `MigrationScript` manifest, references resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Script {
    pub id: Uuid,
    pub name: String,
    pub category: Category,
    pub data_domain: Domain,
    pub source_table: String,
    pub target_table: String,
    /// As declared in the manifest; the report falls back to the metrics.
    pub record_count: Option<i64>,
    /// As declared in the manifest; the report falls back to the metrics.
    pub success_rate: Option<f64>,
    pub status: Status,
    pub description: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

/// A `DataDomain` record. `coverage_percentage` is computed by the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataDomain {
    pub id: Uuid,
    pub name: Domain,
    pub description: String,
    pub priority: Priority,
    /// As declared in domains.yaml, if at all; the report computes its own.
    pub declared_coverage: Option<f64>,
    #[serde(skip)]
    pub origin: Origin,
}

/// The one form in which entity types are compared, wherever they are read (entities,
/// mapping exports, the databases `collect` reads): trimmed of Unicode white space, in
/// Unicode's composed form (NFC) and upper-cased with Unicode's rules, so `Employé` (either
/// way of writing `é`), ` employé ` and `EMPLOYÉ` are one type. Databases fold case by their
/// own collations (SQLite's `UPPER` is ASCII only), so SQL never folds: the distinct values
/// are read and folded here.
pub fn entity_type_key(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    // Upper case can decompose what NFC composed (ΐ becomes Ϊ́), so NFC comes last too.
    raw.trim()
        .nfc()
        .collect::<String>()
        .to_uppercase()
        .nfc()
        .collect()
}

/// A `DataEntity` record, references resolved where they could be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entity {
    pub id: Uuid,
    pub name: String,
    pub domain_id: Option<Uuid>,
    pub domain: Option<Domain>,
    pub legacy_table: String,
    pub target_table: String,
    pub total_records: i64,
    pub migrated_records: i64,
    pub failed_records: i64,
    pub migration_script_id: Option<Uuid>,
    /// The `LegacyMapping.entity_type` this entity owns, if any (e.g. `OFFICE`).
    pub entity_type: Option<String>,
    /// The domain reference as written (`domain_id` or `domain`), kept for findings.
    #[serde(skip)]
    pub domain_ref: Option<String>,
    /// The script reference as written, kept for findings.
    #[serde(skip)]
    pub script_ref: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

/// The seed's `CoverageReport`: the headline figures of one report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CoverageReport {
    pub id: Uuid,
    pub report_date: chrono::NaiveDate,
    pub total_scripts: u64,
    pub completed_scripts: u64,
    pub total_records: i64,
    pub migrated_records: i64,
    /// `None` when no metrics were recorded.
    pub overall_success_rate: Option<f64>,
    pub clinical_coverage: Option<f64>,
    pub business_coverage: Option<f64>,
    pub communications_coverage: Option<f64>,
    pub technical_coverage: Option<f64>,
}

impl CoverageReport {
    /// One domain's coverage.
    pub fn domain_coverage(&self, domain: Domain) -> Option<f64> {
        match domain {
            Domain::Clinical => self.clinical_coverage,
            Domain::Business => self.business_coverage,
            Domain::Communications => self.communications_coverage,
            Domain::Technical => self.technical_coverage,
        }
    }
}

/// A rate and the bound it missed as percentages that read so: the bound with as many
/// decimals as it needs (at least two, at most six), the rate truncated to as many, so a
/// rate below its bound never reads as the bound (0.94999 against 0.95 is `94.99%` against
/// `95.00%`, where rounding gave `95.00%` against `95.00%`).
pub fn percents_below(rate: f64, bound: f64) -> (String, String) {
    let percent = bound * 100.0;
    let decimals = (2..=6)
        .find(|&d| {
            let shown: f64 = format!("{percent:.d$}").parse().unwrap_or(f64::NAN);
            (shown - percent).abs() <= percent.abs() * 1e-12
        })
        .unwrap_or(6);
    let scale = 10f64.powi(decimals as i32);
    let truncated = (rate * 100.0 * scale).floor() / scale;
    (
        format!("{truncated:.decimals$}%"),
        format!("{percent:.decimals$}%"),
    )
}

/// Whether `gap` is at most `allowed`, a product of a tolerance and a figure: floating
/// point gives 0.29 × 100 as 28.999999999999996, which a gap of 29 is not at most. A gap
/// over it by less than a millionth of a millionth is not over it.
pub fn at_most(gap: f64, allowed: f64) -> bool {
    gap <= allowed + allowed.abs() * 1e-12
}

/// `singular` for one, else `plural`: "1 table", "2 tables".
pub fn noun<'a>(n: u64, singular: &'a str, plural: &'a str) -> &'a str {
    if n == 1 {
        singular
    } else {
        plural
    }
}

/// Where a record came from: the file and, for tables, the 1-based data row.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Origin {
    pub file: PathBuf,
    pub row: Option<u64>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.row {
            Some(row) => write!(f, "{} row {}", self.file.display(), row),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

/// Severity of a rule or finding, ordered from least to most serious.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Most characters of one value from the data that a page shows (a sample's cell, a log
/// message, a content sample): a 200 MB log message made a 200 MB page.
pub const SHOWN_CHARS: usize = 2_000;

/// `text` as a page shows it: whole up to [`SHOWN_CHARS`] characters, else its start and
/// how many characters were left out.
pub fn shortened(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        None => text.to_string(),
        Some((at, _)) => format!(
            "{}… ({} more characters)",
            &text[..at],
            text[at..].chars().count()
        ),
    }
}

/// An epoch-milliseconds timestamp as ISO 8601 UTC: to the second, with its milliseconds
/// when it has any (two executions a tenth of a second apart were shown at one time, and
/// the input contract says fractions are kept to the millisecond).
pub fn format_timestamp(ms: i64) -> String {
    let format = match ms.rem_euclid(1000) {
        0 => "%Y-%m-%dT%H:%M:%SZ",
        _ => "%Y-%m-%dT%H:%M:%S%.3fZ",
    };
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format(format).to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// A file-name-safe slug derived from data (never a path).
pub fn slugify(text: &str) -> String {
    let mut slug: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    slug = slug.trim_matches('-').to_string();
    if slug.is_empty() {
        slug.push('x');
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_case_insensitively_and_serialise_upper_case() {
        assert_eq!("complete".parse::<Status>().unwrap(), Status::Complete);
        assert_eq!(
            "Critical-Fix".parse::<Category>().unwrap(),
            Category::CriticalFix
        );
        assert_eq!(
            "rollback_required".parse::<Status>().unwrap(),
            Status::RollbackRequired
        );
        let err = "done".parse::<Status>().unwrap_err();
        assert!(
            err.to_string().contains("NOT_STARTED | IN_PROGRESS"),
            "{err}"
        );
        assert_eq!(
            serde_json::to_string(&Domain::Clinical).unwrap(),
            "\"CLINICAL\""
        );
    }

    #[test]
    fn derived_ids_are_stable_and_kind_specific() {
        let a = derive_id("script", "office-migration.ts");
        assert_eq!(a, derive_id("script", "office-migration.ts"));
        assert_ne!(a, derive_id("entity", "office-migration.ts"));
        assert_eq!(a.get_version_num(), 5);
    }

    #[test]
    fn slugs_never_contain_path_separators() {
        assert_eq!(slugify("../../etc/passwd"), "etc-passwd");
        assert_eq!(slugify("office-migration.ts"), "office-migration-ts");
        assert_eq!(slugify("///"), "x");
    }
}
