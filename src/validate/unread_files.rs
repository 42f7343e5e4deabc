//! The load family: files in the data folder that were not read — outside the input
//! contract (`load.file.unknown`), or not regular files at all (`load.file.skipped`) — and
//! manifests read as no record at all (`load.manifest.empty`).

use super::shared::{file_sample, list_finding};
use super::{Field, Finding, RuleId, Sample, Subject};
use crate::load::{InputKind, Inputs};

crate::validate::registry::declare_rules! {
    LOAD_FILE_SKIPPED = "load.file.skipped", Load, Warning,
        "Every entry in the data folder is a regular file migcov can read",
        "Symbolic links are never followed (one could lead outside the data folder, or loop), and FIFOs, sockets and \
         devices are never opened (one could block the run). Each such entry is listed here instead of being skipped \
         in silence: copy the file it points to into the data folder if it is an input. Example: \
         `metrics/latest.csv -> /mnt/exports/metrics.csv`.";
    LOAD_MANIFEST_EMPTY = "load.manifest.empty", Load, Warning,
        "Every manifest holds at least one record",
        "A domains, scripts or entities manifest that is empty, or holds only comments, or an entities CSV that holds \
         only its header, is read as no records: a truncated export would otherwise drop its scripts or entities from \
         the report in silence. Write the records, or remove the file. Example: a 0-byte `scripts/office.yaml`.";
    LOAD_FILE_UNKNOWN = "load.file.unknown", Load, Warning,
        "Every file in the data folder is a known input",
        "Files outside the input contract (see docs/input-contract.md) are not read. A misplaced export (metrics/ spelled \
         metric/, an .xlsx file) would otherwise be silently ignored.";
}

pub fn check(inputs: &Inputs, findings: &mut Vec<Finding>) {
    let unknown: Vec<Sample> = inputs
        .files
        .iter()
        .filter(|f| f.kind == InputKind::Unknown)
        .map(|f| file_sample(f.relative.display().to_string(), Vec::new()))
        .collect();
    let skipped: Vec<Sample> = inputs
        .files
        .iter()
        .filter_map(|f| match f.kind {
            InputKind::Skipped(why) => Some(file_sample(
                f.relative.display().to_string(),
                vec![Field {
                    name: "why".into(),
                    value: why.into(),
                }],
            )),
            _ => None,
        })
        .collect();
    findings.extend(list_finding(
        RuleId::LoadFileSkipped,
        Subject::new("file", &inputs.data_dir_name),
        skipped,
        |n| format!("{n} entries in the data folder are not regular files and were not read"),
    ));
    let empty: Vec<Sample> = inputs
        .files
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                InputKind::Domains
                    | InputKind::Scripts
                    | InputKind::Entities
                    | InputKind::EntitiesTable(_)
            ) && inputs.file_rows.get(&f.relative) == Some(&0)
        })
        .map(|f| file_sample(f.relative.display().to_string(), Vec::new()))
        .collect();
    findings.extend(list_finding(
        RuleId::LoadManifestEmpty,
        Subject::new("file", &inputs.data_dir_name),
        empty,
        |n| {
            format!(
                "{n} {} no record (empty, comments only, or a header only)",
                crate::model::noun(n, "manifest holds", "manifests hold")
            )
        },
    ));
    findings.extend(list_finding(
        RuleId::LoadFileUnknown,
        Subject::new("file", &inputs.data_dir_name),
        unknown,
        |n| {
            format!(
                "{n} {} in the data folder {} not part of the input contract and {} not read",
                crate::model::noun(n, "file", "files"),
                crate::model::noun(n, "is", "are"),
                crate::model::noun(n, "was", "were")
            )
        },
    ));
}
