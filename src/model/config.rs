//! `migcov.yaml`: the optional per-project settings that live in the data folder.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Domain;

/// Settings read from `migcov.yaml`; every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectConfig {
    /// Shown as the report's title.
    pub title: String,
    /// A folder of migration scripts (`*.ts`) to reconcile against the manifests, relative
    /// to the data folder. `--scripts-dir` overrides it.
    pub scripts_dir: Option<PathBuf>,
    /// Glob patterns (relative to the scripts folder) of files and folders to leave out,
    /// on top of `node_modules` and `.git`.
    pub exclude: Vec<String>,
    pub thresholds: Thresholds,
    /// Largest allowed gap between a manifest's `success_rate` and the one its metrics give.
    pub success_rate_tolerance: f64,
    /// Largest allowed relative gap between a metrics row's `throughput_per_second` and
    /// `records_processed / (execution_time_ms / 1000)`.
    pub throughput_tolerance: f64,
    /// Largest allowed relative gap (|delta| / expected) in the reconciliation checks.
    pub reconcile_tolerance: f64,
    pub gate: GateConfig,
    /// Per-rule severity overrides: `rule id: error | warning | info | off`.
    pub severity: BTreeMap<String, SeverityOverride>,
    /// The IANA zone (`Europe/Berlin`) of timestamps written without an offset; UTC when
    /// absent. Timestamps with an offset are converted to UTC whatever this says.
    pub timezone: Option<String>,
    /// The unit of timestamps given as whole numbers (epoch seconds, milliseconds, ...).
    /// Without it a whole number in a timestamp column is an error: its unit is a guess.
    pub epoch_unit: Option<EpochUnit>,
    /// Legacy rows left out of the migration on purpose: neither migrated nor missing.
    pub exclusions: Vec<Exclusion>,
    /// Findings accepted on purpose: shown as waived, and not failing the gate.
    pub waivers: Vec<Waiver>,
    /// Which entities' values are compared, legacy row against target row, and how.
    pub content: Vec<ContentDeclaration>,
    /// Legacy rows (or mappings) one entity's content comparison holds at once: past
    /// them, its rows are split by legacy key into partitions spilled to a temporary
    /// folder and compared one partition at a time, so its memory does not grow with the
    /// rows (default 2,000,000).
    pub content_partition_rows: Option<u64>,
}

/// `content:` — one entity whose rows arrive intact or not: its legacy rows
/// (`rows/legacy/<legacy_table>.*`) are joined through the mappings to its target rows
/// (`rows/target/<target_table>.*`) and each declared column pair is compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentDeclaration {
    /// The entity's name, as in `entities.yaml`.
    pub entity: String,
    /// The legacy rows' key column: its values are the mappings' `legacy_id`.
    pub legacy_key: String,
    /// The target rows' key column: its values are the mappings' `modern_id`.
    pub target_key: String,
    /// Legacy column → target column (`FirstName: first_name`), or the target column with
    /// how to compare it (`Total: {target: total, scale: 2}`). Each legacy column once.
    #[serde(deserialize_with = "unique_columns")]
    pub columns: BTreeMap<String, ColumnPair>,
    /// Normalisations for every column of the entity; a column's own win.
    #[serde(default)]
    pub normalize: Normalize,
}

/// `columns:`, each legacy column once: YAML lets a key repeat, and the last silently won
/// (`n: {target: n, tolerance: 100}` then `n: n` dropped the tolerance).
fn unique_columns<'de, D>(deserializer: D) -> Result<BTreeMap<String, ColumnPair>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Columns;
    impl<'de> serde::de::Visitor<'de> for Columns {
        type Value = BTreeMap<String, ColumnPair>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a mapping of legacy columns to their target columns")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut columns = BTreeMap::new();
            while let Some(name) = map.next_key::<String>()? {
                if columns.contains_key(&name) {
                    return Err(serde::de::Error::custom(format!(
                        "column `{name}` is declared twice under columns (which one holds cannot be told)"
                    )));
                }
                let pair = map.next_value()?;
                columns.insert(name, pair);
            }
            Ok(columns)
        }
    }
    deserializer.deserialize_map(Columns)
}

/// One compared column's target, and how to compare it: the target column's name, or a
/// mapping with `target:`, `transform:` and any of [`Normalize`]'s keys (a misspelt key is
/// an error naming it, as at the entity's level).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ColumnPair {
    Target(String),
    With {
        target: String,
        /// What the migration does to the value on purpose, as a SQL expression over the
        /// legacy row's columns (`lower(Email)`, `concat('CH-', code)`): its result is the
        /// value expected in the target column. With a transform, the pair's legacy name
        /// is only a label; the columns read are those the expression names.
        #[serde(default)]
        transform: Option<String>,
        #[serde(flatten)]
        normalize: Normalize,
    },
}

impl<'de> Deserialize<'de> for ColumnPair {
    /// By hand, not `untagged`: an untagged enum says only "data did not match any variant"
    /// and `flatten` lets any key through, so `tolerence: 1` was silently no tolerance.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        use serde_yaml::Value;
        let text = |value: Option<Value>, key: &str| match value {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(D::Error::custom(format!(
                "a column's `{key}:` is a text, not {other:?}"
            ))),
        };
        match Value::deserialize(d)? {
            Value::String(target) => Ok(ColumnPair::Target(target)),
            Value::Mapping(mut settings) => {
                let target = text(settings.remove("target"), "target")?.ok_or_else(|| {
                    D::Error::custom("a column's settings need `target:`, the target column")
                })?;
                let transform = text(settings.remove("transform"), "transform")?;
                let read = |settings: serde_yaml::Mapping| {
                    serde_yaml::from_value::<Normalize>(Value::Mapping(settings))
                };
                // Each key alone first, so that a bad value's error names its key.
                for (key, value) in &settings {
                    let one = serde_yaml::Mapping::from_iter([(key.clone(), value.clone())]);
                    read(one).map_err(|e| {
                        let key = key.as_str().map_or(format!("{key:?}"), |k| format!("`{k}`"));
                        D::Error::custom(format!(
                            "column `{target}`, {key}: {e} (a column's settings are `target`, `transform` and those)"
                        ))
                    })?;
                }
                let normalize = read(settings).map_err(D::Error::custom)?;
                Ok(ColumnPair::With {
                    target,
                    transform,
                    normalize,
                })
            }
            other => Err(D::Error::custom(format!(
                "a column pair is the target column's name or its settings ({{target: …, scale: 2}}), not {other:?}"
            ))),
        }
    }
}

impl ColumnPair {
    pub fn target(&self) -> &str {
        match self {
            ColumnPair::Target(t) | ColumnPair::With { target: t, .. } => t,
        }
    }

    /// The declared transform, if any.
    pub fn transform(&self) -> Option<&str> {
        match self {
            ColumnPair::With {
                transform: Some(t), ..
            } => Some(t),
            _ => None,
        }
    }

    /// This column's normalisations over the entity's.
    pub fn normalize(&self, entity: &Normalize) -> Normalize {
        match self {
            ColumnPair::Target(_) => entity.clone(),
            ColumnPair::With { normalize, .. } => normalize.over(entity),
        }
    }
}

/// How two values are made comparable before they are compared; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalize {
    /// Leading and trailing white space does not count.
    #[serde(default)]
    pub trim: Option<bool>,
    /// Letter case does not count (`lower`), or both sides are read upper-cased.
    #[serde(default)]
    pub case: Option<Case>,
    /// An empty text equals a missing value (NULL).
    #[serde(default)]
    pub null_equals_empty: Option<bool>,
    /// Numbers compared rounded to this many decimals.
    #[serde(default)]
    pub scale: Option<u32>,
    /// Numbers equal when they differ by at most this much.
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// Both sides in one Unicode normal form (`nfc`, or `nfkc` to also fold compatibility
    /// characters such as `ﬁ`), so `é` written as one character or as `e` and an accent is
    /// one text.
    #[serde(default)]
    pub unicode: Option<UnicodeForm>,
    /// Values are timestamps, compared as instants: one written without an offset is read
    /// as local time in this IANA zone (one zone for both sides, or `{legacy: …, target:
    /// …}`), one with an offset or `Z` as written.
    #[serde(default)]
    pub time_zone: Option<TimeZones>,
}

/// `time_zone:` in a normalisation: one zone for both sides, or one per side (a side left
/// out reads zone-less values as UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TimeZones {
    Both(String),
    Sides {
        #[serde(default)]
        legacy: Option<String>,
        #[serde(default)]
        target: Option<String>,
    },
}

impl TimeZones {
    /// The zone of the legacy side's and the target side's zone-less values.
    pub fn sides(&self) -> (Option<&str>, Option<&str>) {
        match self {
            TimeZones::Both(zone) => (Some(zone), Some(zone)),
            TimeZones::Sides { legacy, target } => (legacy.as_deref(), target.as_deref()),
        }
    }
}

/// `unicode:` in a normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnicodeForm {
    Nfc,
    Nfkc,
}

impl Normalize {
    /// The normalisations in force, in words (`trim, case lower, scale 2`); `None` when
    /// none is. A report says how each pair was compared, so a diff sees a tolerance
    /// widened as the change it is, not as mismatches resolved.
    pub fn described(&self) -> Option<String> {
        let mut said = Vec::new();
        if self.trim == Some(true) {
            said.push("trim".to_string());
        }
        if let Some(case) = self.case {
            said.push(match case {
                Case::Lower => "case lower".to_string(),
                Case::Upper => "case upper".to_string(),
            });
        }
        if self.null_equals_empty == Some(true) {
            said.push("null equals empty".to_string());
        }
        if let Some(scale) = self.scale {
            said.push(format!("scale {scale}"));
        }
        if let Some(tolerance) = self.tolerance {
            said.push(format!("tolerance {tolerance}"));
        }
        if let Some(form) = self.unicode {
            said.push(match form {
                UnicodeForm::Nfc => "unicode nfc".to_string(),
                UnicodeForm::Nfkc => "unicode nfkc".to_string(),
            });
        }
        match &self.time_zone {
            Some(TimeZones::Both(zone)) => said.push(format!("time zone {zone}")),
            Some(TimeZones::Sides { legacy, target }) => said.push(format!(
                "time zone {} (legacy), {} (target)",
                legacy.as_deref().unwrap_or("UTC"),
                target.as_deref().unwrap_or("UTC")
            )),
            None => {}
        }
        (!said.is_empty()).then(|| said.join(", "))
    }

    /// `self` where set, else `base`.
    pub fn over(&self, base: &Normalize) -> Normalize {
        Normalize {
            trim: self.trim.or(base.trim),
            case: self.case.or(base.case),
            null_equals_empty: self.null_equals_empty.or(base.null_equals_empty),
            scale: self.scale.or(base.scale),
            tolerance: self.tolerance.or(base.tolerance),
            unicode: self.unicode.or(base.unicode),
            time_zone: self.time_zone.clone().or_else(|| base.time_zone.clone()),
        }
    }

    /// Whether values are compared as numbers.
    pub fn numeric(&self) -> bool {
        self.scale.is_some() || self.tolerance.is_some()
    }
}

/// `case:` in a normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Case {
    Lower,
    Upper,
}

/// `exclusions:` — a whole legacy table, or some of its ids (a file of ids, or the rows of
/// its `source_ids` file whose `column` holds one of `values`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub table: String,
    /// A CSV or Parquet file of ids (column `id`, or `id_1`, `id_2`, ... for composite
    /// keys), relative to the data folder.
    #[serde(default)]
    pub ids: Option<PathBuf>,
    /// A predicate over the table's `source_ids` file.
    #[serde(default, rename = "where")]
    pub predicate: Option<Predicate>,
    pub reason: String,
    pub approved_by: String,
    /// The last day it holds (YYYY-MM-DD); after it, an error finding, and the rows count
    /// as not migrated again.
    #[serde(default)]
    pub expires: Option<chrono::NaiveDate>,
}

/// `where: {column: archived, values: ["1", "true"]}`: values compare as trimmed text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    pub column: String,
    pub values: Vec<String>,
}

/// `waivers:` — one rule's findings about one subject (or all its subjects with `*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub rule: String,
    /// The finding's subject name as the report shows it (`dispatch_fax_archive`,
    /// `office-migration.ts`), or `*` for every subject.
    pub subject: String,
    pub reason: String,
    pub approved_by: String,
    /// The last day it holds (YYYY-MM-DD); after it, an error finding, and the finding
    /// counts again.
    #[serde(default)]
    pub expires: Option<chrono::NaiveDate>,
}

/// Whether a decision that holds until `expires` (inclusive) has lapsed by `date`.
pub fn expired(expires: Option<chrono::NaiveDate>, date: chrono::NaiveDate) -> bool {
    expires.is_some_and(|last| last < date)
}

/// `epoch_unit`: what one step of an integer timestamp is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EpochUnit {
    S,
    Ms,
    Us,
    Ns,
}

/// When a run fails the gate (exit code 1), besides any error-severity finding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateConfig {
    /// Fail when the overall success rate is below this.
    pub fail_under: Option<f64>,
    /// The coverage every domain must reach (rule `coverage.domain.threshold`): one rate
    /// for all, or a rate per domain.
    pub min_domain_coverage: Option<MinCoverage>,
    /// Fail when more legacy ids than this have no mapping (rule `missing.mapping.unmapped`).
    pub max_missing_records: Option<u64>,
    /// Fail when fewer compared rows than this share arrived intact (`content:`), or when no
    /// values were compared at all.
    pub min_intact_rate: Option<f64>,
    /// Fail when more compared rows than this differ in a value (`content:`).
    pub max_value_mismatches: Option<u64>,
}

/// `gate.min_domain_coverage`: `0.9`, or `{CLINICAL: 0.99, BUSINESS: 0.9}` (domains left
/// out have no minimum).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum MinCoverage {
    All(f64),
    PerDomain(BTreeMap<Domain, f64>),
}

/// `gate.min_domain_coverage` as written: its domains read apart, so that one no domain
/// is named in the message (serde's untagged enum said only "did not match any variant").
#[derive(Deserialize)]
#[serde(untagged)]
enum RawMinCoverage {
    All(f64),
    PerDomain(BTreeMap<String, f64>),
    Other(serde::de::IgnoredAny),
}

impl<'de> Deserialize<'de> for MinCoverage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        MinCoverage::try_from(RawMinCoverage::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<RawMinCoverage> for MinCoverage {
    type Error = String;

    fn try_from(raw: RawMinCoverage) -> Result<Self, String> {
        match raw {
            RawMinCoverage::All(rate) => Ok(MinCoverage::All(rate)),
            RawMinCoverage::PerDomain(rates) => rates
                .into_iter()
                .map(|(name, rate)| Ok((name.parse::<Domain>().map_err(|e| e.to_string())?, rate)))
                .collect::<Result<_, String>>()
                .map(MinCoverage::PerDomain),
            RawMinCoverage::Other(_) => Err(
                "min_domain_coverage is a rate (0.9) or a rate per domain ({CLINICAL: 0.99})"
                    .to_string(),
            ),
        }
    }
}

impl MinCoverage {
    pub fn for_domain(&self, domain: Domain) -> Option<f64> {
        match self {
            MinCoverage::All(rate) => Some(*rate),
            MinCoverage::PerDomain(rates) => rates.get(&domain).copied(),
        }
    }
}

/// A severity given in `migcov.yaml` or `--severity`, or `off` to drop a rule's findings.
/// Read in any case (`OFF`), as `--severity` reads it and every enum value of the input
/// contract is (found by an independent check: `migcov.yaml` refused `OFF`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeverityOverride {
    Error,
    Warning,
    Info,
    Off,
}

impl SeverityOverride {
    pub fn as_str(self) -> &'static str {
        match self {
            SeverityOverride::Error => "error",
            SeverityOverride::Warning => "warning",
            SeverityOverride::Info => "info",
            SeverityOverride::Off => "off",
        }
    }
}

impl<'de> Deserialize<'de> for SeverityOverride {
    fn deserialize<D: serde::Deserializer<'de>>(reader: D) -> Result<Self, D::Error> {
        let text = String::deserialize(reader)?;
        [
            SeverityOverride::Error,
            SeverityOverride::Warning,
            SeverityOverride::Info,
            SeverityOverride::Off,
        ]
        .into_iter()
        .find(|level| text.trim().eq_ignore_ascii_case(level.as_str()))
        .ok_or_else(|| {
            serde::de::Error::unknown_variant(text.trim(), &["error", "warning", "info", "off"])
        })
    }
}

impl ProjectConfig {
    /// Values that parse but make no sense, each as (key, "expected …, found …"): rates
    /// outside [0, 1] (`fail_under: 95` means 95%, surely, but is 9500%), bands out of order,
    /// negative tolerances.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut rate = |key: &'static str, value: Option<f64>| {
            if let Some(v) = value.filter(|v| !(0.0..=1.0).contains(v)) {
                out.push((
                    key,
                    format!("expected a rate between 0.0 and 1.0 (0.95 for 95%), found {v}"),
                ));
            }
        };
        rate("thresholds.high", Some(self.thresholds.high));
        rate("thresholds.medium", Some(self.thresholds.medium));
        rate("gate.fail_under", self.gate.fail_under);
        rate("gate.min_intact_rate", self.gate.min_intact_rate);
        match &self.gate.min_domain_coverage {
            Some(MinCoverage::All(v)) => rate("gate.min_domain_coverage", Some(*v)),
            Some(MinCoverage::PerDomain(rates)) => {
                for v in rates.values() {
                    rate("gate.min_domain_coverage", Some(*v));
                }
            }
            None => {}
        }
        if self.thresholds.medium > self.thresholds.high {
            out.push((
                "thresholds.medium",
                format!(
                    "expected medium <= high, found medium {} above high {}",
                    self.thresholds.medium, self.thresholds.high
                ),
            ));
        }
        // A content declaration's numbers: a tolerance of 0 or more, a scale the exact
        // decimals (38 digits) can hold.
        for declaration in &self.content {
            let columns = declaration.columns.values().filter_map(|c| match c {
                ColumnPair::With { normalize, .. } => Some(normalize),
                ColumnPair::Target(_) => None,
            });
            for n in std::iter::once(&declaration.normalize).chain(columns) {
                if let Some(t) = n.tolerance.filter(|t| !(*t >= 0.0 && t.is_finite())) {
                    out.push((
                        "tolerance",
                        format!("expected a tolerance of 0 or more, found {t}"),
                    ));
                }
                if let Some(scale) = n.scale.filter(|s| *s > 38) {
                    out.push((
                        "scale",
                        format!("expected at most 38 decimals (numbers are compared in exact decimals of 38 digits), found {scale}"),
                    ));
                }
            }
        }
        if self.content_partition_rows == Some(0) {
            out.push((
                "content_partition_rows",
                "expected 1 or more rows a partition, found 0".to_string(),
            ));
        }
        for (key, value) in [
            ("success_rate_tolerance", self.success_rate_tolerance),
            ("throughput_tolerance", self.throughput_tolerance),
            ("reconcile_tolerance", self.reconcile_tolerance),
        ] {
            if !(value >= 0.0 && value.is_finite()) {
                out.push((
                    key,
                    format!("expected a tolerance of 0 or more, found {value}"),
                ));
            }
        }
        out
    }
}

impl Default for ProjectConfig {
    fn default() -> Self {
        ProjectConfig {
            title: "Migration coverage".to_string(),
            scripts_dir: None,
            exclude: Vec::new(),
            thresholds: Thresholds::default(),
            success_rate_tolerance: 0.005,
            throughput_tolerance: 0.05,
            reconcile_tolerance: 0.0,
            gate: GateConfig::default(),
            severity: BTreeMap::new(),
            timezone: None,
            epoch_unit: None,
            exclusions: Vec::new(),
            waivers: Vec::new(),
            content: Vec::new(),
            content_partition_rows: None,
        }
    }
}

/// Colour bands for rates, like genhtml's: at or above `high` is high, at or above `medium`
/// is medium, below is low.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    pub high: f64,
    pub medium: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            high: 0.9,
            medium: 0.75,
        }
    }
}

/// The band a rate falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    High,
    Medium,
    Low,
    None,
}

impl Thresholds {
    /// The band of a rate that a gate threshold also judges: below the gate's minimum it is
    /// low whatever the colour thresholds say, so a colour never contradicts the gate.
    pub fn band_gated(&self, rate: Option<f64>, minimum: Option<f64>) -> Band {
        match minimum {
            Some(m) if rate.unwrap_or(0.0) < m => Band::Low,
            _ => self.band(rate),
        }
    }

    pub fn band(&self, rate: Option<f64>) -> Band {
        match rate {
            None => Band::None,
            Some(r) if r >= self.high => Band::High,
            Some(r) if r >= self.medium => Band::Medium,
            Some(_) => Band::Low,
        }
    }
}
