//! `migcov generate`: a deterministic synthetic migration of any size, in the input
//! contract, with a known number of injected defects of each kind.
//!
//! The bundled sample in `data/` is `migcov generate --records 20000 --seed 42`. The same
//! seed and size always give byte-identical files. What was injected is written to
//! `expected_defects.json` beside the data (migcov does not read it), so tests and
//! benchmarks can check the report finds exactly that.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::model::{derive_id, Category, Domain, Status};

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path}: refusing to write into a folder that is not empty")]
    NotEmpty { path: PathBuf },
    #[error("--records must be at least 100, found {0}")]
    TooSmall(u64),
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> GenerateError + '_ {
    move |e| GenerateError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn polars_err(path: &Path) -> impl Fn(PolarsError) -> GenerateError + '_ {
    move |e| GenerateError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// How a script's run went.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Complete,
    InProgress(f64),
    NotStarted,
    Failed,
    LowSuccess,
}

struct Spec {
    script: &'static str,
    category: Category,
    domain: Domain,
    source: &'static str,
    target: &'static str,
    /// The entity the script migrates and its LegacyMapping entity_type; none for fixes.
    entity: Option<(&'static str, &'static str)>,
    weight: u32,
    outcome: Outcome,
}

#[allow(clippy::too_many_arguments)] // a table row constructor: one argument per column
const fn spec(
    script: &'static str,
    category: Category,
    domain: Domain,
    source: &'static str,
    target: &'static str,
    entity: Option<(&'static str, &'static str)>,
    weight: u32,
    outcome: Outcome,
) -> Spec {
    Spec {
        script,
        category,
        domain,
        source,
        target,
        entity,
        weight,
        outcome,
    }
}

use Category as C;
use Domain as D;
use Outcome as O;

const CATALOG: &[Spec] = &[
    spec(
        "office-migration.ts",
        C::Core,
        D::Business,
        "dispatch_office",
        "offices",
        Some(("offices", "OFFICE")),
        2,
        O::Complete,
    ),
    spec(
        "profile-migration.ts",
        C::Core,
        D::Technical,
        "dispatch_profile",
        "profiles",
        Some(("profiles", "PROFILE")),
        6,
        O::Complete,
    ),
    spec(
        "doctor-migration.ts",
        C::Core,
        D::Clinical,
        "dispatch_doctor",
        "doctors",
        Some(("doctors", "DOCTOR")),
        3,
        O::Complete,
    ),
    spec(
        "patient-migration.ts",
        C::Core,
        D::Clinical,
        "dispatch_patient",
        "patients",
        Some(("patients", "PATIENT")),
        30,
        O::Complete,
    ),
    spec(
        "order-migration.ts",
        C::Core,
        D::Clinical,
        "dispatch_instruction",
        "orders",
        Some(("orders", "ORDER")),
        40,
        O::Complete,
    ),
    spec(
        "case-migration.ts",
        C::Core,
        D::Clinical,
        "dispatch_case",
        "cases",
        Some(("cases", "CASE")),
        20,
        O::Complete,
    ),
    spec(
        "treatment-plan-migration.ts",
        C::Core,
        D::Clinical,
        "dispatch_treatment_plan",
        "treatment_plans",
        Some(("treatment plans", "TREATMENT_PLAN")),
        18,
        O::Complete,
    ),
    spec(
        "scan-migration.ts",
        C::Specialized,
        D::Clinical,
        "dispatch_scan",
        "scans",
        Some(("scans", "SCAN")),
        25,
        O::LowSuccess,
    ),
    spec(
        "file-migration.ts",
        C::Specialized,
        D::Clinical,
        "dispatch_file",
        "files",
        Some(("files", "FILE")),
        35,
        O::Complete,
    ),
    spec(
        "clinical-note-migration.ts",
        C::Specialized,
        D::Clinical,
        "dispatch_note",
        "clinical_notes",
        Some(("clinical notes", "CLINICAL_NOTE")),
        22,
        O::Complete,
    ),
    spec(
        "prescription-migration.ts",
        C::Specialized,
        D::Clinical,
        "dispatch_prescription",
        "prescriptions",
        Some(("prescriptions", "PRESCRIPTION")),
        12,
        O::InProgress(0.6),
    ),
    spec(
        "lab-result-migration.ts",
        C::Specialized,
        D::Clinical,
        "dispatch_lab_result",
        "lab_results",
        Some(("lab results", "LAB_RESULT")),
        10,
        O::Complete,
    ),
    spec(
        "appointment-migration.ts",
        C::Specialized,
        D::Clinical,
        "dispatch_appointment",
        "appointments",
        Some(("appointments", "APPOINTMENT")),
        15,
        O::Complete,
    ),
    spec(
        "message-migration.ts",
        C::Communications,
        D::Communications,
        "dispatch_message",
        "messages",
        Some(("messages", "MESSAGE")),
        45,
        O::Complete,
    ),
    spec(
        "comment-migration.ts",
        C::Communications,
        D::Communications,
        "dispatch_comment",
        "comments",
        Some(("comments", "COMMENT")),
        30,
        O::Complete,
    ),
    spec(
        "notification-migration.ts",
        C::Communications,
        D::Communications,
        "dispatch_notification",
        "notifications",
        Some(("notifications", "NOTIFICATION")),
        25,
        O::Complete,
    ),
    spec(
        "email-template-migration.ts",
        C::Communications,
        D::Communications,
        "dispatch_email_template",
        "email_templates",
        Some(("email templates", "EMAIL_TEMPLATE")),
        1,
        O::Complete,
    ),
    spec(
        "sms-log-migration.ts",
        C::Communications,
        D::Communications,
        "dispatch_sms_log",
        "sms_logs",
        Some(("SMS logs", "SMS_LOG")),
        14,
        O::InProgress(0.35),
    ),
    spec(
        "chat-thread-migration.ts",
        C::Communications,
        D::Communications,
        "dispatch_chat_thread",
        "chat_threads",
        Some(("chat threads", "CHAT_THREAD")),
        8,
        O::Complete,
    ),
    spec(
        "announcement-migration.ts",
        C::Communications,
        D::Communications,
        "dispatch_announcement",
        "announcements",
        Some(("announcements", "ANNOUNCEMENT")),
        1,
        O::NotStarted,
    ),
    spec(
        "payment-migration.ts",
        C::Business,
        D::Business,
        "dispatch_payment",
        "payments",
        Some(("payments", "PAYMENT")),
        16,
        O::Complete,
    ),
    spec(
        "billing-migration.ts",
        C::Business,
        D::Business,
        "dispatch_billing",
        "invoices",
        Some(("invoices", "INVOICE")),
        14,
        O::Failed,
    ),
    spec(
        "offer-migration.ts",
        C::Business,
        D::Business,
        "dispatch_offer",
        "offers",
        Some(("offers", "OFFER")),
        6,
        O::Complete,
    ),
    spec(
        "product-migration.ts",
        C::Business,
        D::Business,
        "dispatch_product",
        "products",
        Some(("products", "PRODUCT")),
        2,
        O::Complete,
    ),
    spec(
        "price-list-migration.ts",
        C::Business,
        D::Business,
        "dispatch_price_list",
        "price_lists",
        Some(("price lists", "PRICE_LIST")),
        1,
        O::Complete,
    ),
    spec(
        "discount-migration.ts",
        C::Business,
        D::Business,
        "dispatch_discount",
        "discounts",
        Some(("discounts", "DISCOUNT")),
        2,
        O::Complete,
    ),
    spec(
        "contract-migration.ts",
        C::Business,
        D::Business,
        "dispatch_contract",
        "contracts",
        Some(("contracts", "CONTRACT")),
        3,
        O::InProgress(0.8),
    ),
    spec(
        "refund-migration.ts",
        C::Business,
        D::Business,
        "dispatch_refund",
        "refunds",
        Some(("refunds", "REFUND")),
        2,
        O::Complete,
    ),
    spec(
        "task-migration.ts",
        C::Specialized,
        D::Business,
        "dispatch_task",
        "tasks",
        Some(("tasks", "TASK")),
        12,
        O::Complete,
    ),
    spec(
        "shipment-migration.ts",
        C::Specialized,
        D::Business,
        "dispatch_shipment",
        "shipments",
        Some(("shipments", "SHIPMENT")),
        9,
        O::Complete,
    ),
    spec(
        "user-migration.ts",
        C::System,
        D::Technical,
        "auth_user",
        "users",
        Some(("users", "USER")),
        5,
        O::Complete,
    ),
    spec(
        "role-migration.ts",
        C::System,
        D::Technical,
        "auth_group",
        "roles",
        Some(("roles", "ROLE")),
        1,
        O::Complete,
    ),
    spec(
        "permission-migration.ts",
        C::System,
        D::Technical,
        "auth_permission",
        "permissions",
        Some(("permissions", "PERMISSION")),
        1,
        O::Complete,
    ),
    spec(
        "settings-migration.ts",
        C::System,
        D::Technical,
        "dispatch_setting",
        "settings",
        Some(("settings", "SETTING")),
        1,
        O::Complete,
    ),
    spec(
        "audit-log-migration.ts",
        C::System,
        D::Technical,
        "dispatch_audit_log",
        "audit_logs",
        Some(("audit logs", "AUDIT_LOG")),
        28,
        O::InProgress(0.5),
    ),
    spec(
        "feature-flag-migration.ts",
        C::System,
        D::Technical,
        "dispatch_feature_flag",
        "feature_flags",
        Some(("feature flags", "FEATURE_FLAG")),
        1,
        O::Complete,
    ),
    spec(
        "session-migration.ts",
        C::System,
        D::Technical,
        "dispatch_session",
        "sessions",
        Some(("sessions", "SESSION")),
        10,
        O::NotStarted,
    ),
    spec(
        "api-key-migration.ts",
        C::System,
        D::Technical,
        "dispatch_api_key",
        "api_keys",
        Some(("API keys", "API_KEY")),
        1,
        O::Complete,
    ),
    spec(
        "webhook-migration.ts",
        C::System,
        D::Technical,
        "dispatch_webhook",
        "webhooks",
        Some(("webhooks", "WEBHOOK")),
        1,
        O::Complete,
    ),
    spec(
        "fix-orphaned-orders.ts",
        C::CriticalFix,
        D::Clinical,
        "dispatch_instruction",
        "orders",
        None,
        0,
        O::Complete,
    ),
    spec(
        "fix-duplicate-patients.ts",
        C::CriticalFix,
        D::Clinical,
        "dispatch_patient",
        "patients",
        None,
        0,
        O::Complete,
    ),
    spec(
        "fix-missing-office-refs.ts",
        C::CriticalFix,
        D::Business,
        "dispatch_office",
        "offices",
        None,
        0,
        O::Complete,
    ),
    spec(
        "fix-message-encoding.ts",
        C::CriticalFix,
        D::Communications,
        "dispatch_message",
        "messages",
        None,
        0,
        O::Complete,
    ),
    spec(
        "fix-timezone-offsets.ts",
        C::CriticalFix,
        D::Technical,
        "dispatch_appointment",
        "appointments",
        None,
        0,
        O::InProgress(0.5),
    ),
];

/// The injected defects, as `expected_defects.json` records them.
#[derive(Debug, Default, Serialize)]
pub struct Defects {
    pub failed_scripts: Vec<String>,
    pub low_success_scripts: Vec<String>,
    pub success_rate_mismatch_scripts: Vec<String>,
    pub uncovered_tables: BTreeMap<String, u64>,
    /// Per entity: legacy ids in `source_ids/` with no mapping row (failed, skipped and not
    /// yet processed records, plus the injected drops).
    pub unmapped_ids: BTreeMap<String, u64>,
    /// Migrated records whose mapping row was dropped on purpose, per entity.
    pub dropped_mappings: BTreeMap<String, u64>,
    pub orphan_mappings: BTreeMap<String, u64>,
    pub duplicate_legacy_ids: BTreeMap<String, u64>,
    pub invalid_modern_ids: u64,
    pub unresolved_metric_script_refs: u64,
    pub invalid_log_enums: u64,
    pub invalid_json: u64,
    pub throughput_mismatches: u64,
    pub invalid_status_transitions: u64,
    pub status_final_mismatch_scripts: Vec<String>,
    pub target_row_drift: BTreeMap<String, i64>,
    pub unaccounted_scripts: Vec<String>,
    pub missing_on_disk_scripts: Vec<String>,
    /// Legacy tables excluded whole in migcov.yaml, with their rows.
    pub excluded_tables: BTreeMap<String, u64>,
    /// Scripts retried after a failed attempt, with the records the superseded attempt
    /// processed (all failed).
    pub retried_scripts: BTreeMap<String, u64>,
    /// Rows whose values differ between the legacy and target rows files, per
    /// `entity.column` of the `content:` declaration.
    pub value_mismatches: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub records: u64,
    pub defects: Defects,
}

/// Splits `total` into `parts` near-equal whole parts that add up exactly.
fn split(total: i64, parts: usize) -> Vec<i64> {
    let parts = parts.max(1) as i64;
    (0..parts)
        .map(|i| total / parts + i64::from(i < total % parts))
        .collect()
}

fn create(path: &Path) -> Result<BufWriter<File>, GenerateError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    Ok(BufWriter::new(File::create(path).map_err(io_err(path))?))
}

fn write_text(path: &Path, text: &str) -> Result<(), GenerateError> {
    let mut out = create(path)?;
    out.write_all(text.as_bytes()).map_err(io_err(path))?;
    out.flush().map_err(io_err(path))
}

const START_MS: i64 = 1_772_438_400_000; // 2026-03-02T08:00:00Z

/// The script whose first attempt fails and whose second run completes.
const RETRIED_SCRIPT: &str = "patient-migration.ts";

/// To the second, as the generated data has always been written (some of its offsets are
/// milliseconds, which the report would now show).
fn iso(ms: i64) -> String {
    crate::model::format_timestamp(ms - ms.rem_euclid(1000))
}

/// Mapping rows gathered before they are written as one Parquet row group: the dataset
/// of any size streams through in chunks of this many rows (about 200 MiB at any size;
/// chunks of 2^20 held 0.9 GiB).
const MAPPING_CHUNK: usize = 1 << 18;

/// What the mapping rows look like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// Whole-number legacy ids and short metadata: the shape of the first benchmarks.
    #[default]
    Narrow,
    /// As a real export has them: a UUID `id` on every row, text legacy ids (whole numbers
    /// written as text, and prefixed codes such as `MSG-0000001234` in the tables of
    /// [`TEXT_KEYS`]), upper-case UUIDs in the tables of [`UPPER_CASE_UUIDS`], and a JSON
    /// metadata object of about 200 bytes on every row.
    Realistic,
}

/// Entity types whose legacy ids are prefixed codes in the realistic shape.
const TEXT_KEYS: &[(&str, &str)] = &[
    ("MESSAGE", "MSG"),
    ("COMMENT", "CMT"),
    ("NOTIFICATION", "NTF"),
    ("SESSION", "SES"),
    ("PAYMENT", "PAY"),
];

/// Entity types whose modern ids are upper-case UUIDs in the realistic shape.
const UPPER_CASE_UUIDS: &[&str] = &["PATIENT", "INVOICE", "USER"];

/// The legacy id of row `n` of a table of `entity_type`, as the shape writes it.
fn legacy_key(shape: Shape, entity_type: &str, n: i64) -> String {
    match TEXT_KEYS.iter().find(|(t, _)| *t == entity_type) {
        Some((_, prefix)) if shape == Shape::Realistic => format!("{prefix}-{n:010}"),
        _ => n.to_string(),
    }
}

/// The mappings export, written in chunks as the entities are generated.
struct MappingSink {
    path: PathBuf,
    shape: Shape,
    writer: polars::io::parquet::write::BatchedWriter<BufWriter<File>>,
    ids: Vec<String>,
    types: Vec<String>,
    legacy: Vec<i64>,
    legacy_text: Vec<String>,
    modern: Vec<String>,
    batch: Vec<String>,
    at: Vec<String>,
    meta: Vec<String>,
}

impl MappingSink {
    fn create(path: PathBuf, shape: Shape) -> Result<MappingSink, GenerateError> {
        let mut fields = vec![
            Field::new("entity_type".into(), DataType::String),
            Field::new(
                "legacy_id".into(),
                match shape {
                    Shape::Narrow => DataType::Int64,
                    Shape::Realistic => DataType::String,
                },
            ),
            Field::new("modern_id".into(), DataType::String),
            Field::new("migration_batch".into(), DataType::String),
            Field::new("migrated_at".into(), DataType::String),
            Field::new("metadata".into(), DataType::String),
        ];
        if shape == Shape::Realistic {
            fields.insert(0, Field::new("id".into(), DataType::String));
        }
        let schema = Schema::from_iter(fields);
        let file = create(&path)?;
        let writer = ParquetWriter::new(file)
            .batched(&schema)
            .map_err(polars_err(&path))?;
        Ok(MappingSink {
            path,
            shape,
            writer,
            ids: Vec::new(),
            types: Vec::new(),
            legacy: Vec::new(),
            legacy_text: Vec::new(),
            modern: Vec::new(),
            batch: Vec::new(),
            at: Vec::new(),
            meta: Vec::new(),
        })
    }

    /// One mapping row; the realistic shape adds its `id`, writes the legacy id as text,
    /// upper-cases the UUIDs of some types and widens the metadata.
    #[allow(clippy::too_many_arguments)] // one argument per column
    fn push(
        &mut self,
        rng: &mut ChaCha8Rng,
        entity_type: &str,
        legacy: i64,
        mut modern: String,
        batch: String,
        at: String,
        meta: String,
    ) -> Result<(), GenerateError> {
        self.types.push(entity_type.to_string());
        match self.shape {
            Shape::Narrow => {
                self.legacy.push(legacy);
                self.meta.push(meta);
            }
            Shape::Realistic => {
                self.ids.push(uuid(rng));
                self.legacy_text
                    .push(legacy_key(self.shape, entity_type, legacy));
                if UPPER_CASE_UUIDS.contains(&entity_type) {
                    modern = modern.to_uppercase();
                }
                let checksum: u64 = rng.random();
                // One literal a line: a string continued with `\` hides its braces from
                // line-based tools.
                self.meta.push(format!(
                    concat!(
                        r#"{{"export":{meta},"source_schema":"legacy","attempt":1,"#,
                        r#""checksum":"{checksum:016x}","operator":"migration-runner","#,
                        r#""tags":["nightly","{batch}"]}}"#,
                    ),
                    meta = meta,
                    checksum = checksum,
                    batch = batch,
                ));
            }
        }
        self.modern.push(modern);
        self.batch.push(batch);
        self.at.push(at);
        if self.types.len() >= MAPPING_CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), GenerateError> {
        if self.types.is_empty() {
            return Ok(());
        }
        let legacy = match self.shape {
            Shape::Narrow => Column::new("legacy_id".into(), std::mem::take(&mut self.legacy)),
            Shape::Realistic => {
                Column::new("legacy_id".into(), std::mem::take(&mut self.legacy_text))
            }
        };
        let mut columns = vec![
            Column::new("entity_type".into(), std::mem::take(&mut self.types)),
            legacy,
            Column::new("modern_id".into(), std::mem::take(&mut self.modern)),
            Column::new("migration_batch".into(), std::mem::take(&mut self.batch)),
            Column::new("migrated_at".into(), std::mem::take(&mut self.at)),
            Column::new("metadata".into(), std::mem::take(&mut self.meta)),
        ];
        if self.shape == Shape::Realistic {
            columns.insert(0, Column::new("id".into(), std::mem::take(&mut self.ids)));
        }
        let frame = DataFrame::new_infer_height(columns).map_err(polars_err(&self.path))?;
        self.writer
            .write_batch(&frame)
            .map_err(polars_err(&self.path))
    }

    fn finish(mut self) -> Result<(), GenerateError> {
        self.flush()?;
        self.writer.finish().map_err(polars_err(&self.path))?;
        Ok(())
    }
}

/// What one script processed, failed and skipped, and where it ended.
struct Volumes {
    total: i64,
    processed: i64,
    failed: i64,
    skipped: i64,
    status: Status,
}

impl Volumes {
    fn migrated(&self) -> i64 {
        self.processed - self.failed - self.skipped
    }
}

/// The entity a script migrates: name, entity type, id.
type EntityRef = (&'static str, &'static str, Uuid);

/// The dataset being written: everything small is gathered as text and written at the
/// end; ids and mappings stream to disk as they are made.
struct Generator {
    out: PathBuf,
    rng: ChaCha8Rng,
    n: i64,
    defects: Defects,
    entity_yaml: String,
    metrics: String,
    logs: Vec<String>,
    source_inventory: String,
    target_inventory: String,
    manifests: BTreeMap<Category, String>,
    mappings: MappingSink,
    /// The offices' legacy ids, and each mapped one with its modern id: their rows files.
    office_ids: Vec<i64>,
    office_mappings: Vec<(i64, String)>,
    shape: Shape,
    base: i64,
    log_seq: u64,
    metric_seq: u64,
}

pub fn generate(out: &Path, records: u64, seed: u64) -> Result<Summary, GenerateError> {
    generate_shaped(out, records, seed, Shape::Narrow)
}

/// [`generate`], with mapping rows of the given shape.
pub fn generate_shaped(
    out: &Path,
    records: u64,
    seed: u64,
    shape: Shape,
) -> Result<Summary, GenerateError> {
    if records < 100 {
        return Err(GenerateError::TooSmall(records));
    }
    if out.exists()
        && std::fs::read_dir(out)
            .map_err(io_err(out))?
            .next()
            .is_some()
    {
        return Err(GenerateError::NotEmpty {
            path: out.to_path_buf(),
        });
    }
    write_settings(out)?;
    let mut generator = Generator {
        out: out.to_path_buf(),
        rng: ChaCha8Rng::seed_from_u64(seed),
        n: records as i64,
        defects: Defects::default(),
        entity_yaml: String::from("# DataEntity records: one per legacy table migrated.\n"),
        metrics: String::from("id,script_id,entity_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms,throughput_per_second,error_details,run_id\n"),
        logs: Vec::new(),
        source_inventory: String::from("table,row_count\n"),
        target_inventory: String::from("table,row_count\n"),
        manifests: BTreeMap::new(),
        mappings: MappingSink::create(
            out.join("mappings").join("legacy-mappings.parquet"),
            shape,
        )?,
        office_ids: Vec::new(),
        office_mappings: Vec::new(),
        shape,
        base: 1000,
        log_seq: 0,
        metric_seq: 0,
    };
    for (index, spec) in CATALOG.iter().enumerate() {
        generator.script(index, spec)?;
    }
    generator.extras();
    generator.finish(records)
}

fn write_settings(out: &Path) -> Result<(), GenerateError> {
    write_text(
        &out.join("migcov.yaml"),
        "# Report settings; every key is optional.\n\
         title: Dispatch to modern platform migration\n\
         scripts_dir: repo/migrations\n\
         thresholds:\n  high: 0.9\n  medium: 0.75\n\
         success_rate_tolerance: 0.005\n\
         # Legacy rows left out on purpose: neither migrated nor missing.\n\
         exclusions:\n\
         \x20 - table: dispatch_print_queue\n\
         \x20   reason: Print jobs are transient; the modern platform keeps none\n\
         \x20   approved_by: Data governance board\n\
         \x20   expires: 2027-12-31\n",
    )?;
    write_text(
        &out.join("domains.yaml"),
        "- name: CLINICAL\n  description: Patients, orders, cases, scans and everything a clinician relies on.\n  priority: CRITICAL\n\
         - name: BUSINESS\n  description: Offices, payments, billing, offers, tasks and shipments.\n  priority: HIGH\n\
         - name: COMMUNICATIONS\n  description: Messages, comments, notifications and their templates.\n  priority: MEDIUM\n\
         - name: TECHNICAL\n  description: Users, roles, settings, audit logs and other system data.\n  priority: LOW\n",
    )
}

fn uuid(rng: &mut ChaCha8Rng) -> String {
    Uuid::from_bytes(rng.random::<[u8; 16]>())
        .hyphenated()
        .to_string()
}

impl Generator {
    /// One catalogue entry: manifest, entity, executions and logs, ids and mappings.
    fn script(&mut self, index: usize, spec: &Spec) -> Result<(), GenerateError> {
        let volumes = self.volumes(spec);
        match spec.outcome {
            O::Failed => self.defects.failed_scripts.push(spec.script.into()),
            O::LowSuccess => self.defects.low_success_scripts.push(spec.script.into()),
            _ => {}
        }
        self.manifest(spec, &volumes);
        let entity = self.entity(index, spec, &volumes);
        self.executions(index, spec, &volumes, entity);
        if let Some(entity) = entity {
            self.source_ids(spec, volumes.total)?;
            self.entity_mappings(index, spec, &volumes, entity)?;
        }
        Ok(())
    }

    fn volumes(&mut self, spec: &Spec) -> Volumes {
        let total_weight: u32 = CATALOG.iter().map(|s| s.weight).sum();
        let n = self.n;
        let total = if spec.weight == 0 {
            0
        } else {
            (n * spec.weight as i64 / total_weight as i64).max(5)
        };
        // A fix script reworks a slice of its target table.
        let fix_volume = (n / 400).max(3);
        let (processed, failed, skipped) = match spec.outcome {
            _ if spec.entity.is_none() => {
                let p = if let O::InProgress(f) = spec.outcome {
                    (fix_volume as f64 * f).round() as i64
                } else {
                    fix_volume
                };
                (p, 0, 0)
            }
            O::Complete => {
                let fail = (total as f64 * self.rng.random_range(0.0..0.012)).round() as i64;
                let skip = (total as f64 * self.rng.random_range(0.0..0.004)).round() as i64;
                (total, fail, skip)
            }
            O::LowSuccess => (total, (total as f64 * 0.38).round() as i64, 0),
            O::InProgress(f) => {
                let p = (total as f64 * f).round() as i64;
                (p, (p as f64 * 0.01).round() as i64, 0)
            }
            O::Failed => {
                let p = (total as f64 * 0.45).round() as i64;
                (p, (p as f64 * 0.3).round() as i64, 0)
            }
            O::NotStarted => (0, 0, 0),
        };
        let status = match spec.outcome {
            O::Complete | O::LowSuccess => Status::Complete,
            O::InProgress(_) => Status::InProgress,
            O::NotStarted => Status::NotStarted,
            O::Failed => Status::Failed,
        };
        Volumes {
            total,
            processed,
            failed,
            skipped,
            status,
        }
    }

    /// The manifest. Two scripts state their success rate: one agreeing with the metrics,
    /// one (payments) claiming more than the metrics show.
    fn manifest(&mut self, spec: &Spec, v: &Volumes) {
        let declared = match spec.script {
            "office-migration.ts" if v.processed > 0 => {
                Some(format!("{:.4}", v.migrated() as f64 / v.processed as f64))
            }
            "payment-migration.ts" => {
                self.defects
                    .success_rate_mismatch_scripts
                    .push(spec.script.into());
                Some("0.999".to_string())
            }
            _ => None,
        };
        let text = self.manifests.entry(spec.category).or_default();
        text.push_str(&format!(
            "- name: {}\n  category: {}\n  data_domain: {}\n  source_table: {}\n  target_table: {}\n  status: {}\n",
            spec.script,
            spec.category.as_str().to_ascii_lowercase(),
            spec.domain,
            spec.source,
            spec.target,
            v.status
        ));
        if let Some(rate) = declared {
            text.push_str(&format!("  success_rate: {rate}\n"));
        }
    }

    /// The entity record and the two inventories' lines of its tables.
    fn entity(&mut self, index: usize, spec: &Spec, v: &Volumes) -> Option<EntityRef> {
        let (name, entity_type) = spec.entity?;
        let script_id = derive_id("script", spec.script);
        let entity_id = derive_id("entity", name);
        self.entity_yaml.push_str(&format!(
            "- name: {name}\n  domain: {}\n  legacy_table: {}\n  target_table: {}\n  total_records: {}\n  migrated_records: {}\n  failed_records: {}\n  migration_script_id: {}\n  entity_type: {entity_type}\n",
            spec.domain,
            spec.source,
            spec.target,
            v.total,
            v.migrated(),
            v.failed,
            // Half the entities name their script, half give its UUID: both must work.
            if index % 2 == 0 { spec.script.to_string() } else { script_id.to_string() },
        ));
        self.source_inventory
            .push_str(&format!("{},{}\n", spec.source, v.total));
        let drift = if spec.target == "orders" { 5 } else { 0 };
        if drift != 0 {
            self.defects
                .target_row_drift
                .insert(name.to_string(), drift);
        }
        self.target_inventory
            .push_str(&format!("{},{}\n", spec.target, v.migrated() + drift));
        Some((name, entity_type, entity_id))
    }

    fn next_log_id(&mut self) -> String {
        self.log_seq += 1;
        derive_id("log", &self.log_seq.to_string()).to_string()
    }

    fn next_metric_id(&mut self) -> String {
        self.metric_seq += 1;
        derive_id("metric", &self.metric_seq.to_string()).to_string()
    }

    /// Executions: batches whose counts add up exactly to the script's totals, with their
    /// log entries, after a failed first attempt for the retried script.
    fn executions(&mut self, index: usize, spec: &Spec, v: &Volumes, entity: Option<EntityRef>) {
        let batches = if v.processed == 0 {
            0
        } else {
            2 + self.rng.random_range(0..5usize)
        };
        let parts = (
            split(v.processed, batches),
            split(v.failed, batches),
            split(v.skipped, batches),
        );
        let rate_per_s = self.rng.random_range(400.0..4000.0);
        let mut clock = START_MS + index as i64 * 3_600_000 * 5;
        // One script failed on its first attempt and was run again to completion: its
        // final run supersedes the attempt (run_id run-1, then run-2).
        let run = (spec.script == RETRIED_SCRIPT && batches > 0).then_some("run-2");
        if run.is_some() {
            self.failed_attempt(spec, entity, parts.0[0], clock - 3_600_000, rate_per_s);
        }
        for b in 0..batches {
            let (p, f, s) = (parts.0[b], parts.1[b], parts.2[b]);
            let time_ms = ((p as f64 / rate_per_s) * 1000.0).round().max(1.0) as i64;
            self.batch_metric(index, spec, entity, (b, p, f, s), clock, time_ms, run);
            self.batch_logs(index, spec, (b, batches, p, f, s), clock, time_ms, run);
            clock += time_ms + 60_000;
        }
        if batches > 0 {
            self.final_logs(spec, v.status, clock, run);
        }
    }

    fn failed_attempt(
        &mut self,
        spec: &Spec,
        entity: Option<EntityRef>,
        p: i64,
        ms: i64,
        rate_per_s: f64,
    ) {
        let time_ms = ((p as f64 / rate_per_s) * 1000.0).round().max(1.0) as i64;
        let id = self.next_metric_id();
        self.metrics.push_str(&format!(
            "{id},{},{},{},{p},0,{p},0,{time_ms},{:.2},\"{{\"\"connection\"\": \"\"lost after {p} rows\"\"}}\",run-1\n",
            spec.script,
            entity.map(|(name, _, _)| name).unwrap_or_default(),
            iso(ms),
            p as f64 * 1000.0 / time_ms as f64,
        ));
        for (offset, level, message, status) in [
            (0, "INFO", "attempt 1 started", "IN_PROGRESS"),
            (
                time_ms,
                "ERROR",
                "attempt 1 failed: connection lost",
                "FAILED",
            ),
        ] {
            let id = self.next_log_id();
            self.logs.push(
                json!({
                    "id": id,
                    "script_id": spec.script,
                    "operation_type": "MIGRATE",
                    "timestamp": iso(ms + offset),
                    "level": level,
                    "message": message,
                    "context": {"status": status},
                    "user_id": "migrator",
                    "run_id": "run-1",
                })
                .to_string(),
            );
        }
        self.defects
            .retried_scripts
            .insert(spec.script.into(), p as u64);
    }

    #[allow(clippy::too_many_arguments)]
    fn batch_metric(
        &mut self,
        index: usize,
        spec: &Spec,
        entity: Option<EntityRef>,
        (b, p, f, s): (usize, i64, i64, i64),
        clock: i64,
        time_ms: i64,
        run: Option<&str>,
    ) {
        // One batch states three times its real throughput.
        let stated = if spec.script == "webhook-migration.ts" && b == 0 {
            self.defects.throughput_mismatches += 1;
            3.0
        } else {
            1.0
        };
        let throughput = format!("{:.2}", stated * p as f64 * 1000.0 / time_ms as f64);
        let script_ref = if index % 3 == 0 {
            derive_id("script", spec.script).to_string()
        } else {
            spec.script.to_string()
        };
        let entity_col = match entity {
            Some((name, _, _)) if index % 2 == 0 => name.to_string(),
            Some((_, _, id)) => id.to_string(),
            None => String::new(),
        };
        let errors = if spec.script == "doctor-migration.ts" && b == 0 {
            // Truncated JSON, as a crashed exporter writes it.
            self.defects.invalid_json += 1;
            "\"{\"\"validation\"\": \"".to_string()
        } else if f > 0 {
            format!("\"{{\"\"validation\"\": {f}, \"\"first_error\"\": \"\"constraint violated on {}\"\"}}\"", spec.target)
        } else {
            String::new()
        };
        let id = self.next_metric_id();
        self.metrics.push_str(&format!(
            "{id},{script_ref},{entity_col},{},{p},{},{f},{s},{time_ms},{throughput},{errors},{}\n",
            iso(clock),
            p - f - s,
            run.unwrap_or_default(),
        ));
    }

    fn log(
        &mut self,
        index: usize,
        spec: &Spec,
        (ms, level, message): (i64, &str, String),
        context: serde_json::Value,
        run: Option<&str>,
    ) {
        let id = self.next_log_id();
        let mut entry = json!({
            "id": id,
            "script_id": spec.script,
            "operation_type": "MIGRATE",
            "timestamp": iso(ms),
            "level": level,
            "message": message,
            "context": context,
            "user_id": if index % 4 == 0 { "ops-anna" } else { "migrator" },
        });
        if let Some(run) = run {
            entry["run_id"] = json!(run);
        }
        self.logs.push(entry.to_string());
    }

    fn batch_logs(
        &mut self,
        index: usize,
        spec: &Spec,
        (b, batches, p, f, s): (usize, usize, i64, i64, i64),
        clock: i64,
        time_ms: i64,
        run: Option<&str>,
    ) {
        let started = if b == 0 {
            json!({"status": "IN_PROGRESS", "batch": b + 1})
        } else {
            json!({"batch": b + 1})
        };
        let message = format!("batch {}/{batches} started", b + 1);
        self.log(index, spec, (clock, "INFO", message), started, run);
        if f > 0 {
            let message = format!("{f} records failed validation");
            let at = clock + time_ms / 2;
            self.log(
                index,
                spec,
                (at, "WARN", message),
                json!({"failed": f}),
                run,
            );
        }
        let message = format!(
            "batch {}/{batches} done: {} migrated, {f} failed, {s} skipped",
            b + 1,
            p - f - s
        );
        let context = json!({"batch": b + 1, "processed": p});
        self.log(
            index,
            spec,
            (clock + time_ms, "INFO", message),
            context,
            run,
        );
    }

    /// The entry that ends a script's run, and a hand-made FAILED after a finished run.
    fn final_logs(&mut self, spec: &Spec, status: Status, clock: i64, run: Option<&str>) {
        let (level, message, status) = match status {
            Status::Complete => ("INFO", "migration complete".to_string(), Some("COMPLETE")),
            Status::Failed => (
                "ERROR",
                format!("migration aborted: too many failures in {}", spec.target),
                Some("FAILED"),
            ),
            _ => ("INFO", "paused; will resume".to_string(), None),
        };
        let id = self.next_log_id();
        let mut entry = json!({
            "id": id,
            "script_id": spec.script,
            "operation_type": "MIGRATE",
            "timestamp": iso(clock),
            "level": level,
            "message": message,
            "context": status.map(|s| json!({"status": s})).unwrap_or(json!({})),
            "user_id": "migrator",
        });
        if let Some(run) = run {
            entry["run_id"] = json!(run);
        }
        self.logs.push(entry.to_string());
        if spec.script == "refund-migration.ts" {
            // Someone marked a finished migration FAILED in the log, not in the manifest.
            let id = self.next_log_id();
            self.logs.push(
                json!({
                    "id": id,
                    "script_id": spec.script,
                    "operation_type": "MIGRATE",
                    "timestamp": iso(clock + 60_000),
                    "level": "ERROR",
                    "message": "marked failed by hand",
                    "context": {"status": "FAILED"},
                    "user_id": "ops-anna",
                })
                .to_string(),
            );
            self.defects.invalid_status_transitions += 1;
            self.defects
                .status_final_mismatch_scripts
                .push(spec.script.into());
        }
    }

    /// `source_ids/<table>.csv`, streamed.
    fn source_ids(&mut self, spec: &Spec, total: i64) -> Result<(), GenerateError> {
        let path = self
            .out
            .join("source_ids")
            .join(format!("{}.csv", spec.source));
        let mut ids = create(&path)?;
        ids.write_all(b"id\n").map_err(io_err(&path))?;
        let entity_type = spec.entity.map_or("", |(_, t)| t);
        if spec.entity.is_some_and(|(name, _)| name == "offices") {
            self.office_ids = (self.base + 1..=self.base + total).collect();
        }
        for id in self.base + 1..=self.base + total {
            writeln!(ids, "{}", legacy_key(self.shape, entity_type, id)).map_err(io_err(&path))?;
        }
        ids.flush().map_err(io_err(&path))
    }

    /// One mapping row per migrated legacy id, with the injected defects: dropped rows
    /// (messages), duplicates (patients), invalid UUIDs (orders), orphans (offices).
    fn entity_mappings(
        &mut self,
        index: usize,
        spec: &Spec,
        v: &Volumes,
        (name, entity_type, _): EntityRef,
    ) -> Result<(), GenerateError> {
        let (n, base, migrated, total) = (self.n, self.base, v.migrated(), v.total);
        let drop_every = if name == "messages" && migrated > 0 {
            let dropped = (migrated / 200).max(3).min(migrated);
            self.defects
                .dropped_mappings
                .insert(name.into(), dropped as u64);
            Some((migrated / dropped, dropped))
        } else {
            None
        };
        let bad = if name == "orders" { 1 + n / 200_000 } else { 0 };
        let dup = if name == "patients" {
            2 + n / 100_000
        } else {
            0
        };
        let mut first_ids: Vec<i64> = Vec::new();
        let mut mapped = 0i64;
        let mut dropped_so_far = 0;
        let batch_size = (migrated / 4).max(1);
        for k in 0..migrated {
            if let Some((every, dropped)) = drop_every {
                if k % every == 0 && dropped_so_far < dropped {
                    dropped_so_far += 1;
                    continue;
                }
            }
            let legacy = base + 1 + k;
            let mut modern = uuid(&mut self.rng);
            if mapped < bad {
                modern = format!("not-a-uuid-{}", mapped + 1);
            }
            if (first_ids.len() as i64) < dup {
                first_ids.push(legacy);
            }
            if name == "offices" {
                self.office_mappings.push((legacy, modern.clone()));
            }
            self.mappings.push(
                &mut self.rng,
                entity_type,
                legacy,
                modern,
                format!("{}-{:03}", spec.target, k / batch_size + 1),
                iso(START_MS + index as i64 * 18_000_000 + k),
                format!("{{\"source_table\":\"{}\"}}", spec.source),
            )?;
            mapped += 1;
        }
        if dup > 0 && mapped > 0 {
            let dup = dup.min(mapped);
            for (d, legacy) in first_ids.iter().take(dup as usize).enumerate() {
                let modern = uuid(&mut self.rng);
                self.mappings.push(
                    &mut self.rng,
                    entity_type,
                    *legacy,
                    modern,
                    format!("{}-rerun", spec.target),
                    iso(START_MS + 90_000_000 + d as i64),
                    "{\"rerun\":true}".to_string(),
                )?;
            }
            self.defects
                .duplicate_legacy_ids
                .insert(name.into(), dup as u64);
        }
        if bad > 0 && mapped > 0 {
            self.defects.invalid_modern_ids = bad.min(mapped) as u64;
        }
        if name == "offices" {
            let orphans = 2 + n / 50_000;
            for o in 0..orphans {
                let modern = uuid(&mut self.rng);
                self.mappings.push(
                    &mut self.rng,
                    entity_type,
                    base + total + 1 + o,
                    modern,
                    format!("{}-manual", spec.target),
                    iso(START_MS + 95_000_000 + o),
                    "{\"manual\":true}".to_string(),
                )?;
            }
            self.defects
                .orphan_mappings
                .insert(name.into(), orphans as u64);
        }
        self.defects
            .unmapped_ids
            .insert(name.into(), (total - mapped) as u64);
        self.base += total + 1000;
        Ok(())
    }

    /// An uncovered legacy table, an excluded one, a metrics row naming no script, an
    /// unknown log level.
    fn extras(&mut self) {
        let n = self.n;
        let uncovered_rows = (n / 100).max(10);
        self.source_inventory
            .push_str(&format!("dispatch_fax_archive,{uncovered_rows}\n"));
        self.defects
            .uncovered_tables
            .insert("dispatch_fax_archive".into(), uncovered_rows as u64);
        // A legacy table left out by decision (see migcov.yaml's exclusions).
        let excluded_rows = (n / 200).max(5);
        self.source_inventory
            .push_str(&format!("dispatch_print_queue,{excluded_rows}\n"));
        self.defects
            .excluded_tables
            .insert("dispatch_print_queue".into(), excluded_rows as u64);
        self.metrics.push_str(&format!(
            "{},ghost-migration.ts,,{},10,10,0,0,20,500.00,,\n",
            derive_id("metric", "ghost"),
            iso(START_MS)
        ));
        self.defects.unresolved_metric_script_refs = 1;
        self.logs.push(
            json!({
                "id": derive_id("log", "verbose"),
                "script_id": "user-migration.ts",
                "operation_type": "VALIDATE",
                "timestamp": iso(START_MS + 200_000_000),
                "level": "VERBOSE",
                "message": "row counts compared",
                "context": {},
                "user_id": "migrator",
            })
            .to_string(),
        );
        self.defects.invalid_log_enums = 1;
    }

    /// Writes what was gathered, the scripts repository and `expected_defects.json`.
    fn finish(self, records: u64) -> Result<Summary, GenerateError> {
        let out = self.out;
        for (category, text) in &self.manifests {
            write_text(
                &out.join("scripts")
                    .join(format!("{}.yaml", category.slug())),
                text,
            )?;
        }
        write_text(&out.join("entities.yaml"), &self.entity_yaml)?;
        write_text(&out.join("metrics").join("metrics.csv"), &self.metrics)?;
        let mut log_text = self.logs.join("\n");
        log_text.push('\n');
        write_text(&out.join("logs").join("execution-log.ndjson"), &log_text)?;
        write_text(
            &out.join("inventory").join("source.csv"),
            &self.source_inventory,
        )?;
        write_text(
            &out.join("inventory").join("target.csv"),
            &self.target_inventory,
        )?;
        self.mappings.finish()?;
        let mut defects = self.defects;
        write_office_rows(&out, &self.office_ids, &self.office_mappings, &mut defects)?;
        write_repo(&out, &mut defects)?;
        let summary = Summary { records, defects };
        let mut text = serde_json::to_string_pretty(&summary).map_err(|e| GenerateError::Io {
            path: out.join("expected_defects.json"),
            message: e.to_string(),
        })?;
        text.push('\n');
        write_text(&out.join("expected_defects.json"), &text)?;
        Ok(summary)
    }
}

/// The scripts repository: every script but one on disk, plus one with no manifest.
/// The offices' legacy and target rows and the `content:` declaration that compares them:
/// every value equal but three (the second legacy row's name truncated, the third's budget
/// rounded away, the fourth's missing phone written as empty text) and one difference a
/// normalisation allows (the fifth's city in capitals).
fn write_office_rows(
    out: &Path,
    ids: &[i64],
    mappings: &[(i64, String)],
    defects: &mut Defects,
) -> Result<(), GenerateError> {
    if ids.len() < 5 {
        return Ok(());
    }
    let cities = ["Bern", "Basel", "Luzern", "Lugano", "Chur", "Sion"];
    let mut legacy = String::from("id,name,city,budget,phone\n");
    let mut target = String::from("id,name,city,budget,phone\n");
    let modern: BTreeMap<i64, &String> = mappings.iter().map(|(l, m)| (*l, m)).collect();
    for (position, &id) in ids.iter().enumerate() {
        let name = format!("Office {id}");
        let city = cities[(id % 6) as usize];
        let budget = 1000 + (id % 7) * 125;
        let phone = format!("031 555 {:04}", id % 10_000);
        let (mut l_name, mut t_name) = (name.clone(), name);
        let (mut l_city, mut t_city) = (city.to_string(), city.to_string());
        let (mut l_budget, mut t_budget) = (format!("{budget}.00"), budget.to_string());
        let (mut l_phone, mut t_phone) = (phone.clone(), phone);
        match position {
            1 => (l_name, t_name) = ("Zürich Nord".into(), "Zürich".into()),
            2 => (l_budget, t_budget) = ("1200.555".into(), "1200.55".into()),
            3 => (l_phone, t_phone) = (String::new(), "\"\"".into()),
            4 => (l_city, t_city) = ("GENÈVE".into(), "Genève".into()),
            _ => {}
        }
        legacy.push_str(&format!("{id},{l_name},{l_city},{l_budget},{l_phone}\n"));
        if let Some(modern) = modern.get(&id) {
            target.push_str(&format!(
                "{modern},{t_name},{t_city},{t_budget},{t_phone}\n"
            ));
        }
    }
    write_text(&out.join("rows/legacy/dispatch_office.csv"), &legacy)?;
    write_text(&out.join("rows/target/offices.csv"), &target)?;
    let config = out.join("migcov.yaml");
    let mut text = std::fs::read_to_string(&config).map_err(io_err(&config))?;
    text.push_str(
        "# Arrived intact: the offices' values compared, legacy row against target row\n\
         # (rows/legacy/dispatch_office.csv, rows/target/offices.csv). No other entity declares\n\
         # its content, so theirs show as values not checked.\n\
         content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    columns:\n\
         \x20     name: name\n      city: {target: city, case: lower}\n\
         \x20     budget: {target: budget, scale: 2}\n      phone: phone\n",
    );
    write_text(&config, &text)?;
    for column in ["offices.budget", "offices.name", "offices.phone"] {
        defects.value_mismatches.insert(column.into(), 1);
    }
    Ok(())
}

fn write_repo(out: &Path, defects: &mut Defects) -> Result<(), GenerateError> {
    let missing = "feature-flag-migration.ts";
    for spec in CATALOG.iter().filter(|s| s.script != missing) {
        write_text(
            &out.join("repo/migrations").join(spec.script),
            &format!(
                "// {}: migrates {} into {}.\nexport default async function migrate() {{}}\n",
                spec.script, spec.source, spec.target
            ),
        )?;
    }
    write_text(
        &out.join("repo/migrations/legacy-cleanup.ts"),
        "// A one-off clean-up nobody wrote a manifest for.\nexport default async function migrate() {}\n",
    )?;
    defects.missing_on_disk_scripts.push(missing.into());
    defects.unaccounted_scripts.push("legacy-cleanup.ts".into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_adds_up_exactly() {
        assert_eq!(split(10, 3), vec![4, 3, 3]);
        assert_eq!(split(2, 4), vec![1, 1, 0, 0]);
        assert_eq!(split(0, 2).iter().sum::<i64>(), 0);
    }

    #[test]
    fn catalog_covers_every_domain_and_category_with_unique_names() {
        assert!(CATALOG.len() >= 40);
        for domain in Domain::ALL {
            assert!(CATALOG.iter().any(|s| s.domain == *domain), "{domain}");
        }
        for category in Category::ALL {
            assert!(
                CATALOG.iter().any(|s| s.category == *category),
                "{category}"
            );
        }
        let names: std::collections::BTreeSet<_> = CATALOG.iter().map(|s| s.script).collect();
        assert_eq!(names.len(), CATALOG.len());
    }
}
