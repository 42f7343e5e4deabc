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

fn iso(ms: i64) -> String {
    crate::model::format_timestamp(ms)
}

pub fn generate(out: &Path, records: u64, seed: u64) -> Result<Summary, GenerateError> {
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
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut defects = Defects::default();
    let n = records as i64;
    let total_weight: u32 = CATALOG.iter().map(|s| s.weight).sum();

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
    )?;

    let mut entity_yaml = String::from("# DataEntity records: one per legacy table migrated.\n");
    let mut metrics = String::from("id,script_id,entity_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms,throughput_per_second,error_details,run_id\n");
    let mut logs: Vec<String> = Vec::new();
    let mut source_inventory = String::from("table,row_count\n");
    let mut target_inventory = String::from("table,row_count\n");
    let mut manifests: BTreeMap<Category, String> = BTreeMap::new();
    let (mut map_type, mut map_legacy, mut map_modern, mut map_batch, mut map_at, mut map_meta) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut base: i64 = 1000;
    let mut log_seq = 0u64;
    let mut metric_seq = 0u64;

    for (index, spec) in CATALOG.iter().enumerate() {
        let script_id = derive_id("script", spec.script);
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
                let fail = (total as f64 * rng.random_range(0.0..0.012)).round() as i64;
                let skip = (total as f64 * rng.random_range(0.0..0.004)).round() as i64;
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
        let migrated = processed - failed - skipped;
        let status = match spec.outcome {
            O::Complete | O::LowSuccess => Status::Complete,
            O::InProgress(_) => Status::InProgress,
            O::NotStarted => Status::NotStarted,
            O::Failed => Status::Failed,
        };
        match spec.outcome {
            O::Failed => defects.failed_scripts.push(spec.script.into()),
            O::LowSuccess => defects.low_success_scripts.push(spec.script.into()),
            _ => {}
        }

        // Manifest. Two scripts state their success rate: one agreeing with the metrics,
        // one (payments) claiming more than the metrics show.
        let declared = match spec.script {
            "office-migration.ts" if processed > 0 => {
                Some(format!("{:.4}", migrated as f64 / processed as f64))
            }
            "payment-migration.ts" => {
                defects
                    .success_rate_mismatch_scripts
                    .push(spec.script.into());
                Some("0.999".to_string())
            }
            _ => None,
        };
        let text = manifests.entry(spec.category).or_default();
        text.push_str(&format!(
            "- name: {}\n  category: {}\n  data_domain: {}\n  source_table: {}\n  target_table: {}\n  status: {}\n",
            spec.script,
            spec.category.as_str().to_ascii_lowercase(),
            spec.domain,
            spec.source,
            spec.target,
            status
        ));
        if let Some(rate) = declared {
            text.push_str(&format!("  success_rate: {rate}\n"));
        }

        let entity_ref = spec.entity.map(|(name, entity_type)| {
            let entity_id = derive_id("entity", name);
            entity_yaml.push_str(&format!(
                "- name: {name}\n  domain: {}\n  legacy_table: {}\n  target_table: {}\n  total_records: {total}\n  migrated_records: {migrated}\n  failed_records: {failed}\n  migration_script_id: {}\n  entity_type: {entity_type}\n",
                spec.domain,
                spec.source,
                spec.target,
                // Half the entities name their script, half give its UUID: both must work.
                if index % 2 == 0 { spec.script.to_string() } else { script_id.to_string() },
            ));
            source_inventory.push_str(&format!("{},{total}\n", spec.source));
            let drift = if spec.target == "orders" { 5 } else { 0 };
            if drift != 0 {
                defects.target_row_drift.insert(name.to_string(), drift);
            }
            target_inventory.push_str(&format!("{},{}\n", spec.target, migrated + drift));
            (name, entity_type, entity_id)
        });

        // Executions: batches whose counts add up exactly to the script's totals.
        let batches = if processed == 0 {
            0
        } else {
            2 + rng.random_range(0..5usize)
        };
        let (p_parts, f_parts, s_parts) = (
            split(processed, batches),
            split(failed, batches),
            split(skipped, batches),
        );
        let rate_per_s = rng.random_range(400.0..4000.0);
        let mut clock = START_MS + index as i64 * 3_600_000 * 5;
        // One script failed on its first attempt and was run again to completion: its
        // final run supersedes the attempt (run_id run-1, then run-2).
        let run = (spec.script == RETRIED_SCRIPT && batches > 0).then_some("run-2");
        if run.is_some() {
            let (p, ms) = (p_parts[0], clock - 3_600_000);
            let time_ms = ((p as f64 / rate_per_s) * 1000.0).round().max(1.0) as i64;
            metric_seq += 1;
            metrics.push_str(&format!(
                "{},{},{},{},{p},0,{p},0,{time_ms},{:.2},\"{{\"\"connection\"\": \"\"lost after {p} rows\"\"}}\",run-1\n",
                derive_id("metric", &metric_seq.to_string()),
                spec.script,
                entity_ref.map(|(name, _, _)| name).unwrap_or_default(),
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
                log_seq += 1;
                logs.push(
                    json!({
                        "id": derive_id("log", &log_seq.to_string()),
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
            defects.retried_scripts.insert(spec.script.into(), p as u64);
        }
        for b in 0..batches {
            let (p, f, s) = (p_parts[b], f_parts[b], s_parts[b]);
            let time_ms = ((p as f64 / rate_per_s) * 1000.0).round().max(1.0) as i64;
            // One batch states three times its real throughput.
            let stated = if spec.script == "webhook-migration.ts" && b == 0 {
                defects.throughput_mismatches += 1;
                3.0
            } else {
                1.0
            };
            let throughput = format!("{:.2}", stated * p as f64 * 1000.0 / time_ms as f64);
            metric_seq += 1;
            let script_ref = if index % 3 == 0 {
                script_id.to_string()
            } else {
                spec.script.to_string()
            };
            let entity_col = match entity_ref {
                Some((name, _, id)) => {
                    if index % 2 == 0 {
                        name.to_string()
                    } else {
                        id.to_string()
                    }
                }
                None => String::new(),
            };
            let errors = if spec.script == "doctor-migration.ts" && b == 0 {
                // Truncated JSON, as a crashed exporter writes it.
                defects.invalid_json += 1;
                "\"{\"\"validation\"\": \"".to_string()
            } else if f > 0 {
                format!("\"{{\"\"validation\"\": {f}, \"\"first_error\"\": \"\"constraint violated on {}\"\"}}\"", spec.target)
            } else {
                String::new()
            };
            metrics.push_str(&format!(
                "{},{script_ref},{entity_col},{},{p},{},{f},{s},{time_ms},{throughput},{errors},{}\n",
                derive_id("metric", &metric_seq.to_string()),
                iso(clock),
                p - f - s,
                run.unwrap_or_default(),
            ));
            let mut log = |ms: i64, level: &str, message: String, context: serde_json::Value| {
                log_seq += 1;
                let mut entry = json!({
                    "id": derive_id("log", &log_seq.to_string()),
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
                logs.push(entry.to_string());
            };
            let started = if b == 0 {
                json!({"status": "IN_PROGRESS", "batch": b + 1})
            } else {
                json!({"batch": b + 1})
            };
            log(
                clock,
                "INFO",
                format!("batch {}/{batches} started", b + 1),
                started,
            );
            if f > 0 {
                log(
                    clock + time_ms / 2,
                    "WARN",
                    format!("{f} records failed validation"),
                    json!({"failed": f}),
                );
            }
            log(
                clock + time_ms,
                "INFO",
                format!(
                    "batch {}/{batches} done: {} migrated, {f} failed, {s} skipped",
                    b + 1,
                    p - f - s
                ),
                json!({"batch": b + 1, "processed": p}),
            );
            clock += time_ms + 60_000;
        }
        if batches > 0 {
            log_seq += 1;
            let (level, message, status) = match status {
                Status::Complete => ("INFO", "migration complete".to_string(), Some("COMPLETE")),
                Status::Failed => (
                    "ERROR",
                    format!("migration aborted: too many failures in {}", spec.target),
                    Some("FAILED"),
                ),
                _ => ("INFO", "paused; will resume".to_string(), None),
            };
            let mut entry = json!({
                "id": derive_id("log", &log_seq.to_string()),
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
            logs.push(entry.to_string());
            if spec.script == "refund-migration.ts" {
                // Someone marked a finished migration FAILED in the log, not in the manifest.
                log_seq += 1;
                logs.push(
                    json!({
                        "id": derive_id("log", &log_seq.to_string()),
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
                defects.invalid_status_transitions += 1;
                defects
                    .status_final_mismatch_scripts
                    .push(spec.script.into());
            }
        }

        // Mappings: one row per migrated legacy id, with the injected defects.
        if let Some((name, entity_type, _)) = entity_ref {
            let source_path = out.join("source_ids").join(format!("{}.csv", spec.source));
            let mut ids = create(&source_path)?;
            ids.write_all(b"id\n").map_err(io_err(&source_path))?;
            for id in base + 1..=base + total {
                writeln!(ids, "{id}").map_err(io_err(&source_path))?;
            }
            ids.flush().map_err(io_err(&source_path))?;

            let drop_every = if name == "messages" && migrated > 0 {
                let dropped = (migrated / 200).max(3).min(migrated);
                defects.dropped_mappings.insert(name.into(), dropped as u64);
                Some((migrated / dropped, dropped))
            } else {
                None
            };
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
                map_type.push(entity_type.to_string());
                map_legacy.push(legacy);
                map_modern.push(
                    Uuid::from_bytes(rng.random::<[u8; 16]>())
                        .hyphenated()
                        .to_string(),
                );
                map_batch.push(format!("{}-{:03}", spec.target, k / batch_size + 1));
                map_at.push(iso(START_MS + index as i64 * 18_000_000 + k));
                map_meta.push(format!("{{\"source_table\":\"{}\"}}", spec.source));
                mapped += 1;
            }
            // Uniqueness, UUID and orphan defects, each on its own entity.
            if name == "patients" && mapped > 0 {
                let dup = (2 + n / 100_000).min(mapped);
                let start = map_legacy.len() - mapped as usize;
                for d in 0..dup as usize {
                    map_type.push(entity_type.to_string());
                    map_legacy.push(map_legacy[start + d]);
                    map_modern.push(
                        Uuid::from_bytes(rng.random::<[u8; 16]>())
                            .hyphenated()
                            .to_string(),
                    );
                    map_batch.push(format!("{}-rerun", spec.target));
                    map_at.push(iso(START_MS + 90_000_000 + d as i64));
                    map_meta.push("{\"rerun\":true}".to_string());
                }
                defects.duplicate_legacy_ids.insert(name.into(), dup as u64);
            }
            if name == "orders" && mapped > 0 {
                let bad = (1 + n / 200_000).min(mapped) as usize;
                let start = map_modern.len() - mapped as usize;
                for (i, slot) in map_modern[start..start + bad].iter_mut().enumerate() {
                    *slot = format!("not-a-uuid-{}", i + 1);
                }
                defects.invalid_modern_ids = bad as u64;
            }
            if name == "offices" {
                let orphans = 2 + n / 50_000;
                for o in 0..orphans {
                    map_type.push(entity_type.to_string());
                    map_legacy.push(base + total + 1 + o);
                    map_modern.push(
                        Uuid::from_bytes(rng.random::<[u8; 16]>())
                            .hyphenated()
                            .to_string(),
                    );
                    map_batch.push(format!("{}-manual", spec.target));
                    map_at.push(iso(START_MS + 95_000_000 + o));
                    map_meta.push("{\"manual\":true}".to_string());
                }
                defects.orphan_mappings.insert(name.into(), orphans as u64);
            }
            let mapped_in_source = mapped;
            defects
                .unmapped_ids
                .insert(name.into(), (total - mapped_in_source) as u64);
            base += total + 1000;
        }
    }

    // An uncovered legacy table, a metrics row naming no script, an unknown log level.
    let uncovered_rows = (n / 100).max(10);
    source_inventory.push_str(&format!("dispatch_fax_archive,{uncovered_rows}\n"));
    defects
        .uncovered_tables
        .insert("dispatch_fax_archive".into(), uncovered_rows as u64);
    // A legacy table left out by decision (see migcov.yaml's exclusions).
    let excluded_rows = (n / 200).max(5);
    source_inventory.push_str(&format!("dispatch_print_queue,{excluded_rows}\n"));
    defects
        .excluded_tables
        .insert("dispatch_print_queue".into(), excluded_rows as u64);
    metrics.push_str(&format!(
        "{},ghost-migration.ts,,{},10,10,0,0,20,500.00,,\n",
        derive_id("metric", "ghost"),
        iso(START_MS)
    ));
    defects.unresolved_metric_script_refs = 1;
    logs.push(
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
    defects.invalid_log_enums = 1;

    for (category, text) in &manifests {
        write_text(
            &out.join("scripts")
                .join(format!("{}.yaml", category.slug())),
            text,
        )?;
    }
    write_text(&out.join("entities.yaml"), &entity_yaml)?;
    write_text(&out.join("metrics").join("metrics.csv"), &metrics)?;
    let mut log_text = logs.join("\n");
    log_text.push('\n');
    write_text(&out.join("logs").join("execution-log.ndjson"), &log_text)?;
    write_text(&out.join("inventory").join("source.csv"), &source_inventory)?;
    write_text(&out.join("inventory").join("target.csv"), &target_inventory)?;

    let mapping_path = out.join("mappings").join("legacy-mappings.parquet");
    let mut frame = df!(
        "entity_type" => map_type,
        "legacy_id" => map_legacy,
        "modern_id" => map_modern,
        "migration_batch" => map_batch,
        "migrated_at" => map_at,
        "metadata" => map_meta,
    )
    .map_err(polars_err(&mapping_path))?;
    let file = create(&mapping_path)?;
    ParquetWriter::new(file)
        .finish(&mut frame)
        .map_err(polars_err(&mapping_path))?;

    // The scripts repository: every script but one on disk, plus one with no manifest.
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

    let summary = Summary { records, defects };
    let mut text = serde_json::to_string_pretty(&summary).map_err(|e| GenerateError::Io {
        path: out.join("expected_defects.json"),
        message: e.to_string(),
    })?;
    text.push('\n');
    write_text(&out.join("expected_defects.json"), &text)?;
    Ok(summary)
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
