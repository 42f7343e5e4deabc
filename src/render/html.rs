//! The pages: tera with the embedded templates, a user's `--templates` folder overriding
//! them by name, and one context per page.
//!
//! Templates get numbers, not strings, and format them with the filters registered here
//! (`pct`, `num`, `rate_per_s`, `records_per_s`, `bar_width`), so every figure is formatted one way on every
//! page. Autoescaping is on for every template: data never reaches a page unescaped.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;
use tera::{Context, Tera, Value};

use super::{assets, charts, noun, pages, RenderError};
use crate::model::{Category, Status};
use crate::output::Site;
use crate::report::{Archived, Count, HistoryPoint, Report, ScriptView, EXECUTIONS_PER_PAGE};
use crate::validate::{Family, Finding, RULES};

/// Formats a whole number with thousands separators: 1234567 → "1,234,567".
pub fn format_count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A fraction as a percentage with one decimal: 0.8754 → "87.5%"; null → "n/a". A rate
/// that is not exactly 1 (or 0) never reads "100.0%" (or "0.0%"): more decimals are shown
/// until it does not, so 0.99996 reads "99.996%".
pub fn format_percent(value: Option<f64>) -> String {
    format_percent_beside(value, &[])
}

/// [`format_percent`], and never rounded onto or across one of `bounds` (the colour
/// bands' and the gate's rates): 0.949999995 under a 95% minimum read "95.0%" marked low
/// (found by an independent check); it reads "94.999999%"... until the text is on the
/// side of each bound the value is.
pub fn format_percent_beside(value: Option<f64>, bounds: &[f64]) -> String {
    let Some(v) = value else {
        return "n/a".to_string();
    };
    let percent = v * 100.0;
    for decimals in 1..=6 {
        let text = format!("{percent:.decimals$}");
        let shown = text.parse::<f64>().unwrap_or(percent);
        let rounded_to_edge = (shown == 100.0 && v != 1.0) || (shown == 0.0 && v != 0.0);
        let crosses = bounds
            .iter()
            .any(|b| (percent >= b * 100.0) != (shown >= b * 100.0));
        if !rounded_to_edge && !crosses {
            return format!("{text}%");
        }
    }
    // A hair under a bound: its first six decimals, cut rather than rounded.
    let crosses = |shown: f64| {
        bounds
            .iter()
            .any(|b| (percent >= b * 100.0) != (shown >= b * 100.0))
    };
    let cut = (percent * 1e6).floor() / 1e6;
    if crosses((percent * 1e6).round() / 1e6) && cut > 0.0 && cut < 100.0 && !crosses(cut) {
        return format!("{cut:.6}%");
    }
    if v > 0.5 {
        "<100%".to_string()
    } else {
        ">0%".to_string()
    }
}

/// A ledger term's source, as the pages name it.
fn filter_source(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let source: crate::measure::ledger::Source = serde_json::from_value(value.clone())
        .map_err(|e| tera::Error::msg(format!("not a ledger source: {e}")))?;
    Ok(Value::String(source.label().to_string()))
}

fn filter_pct(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(format_percent(value.as_f64())))
}

/// `pct` for one report's pages: no rate reads as on the other side of its colour bands'
/// or its gate's rates ([`format_percent_beside`]).
fn pct_beside(report: &Report) -> impl tera::Filter + 'static {
    let bounds = rate_bounds(report);
    move |value: &Value, _: &HashMap<String, Value>| -> tera::Result<Value> {
        Ok(Value::String(format_percent_beside(
            value.as_f64(),
            &bounds,
        )))
    }
}

/// The rates a report's figures are judged against (its colour bands' and its gate's), for
/// [`format_percent_beside`]: pages, badges, the summary and the terminal line say a rate
/// alike (a badge read "95.0%" beside a page's "94.99999%": found by a review).
pub fn rate_bounds(report: &Report) -> Vec<f64> {
    use crate::validate::gate::ThresholdValue;
    let mut bounds = vec![report.thresholds.high, report.thresholds.medium];
    for threshold in &report.verdict.thresholds {
        match &threshold.value {
            ThresholdValue::Rate(rate) => bounds.push(*rate),
            ThresholdValue::Domains(crate::model::config::MinCoverage::All(rate)) => {
                bounds.push(*rate)
            }
            ThresholdValue::Domains(crate::model::config::MinCoverage::PerDomain(rates)) => {
                bounds.extend(rates.values())
            }
            ThresholdValue::Count(_) => {}
        }
    }
    bounds
}

fn filter_num(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            format_count(n.as_i64().unwrap_or(i64::MAX))
        }
        Value::Number(n) => format!("{:.1}", n.as_f64().unwrap_or(0.0)),
        Value::Null => "n/a".to_string(),
        other => other.to_string(),
    };
    Ok(Value::String(text))
}

fn filter_rate_per_s(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(match value.as_f64() {
        Some(v) => rate_text(v),
        None => "n/a".to_string(),
    }))
}

/// A rate per second: whole with thousands separators, one decimal under 10 (1 record in
/// 3 s was "0/s": found by an independent check), never 0 for a rate that is not.
fn rate_text(v: f64) -> String {
    if v != 0.0 && v.abs() < 9.95 {
        return match format!("{v:.1}").as_str() {
            "0.0" => "< 0.1/s".to_string(),
            "-0.0" => "> -0.1/s".to_string(),
            text => format!("{}/s", text.strip_suffix(".0").unwrap_or(text)),
        };
    }
    format!("{}/s", format_count(v.round() as i64))
}

/// An execution's records per second, worked out as its chart's are (processed over
/// time, whether or not the row states a throughput; the table showed the stated one
/// alone, n/a beside a chart that drew a value): `null` without time.
fn filter_records_per_s(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let field = |name: &str| value.get(name).and_then(Value::as_i64);
    Ok(
        match (field("records_processed"), field("execution_time_ms")) {
            (Some(processed), Some(time)) if time > 0 => {
                serde_json::Number::from_f64(processed as f64 * 1000.0 / time as f64)
                    .map_or(Value::Null, Value::Number)
            }
            _ => Value::Null,
        },
    )
}

/// A value from the data as it can be told apart from others on a page: as it is, or
/// quoted with its invisible characters escaped (`"a\u{a0}"`, `"e\u{301}"`, `" a"`,
/// `"NULL"`) where it holds any (white space other than one space between words, a control
/// character, a combining mark) or reads as the missing value (NULL), which looked alike.
pub fn visible(text: &str) -> String {
    let odd = |c: char| {
        c.is_control()
            || (c.is_whitespace() && c != ' ')
            || unicode_normalization::char::is_combining_mark(c)
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
    };
    let ambiguous = text.starts_with(' ')
        || text.ends_with(' ')
        || text.contains("  ")
        || text.chars().any(odd)
        || text.eq_ignore_ascii_case("null");
    match ambiguous {
        true => format!("{text:?}"),
        false => text.to_string(),
    }
}

fn filter_visible(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(match value.as_str() {
        Some(text) => visible(text),
        None => value.to_string(),
    }))
}

/// A signed whole number: 5 → "+5", -3 → "−3".
fn filter_signed(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let n = value.as_i64().unwrap_or(0);
    let sign = if n > 0 {
        "+"
    } else if n < 0 {
        "−"
    } else {
        "±"
    };
    Ok(Value::String(format!("{sign}{}", format_count(n.abs()))))
}

/// A signed fraction as a percentage with two decimals: -0.0074 → "−0.74%".
fn filter_signed_pct(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let v = value.as_f64().unwrap_or(0.0) * 100.0;
    Ok(Value::String(format!("{}%", signed_points(v, 2))))
}

/// A signed difference of two fractions in percentage points, as `diff.md` writes it:
/// 0.40 → 0.60 is "+20.00 pp" (a "+20.00%" read as a relative change).
fn filter_signed_pp(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let v = value.as_f64().unwrap_or(0.0) * 100.0;
    Ok(Value::String(format!("{} pp", signed_points(v, 2))))
}

/// A signed number with `min` decimals, or as many more (up to six) as a change that is
/// not zero needs to read as one: `+0.001`, never `+0.00`; `±0.00` for none.
pub fn signed_points(v: f64, min: usize) -> String {
    let sign = if v > 0.0 {
        "+"
    } else if v < 0.0 {
        "−"
    } else {
        "±"
    };
    format!("{sign}{:.*}", change_decimals(v, min), v.abs())
}

/// How many decimals a change `v` needs to read as one: `min`, or more (up to six) where
/// `min` would show a change that is not zero as `0.0`.
pub fn change_decimals(v: f64, min: usize) -> usize {
    (min..=6.max(min))
        .find(|&d| v == 0.0 || format!("{:.d$}", v.abs()).parse::<f64>() != Ok(0.0))
        .unwrap_or(6.max(min))
}

/// Width of a meter bar in percent, clamped to 0–100.
fn filter_bar_width(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let width = value.as_f64().unwrap_or(0.0).clamp(0.0, 1.0) * 100.0;
    Ok(Value::String(format!("{width:.1}")))
}

/// The template engine: user templates first, built-ins only where the user has no file of
/// that name.
pub fn engine(user_dir: Option<&Path>) -> Result<(Tera, BTreeMap<String, String>), RenderError> {
    let mut user: BTreeMap<String, String> = BTreeMap::new();
    if let Some(dir) = user_dir {
        if !dir.is_dir() {
            return Err(RenderError::Templates {
                path: dir.to_path_buf(),
                message: "templates folder not found".into(),
            });
        }
        let walk_error = |e: walkdir::Error| RenderError::Templates {
            path: dir.to_path_buf(),
            message: e.to_string(),
        };
        for found in crate::walk::files(dir, walk_error) {
            let (path, relative) = found?;
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let text = std::fs::read_to_string(&path).map_err(|e| RenderError::Templates {
                path: path.clone(),
                message: e.to_string(),
            })?;
            user.insert(name, text);
        }
    }
    let mut sources: Vec<(String, String)> = user
        .iter()
        .filter(|(name, _)| name.ends_with(".html"))
        .map(|(n, t)| (n.clone(), t.clone()))
        .collect();
    let taken: BTreeSet<String> = sources.iter().map(|(n, _)| n.clone()).collect();
    sources.extend(
        assets::TEMPLATES
            .iter()
            .filter(|(name, _)| !taken.contains(*name))
            .map(|(n, t)| (n.to_string(), t.to_string())),
    );
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html"]);
    tera.set_escape_fn(escape_html);
    tera.add_raw_templates(sources)
        .map_err(|e| RenderError::Template {
            name: "templates".into(),
            message: error_chain(&e),
        })?;
    tera.register_filter("pct", filter_pct);
    tera.register_filter("num", filter_num);
    tera.register_filter("rate_per_s", filter_rate_per_s);
    tera.register_filter("records_per_s", filter_records_per_s);
    tera.register_filter("bar_width", filter_bar_width);
    tera.register_filter("signed", filter_signed);
    tera.register_filter("signed_pct", filter_signed_pct);
    tera.register_filter("signed_pp", filter_signed_pp);
    tera.register_filter("source", filter_source);
    tera.register_filter("visible", filter_visible);
    let overrides = user
        .into_iter()
        .filter(|(name, _)| !name.ends_with(".html"))
        .collect();
    Ok((tera, overrides))
}

/// Tera's HTML escape, and the marks that reorder text (a right-to-left override makes
/// `gpj.exe` read `exe.jpg`; isolates) written as their escapes: from names in the data
/// they reached every page as they were (found by an independent check).
fn escape_html(text: &str) -> String {
    tera::escape_html(&super::escaped_where(text, super::reorders))
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Renders `template` with `page` merged into the shared context.
fn page(
    tera: &Tera,
    template: &str,
    base: &Context,
    root: &str,
    nav: &str,
    page: impl Serialize,
) -> Result<String, RenderError> {
    let mut context = base.clone();
    context.insert("root", root);
    context.insert("nav", nav);
    context.extend(
        Context::from_serialize(page).map_err(|e| RenderError::Template {
            name: template.into(),
            message: error_chain(&e),
        })?,
    );
    tera.render(template, &context)
        .map_err(|e| RenderError::Template {
            name: template.into(),
            message: error_chain(&e),
        })
}

/// Renders pages into the site and, for `--dump-context`, each page's context as JSON into
/// a second site, so a template author sees exactly what a template receives.
struct Pages<'a> {
    tera: &'a Tera,
    base: &'a Context,
    site: &'a mut Site,
    contexts: Option<&'a mut Site>,
}

impl Pages<'_> {
    fn add(
        &mut self,
        path: impl AsRef<Path>,
        template: &str,
        root: &str,
        nav: &str,
        context: impl Serialize,
    ) -> Result<(), RenderError> {
        let path = path.as_ref();
        let value = serde_json::to_value(&context).map_err(|e| RenderError::Encode {
            what: format!("context of {}", path.display()),
            message: e.to_string(),
        })?;
        let html = page(self.tera, template, self.base, root, nav, &value)?;
        if let Some(contexts) = self.contexts.as_deref_mut() {
            let mut dumped = self.base.clone();
            dumped.insert("root", root);
            dumped.insert("nav", nav);
            let mut all = dumped.into_json();
            if let (Some(all), Some(own)) = (all.as_object_mut(), value.as_object()) {
                all.extend(own.clone());
            }
            let mut json = serde_json::to_vec_pretty(&all).map_err(|e| RenderError::Encode {
                what: format!("context of {}", path.display()),
                message: e.to_string(),
            })?;
            json.push(b'\n');
            contexts.add(path.with_extension("json"), json)?;
        }
        // Inline SVG makes every page XML as much as HTML: no forbidden character passes.
        self.site
            .add(path, super::sanitize::xml_bytes(html.into_bytes()))?;
        Ok(())
    }
}

/// The rule table with each rule's result in this run.
fn rule_rows(report: &Report) -> Vec<pages::RuleRow> {
    RULES
        .iter()
        .map(|rule| {
            let count = report.rule_counts.get(&rule.code);
            pages::RuleRow {
                id: rule.id,
                family: rule.family.as_str(),
                severity: report
                    .verdict
                    .severity
                    .as_ref()
                    .and_then(|set| set.get(rule.id))
                    .map_or(rule.severity.as_str(), |level| level.as_str()),
                summary: rule.summary,
                docs: rule.docs,
                findings: count.map_or(0, |c| c.findings),
                violations: count.map_or(0, |c| c.violations),
            }
        })
        .collect()
}

/// The findings of one family.
fn of_family(report: &Report, family: Family) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.rule.rule().family == family)
        .collect()
}

/// The reconciliation table's columns: the checks' labels.
fn check_labels(report: &Report) -> Vec<&str> {
    report
        .reconciliation
        .first()
        .map(|row| row.checks.iter().map(|c| c.label.as_ref()).collect())
        .unwrap_or_default()
}

/// `validate/`: the rule index, a page per failing rule, missing data and reconciliation.
fn validation_pages(report: &Report, pages: &mut Pages) -> Result<(), RenderError> {
    let rules = rule_rows(report);
    pages.add(
        "validate/index.html",
        "findings.html",
        "../",
        "validate",
        pages::Findings {
            rules: &rules,
            finding_counts: &report.finding_counts,
            verdict: &report.verdict,
            missing_records: report.missing_records,
        },
    )?;
    for rule in rules.iter().filter(|r| r.findings > 0) {
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.rule == rule.id)
            .collect();
        let links = page_links(findings.len(), FINDINGS_PER_PAGE, |i| match i {
            0 => format!("{}.html", rule.id),
            _ => format!("{}-{}.html", rule.id, i + 1),
        });
        for link in &links {
            pages.add(
                format!("validate/{}", link.href),
                "rule.html",
                "../",
                "validate",
                pages::Rule {
                    rule,
                    findings: link.of(&findings).to_vec(),
                    violations: rule.violations,
                    page: link,
                    pages: &links,
                },
            )?;
        }
    }
    let missing = of_family(report, Family::Missing);
    let tables = &report.missing_tables;
    let links = paged(tables.len(), MISSING_TABLES_PER_PAGE, "missing");
    for link in &links {
        pages.add(
            format!("validate/{}", link.href),
            "missing.html",
            "../",
            "validate",
            pages::Missing {
                findings: link.leading(&missing, FINDINGS_PER_PAGE).to_vec(),
                findings_total: missing.len(),
                finding_rules: missing
                    .iter()
                    .map(|f| f.rule.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                tables: link.of(tables),
                total: tables.len(),
                page: link,
                pages: &links,
                missing_records: report.missing_records,
                has_source_ids: report.has_source_ids,
            },
        )?;
    }
    let entities = &report.content.entities;
    let links = paged(entities.len(), CONTENT_ENTITIES_PER_PAGE, "content");
    for link in &links {
        pages.add(
            format!("validate/{}", link.href),
            "content.html",
            "../",
            "validate",
            pages::Content {
                content: pages::ContentHead {
                    totals: &report.content.totals,
                    not_checked: &report.content.not_checked,
                },
                entities: link.of(entities),
                total: entities.len(),
                page: link,
                pages: &links,
                chart: match link.number {
                    1 => content_chart(entities.iter(), true),
                    _ => None,
                },
            },
        )?;
    }
    // One page per compared entity, named by its id (a UUID, never a name from the data).
    for table in &report.content.entities {
        pages.add(
            format!("validate/content/{}.html", table.entity_id),
            "content_entity.html",
            "../../",
            "validate",
            pages::ContentEntity {
                table,
                chart: content_chart(std::iter::once(table), false),
            },
        )?;
    }
    let rows = &report.reconciliation;
    let links = paged(rows.len(), RECONCILED_ENTITIES_PER_PAGE, "reconcile");
    for link in &links {
        pages.add(
            format!("validate/{}", link.href),
            "reconcile.html",
            "../",
            "validate",
            pages::Reconcile {
                rows: link.of(rows),
                total: rows.len(),
                page: link,
                pages: &links,
                labels: check_labels(report),
                chart: match link.number {
                    1 => reconcile_chart(report),
                    _ => None,
                },
                tolerance: report.reconcile_tolerance,
            },
        )?;
    }
    Ok(())
}

/// Rows whose values differ, per compared column of `tables` (at most 24 columns).
fn content_chart<'a>(
    tables: impl Iterator<Item = &'a crate::measure::content::ContentTable>,
    with_entity: bool,
) -> Option<String> {
    let bars: Vec<(String, f64, plotters::style::RGBColor)> = tables
        .flat_map(|t| {
            t.columns.iter().map(move |c| {
                let name = match with_entity {
                    true => format!("{}.{}", t.entity, c.target),
                    false => c.target.clone(),
                };
                (name, c.differing as f64, charts::RED)
            })
        })
        .take(24)
        .collect();
    if bars.iter().all(|b| b.1 == 0.0) {
        return None;
    }
    let desc = bars
        .iter()
        .map(|(name, n, _)| format!("{name} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let max = bars.iter().map(|b| b.1).fold(1.0, f64::max);
    Some(charts::bars(
        "Rows that differ per column",
        &desc,
        &bars,
        max * 1.1,
        false,
    ))
}

/// Per disagreeing entity, its largest relative delta (at most 24 entities).
fn reconcile_chart(report: &Report) -> Option<String> {
    let deltas: Vec<(String, f64, plotters::style::RGBColor)> = report
        .reconcile_deltas
        .iter()
        .take(24)
        .map(|(entity, worst)| {
            let colour = if *worst < 0.0 {
                charts::RED
            } else {
                charts::AMBER
            };
            (entity.clone(), *worst, colour)
        })
        .collect();
    (!deltas.is_empty()).then(|| {
        let desc = deltas
            .iter()
            .map(|(name, d, _)| format!("{name} {:+.2}%", d * 100.0))
            .collect::<Vec<_>>()
            .join(", ");
        charts::deltas("Reconciliation deltas", &desc, &deltas)
    })
}

/// The domains' coverage as bars.
fn domain_chart(report: &Report) -> String {
    let bars: Vec<(String, f64, _)> = report
        .domains
        .iter()
        .map(|d| {
            (
                d.name.to_string(),
                d.coverage_percentage.unwrap_or(0.0),
                charts::band_colour(d.band),
            )
        })
        .collect();
    let desc = report
        .domains
        .iter()
        .map(|d| {
            let rate = format_percent_beside(d.coverage_percentage, &rate_bounds(report));
            format!("{} {rate}", d.name)
        })
        .collect::<Vec<_>>()
        .join(", ");
    charts::bars("Coverage by domain", &desc, &bars, 1.0, true)
}

/// Counts (scripts by status or category) as bars.
fn count_chart<T: Copy>(title: &str, counts: &[Count<T>], name: fn(T) -> &'static str) -> String {
    let max = counts.iter().map(|c| c.count).max().unwrap_or(0) as f64;
    let desc = counts
        .iter()
        .map(|c| format!("{} {}", name(c.key).replace('_', " "), c.count))
        .collect::<Vec<_>>()
        .join(", ");
    let bars: Vec<_> = counts
        .iter()
        .map(|c| (name(c.key).replace('_', " "), c.count as f64, charts::BLUE))
        .collect();
    charts::bars(title, &desc, &bars, max.max(1.0) * 1.1, false)
}

/// The index page: the headline, its charts and, on the live site, the history.
fn index_page(
    report: &Report,
    archived: Option<&Archived>,
    pages: &mut Pages,
) -> Result<(), RenderError> {
    let mut index_charts = pages::Charts::new();
    index_charts.insert("domains", domain_chart(report));
    index_charts.insert(
        "status",
        count_chart("Scripts by status", &report.by_status, Status::as_str),
    );
    index_charts.insert(
        "category",
        count_chart("Scripts by category", &report.by_category, Category::as_str),
    );
    let history = archived.map(|a| a.history.as_slice()).unwrap_or_default();
    let history = if history.len() > 1 { history } else { &[] };
    if !history.is_empty() {
        history_charts(history, &mut index_charts);
    }
    let ledger = report.ledger.as_ref();
    pages.add(
        "index.html",
        "index.html",
        "",
        "summary",
        pages::Index {
            summary: &report.summary,
            coverage: report.coverage(),
            summary_band: report.summary_band,
            success_band: report.success_band,
            attempts_success_rate: report.attempts_success_rate,
            domains: &report.domains,
            ledger: ledger.map(|l| &l.totals),
            ledger_band: ledger.map(|l| l.band),
            no_domain: ledger.and_then(|l| l.by_domain.iter().find(|d| d.domain.is_none())),
            declared: &report.declared,
            unlinked: &report.unlinked,
            exclusions: report.exclusions.len(),
            by_status: &report.by_status,
            by_category: &report.by_category,
            finding_counts: &report.finding_counts,
            verdict: &report.verdict,
            thresholds: &report.thresholds,
            content: &report.content.totals,
            charts: index_charts,
            history,
            archive: archived.is_some(),
        },
    )
}

/// The ledger and the exclusions with the waived findings.
fn ledger_pages(report: &Report, pages: &mut Pages) -> Result<(), RenderError> {
    let rows = report.ledger.as_ref().map_or(&[][..], |l| &l.rows[..]);
    let links = page_links(rows.len(), LEDGER_TABLES_PER_PAGE, |i| match i {
        0 => "index.html".into(),
        _ => format!("tables-{}.html", i + 1),
    });
    for link in &links {
        pages.add(
            format!("ledger/{}", link.href),
            "ledger.html",
            "../",
            "ledger",
            pages::Ledger {
                ledger: report.ledger.as_ref().map(pages::LedgerHead::of),
                rows: link.of(rows),
                page: link,
                pages: &links,
                exclusions: report.exclusions.len(),
            },
        )?;
    }
    let exclusions = &report.exclusions;
    let waivers: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.waiver.is_some())
        .collect();
    let links = paged(exclusions.len(), EXCLUSIONS_PER_PAGE, "exclusions");
    for link in &links {
        pages.add(
            format!("ledger/{}", link.href),
            "exclusions.html",
            "../",
            "ledger",
            pages::Exclusions {
                exclusions: link.of(exclusions),
                total: exclusions.len(),
                page: link,
                pages: &links,
                waivers: link.leading(&waivers, FINDINGS_PER_PAGE).to_vec(),
                waivers_total: waivers.len(),
                has_ledger: report.ledger.is_some(),
            },
        )?;
    }
    Ok(())
}

/// A script's charts: throughput and outcomes per execution, or per bin of executions
/// when there are more than the charts can show apart.
fn script_charts(script: &ScriptView) -> pages::Charts {
    let mut out = pages::Charts::new();
    if script.executions.is_empty() {
        return out;
    }
    let n = script.executions.len();
    if !script.bins.is_empty() {
        return binned_charts(script);
    }
    out.insert(
        "throughput",
        charts::line(
            "Throughput per execution",
            &format!(
                "{n} {}; records per second, listed in the executions table",
                noun(n as u64, "execution", "executions")
            ),
            &script.throughput,
            charts::BLUE,
        ),
    );
    let series = |f: fn(&crate::measure::Execution) -> i64| -> Vec<f64> {
        script.executions.iter().map(|x| f(x) as f64).collect()
    };
    out.insert(
        "outcomes",
        outcomes_chart(
            "Records per execution",
            &format!(
                "{n} {}; successful, failed and skipped records, listed in the executions table",
                noun(n as u64, "execution", "executions")
            ),
            [
                series(|x| x.records_successful),
                series(|x| x.records_failed),
                series(|x| x.records_skipped),
            ],
            charts::Executions::Each,
        ),
    );
    out
}

/// The charts of a long series, drawn from its bins (listed in the bins table).
fn binned_charts(script: &ScriptView) -> pages::Charts {
    let bins = &script.bins;
    let firsts: Vec<u64> = bins.iter().map(|b| b.first).collect();
    let about = format!(
        "{} executions in {} bins of {} consecutive executions, listed in the bins table",
        script.executions.len(),
        bins.len(),
        bins[0].last - bins[0].first + 1
    );
    let mut out = pages::Charts::new();
    out.insert(
        "throughput",
        charts::ranges(
            "Throughput per bin of executions",
            &format!("{about}; records per second: lowest to highest, and the median"),
            &bins
                .iter()
                .map(|b| (b.throughput_min, b.throughput_median, b.throughput_max))
                .collect::<Vec<_>>(),
            &firsts,
            charts::BLUE,
        ),
    );
    let series = |f: fn(&crate::report::ExecutionBin) -> i64| -> Vec<f64> {
        bins.iter().map(|b| f(b) as f64).collect()
    };
    out.insert(
        "outcomes",
        outcomes_chart(
            "Records per bin of executions",
            &format!("{about}; successful, failed and skipped records summed"),
            [
                series(|b| b.successful),
                series(|b| b.failed),
                series(|b| b.skipped),
            ],
            charts::Executions::Bins(&firsts),
        ),
    );
    out
}

/// Successful, failed and skipped records stacked in their colours along `axis`.
fn outcomes_chart(
    title: &str,
    desc: &str,
    [successful, failed, skipped]: [Vec<f64>; 3],
    axis: charts::Executions,
) -> String {
    charts::stacked(
        title,
        desc,
        &[
            ("successful", charts::GREEN, successful),
            ("failed", charts::RED, failed),
            ("skipped", charts::GREY, skipped),
        ],
        axis,
    )
}

/// The pages listing a script's executions, [`EXECUTIONS_PER_PAGE`] each: the first is the
/// script's own page, the others `scripts/<id>/executions-<n>.html`.
fn execution_pages(script: &ScriptView) -> Vec<pages::PageLink> {
    page_links(script.executions.len(), EXECUTIONS_PER_PAGE, |i| match i {
        0 => format!("{}.html", script.id),
        _ => format!("{}/executions-{}.html", script.id, i + 1),
    })
}

/// The pages of a list of `n` items, `per_page` each (one page for an empty list); `href`
/// names the i-th (from 0).
fn page_links(n: usize, per_page: usize, href: impl Fn(usize) -> String) -> Vec<pages::PageLink> {
    (0..n.div_ceil(per_page).max(1))
        .map(|i| pages::PageLink {
            number: i + 1,
            first: i * per_page + 1,
            last: ((i + 1) * per_page).min(n),
            href: href(i),
        })
        .collect()
}

/// How many findings one rule page lists; `api/validate/<family>.json` holds every one.
const FINDINGS_PER_PAGE: usize = 200;

/// How many legacy tables one ledger page lists; `api/ledger.json` holds every one.
const LEDGER_TABLES_PER_PAGE: usize = 500;

/// How many legacy tables one missing-data page lists (`api/validate/missing.json` holds
/// every one), how many entities one reconciliation page and one content page list, and
/// how many exclusions one page lists: each page stays under 1 MB however many there are.
const MISSING_TABLES_PER_PAGE: usize = 500;
const RECONCILED_ENTITIES_PER_PAGE: usize = 300;
const CONTENT_ENTITIES_PER_PAGE: usize = 100;
const EXCLUSIONS_PER_PAGE: usize = 500;

/// The pages of a list of `n` items in one folder: `<stem>.html`, then `<stem>-2.html`...
fn paged(n: usize, per_page: usize, stem: &str) -> Vec<pages::PageLink> {
    page_links(n, per_page, |i| match i {
        0 => format!("{stem}.html"),
        _ => format!("{stem}-{}.html", i + 1),
    })
}

/// A script's page, its further execution pages and its executions as CSV.
fn script_pages(
    script: &ScriptView,
    findings: Vec<&Finding>,
    pages: &mut Pages,
) -> Result<(), RenderError> {
    let links = execution_pages(script);
    let csv = format!("{}/executions.csv", script.id);
    let slice = |link: &pages::PageLink| link.of(&script.executions);
    pages.add(
        format!("scripts/{}.html", script.id),
        "script.html",
        "../",
        "scripts",
        pages::Script {
            script,
            charts: script_charts(script),
            findings,
            executions: slice(&links[0]),
            page: &links[0],
            pages: &links,
            csv: &csv,
        },
    )?;
    for link in &links[1..] {
        pages.add(
            format!("scripts/{}", link.href),
            "executions.html",
            "../../",
            "scripts",
            pages::Executions {
                script,
                executions: slice(link),
                page: link,
                pages: &links,
                csv: "executions.csv",
            },
        )?;
    }
    if !script.executions.is_empty() {
        pages.site.add(
            format!("scripts/{csv}"),
            executions_csv(&script.executions)?,
        )?;
    }
    Ok(())
}

/// Every execution of a script as CSV. A text that a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, tab or carriage return first) is written with a `'` before it.
fn executions_csv(executions: &[crate::measure::Execution]) -> Result<Vec<u8>, RenderError> {
    use crate::measure::Execution;
    use polars::prelude::*;
    fn text(value: &str) -> String {
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{value}")
        } else {
            value.to_string()
        }
    }
    /// A column of the CSV: each execution's `value`.
    fn column<T>(name: &str, executions: &[Execution], value: impl Fn(&Execution) -> T) -> Column
    where
        Series: NamedFrom<Vec<T>, [T]>,
    {
        Column::new(
            name.into(),
            executions.iter().map(value).collect::<Vec<_>>(),
        )
    }
    let encode_error = |e: PolarsError| RenderError::Encode {
        what: "executions CSV".into(),
        message: e.to_string(),
    };
    let mut frame = DataFrame::new_infer_height(vec![
        Column::new(
            "number".into(),
            (1..=executions.len() as i64).collect::<Vec<_>>(),
        ),
        column("execution_date", executions, |x| x.execution_date.clone()),
        column("records_processed", executions, |x| x.records_processed),
        column("records_successful", executions, |x| x.records_successful),
        column("records_failed", executions, |x| x.records_failed),
        column("records_skipped", executions, |x| x.records_skipped),
        column("execution_time_ms", executions, |x| x.execution_time_ms),
        column("throughput_per_second", executions, |x| {
            x.throughput_per_second
        }),
        column("run_id", executions, |x| x.run_id.as_deref().map(text)),
        column("final_run", executions, |x| x.final_run),
        column("file", executions, |x| text(&x.file)),
        column("row", executions, |x| x.row),
    ])
    .map_err(encode_error)?;
    let mut bytes = Vec::new();
    CsvWriter::new(&mut bytes)
        .include_header(true)
        .finish(&mut frame)
        .map_err(encode_error)?;
    Ok(bytes)
}

/// The domain, script and entity pages.
fn catalogue_pages(report: &Report, pages: &mut Pages) -> Result<(), RenderError> {
    for domain in &report.domains {
        let entities: Vec<&crate::report::EntityView> = report
            .entities
            .iter()
            .filter(|e| e.domain == Some(domain.name))
            .collect();
        let links = paged(entities.len(), INDEX_PER_PAGE, &domain.slug);
        for link in &links {
            pages.add(
                format!("domains/{}", link.href),
                "domain.html",
                "../",
                "domains",
                pages::Domain {
                    domain,
                    entities: link.of(&entities).to_vec(),
                    total: entities.len(),
                    page: link,
                    pages: &links,
                },
            )?;
        }
    }
    let links = index_pages(report.scripts.len());
    index(pages, "scripts", &links, |page| pages::Scripts {
        scripts: page.of(&report.scripts),
        total: report.scripts.len(),
        page,
        pages: &links,
    })?;
    // Each script's findings, gathered once (sought for every script, N² with N scripts).
    let mut by_subject: std::collections::HashMap<uuid::Uuid, Vec<&Finding>> = Default::default();
    for f in &report.findings {
        if let Some(id) = f.subject.id {
            by_subject.entry(id).or_default().push(f);
        }
    }
    for script in &report.scripts {
        let findings = by_subject.get(&script.id).cloned().unwrap_or_default();
        script_pages(script, findings, pages)?;
    }
    let links = index_pages(report.entities.len());
    index(pages, "entities", &links, |page| pages::Entities {
        entities: page.of(&report.entities),
        total: report.entities.len(),
        page,
        pages: &links,
    })
}

/// The scripts or the entities index (`section/index.html`, `page-2.html`, ... of the
/// template `section.html`), one page per link of [`index_pages`].
fn index<'l, V: Serialize>(
    pages: &mut Pages,
    section: &str,
    links: &'l [pages::PageLink],
    view: impl Fn(&'l pages::PageLink) -> V,
) -> Result<(), RenderError> {
    for link in links {
        pages.add(
            format!("{section}/{}", link.href),
            &format!("{section}.html"),
            "../",
            section,
            view(link),
        )?;
    }
    Ok(())
}

/// How many scripts or entities one index page lists; `api/` holds every one.
const INDEX_PER_PAGE: usize = 500;

/// The pages of the scripts or the entities index: `index.html`, then `page-2.html`, ...
fn index_pages(n: usize) -> Vec<pages::PageLink> {
    page_links(n, INDEX_PER_PAGE, |i| match i {
        0 => "index.html".into(),
        _ => format!("page-{}.html", i + 1),
    })
}

/// A tera filter: the page of an entity id among `hrefs` (keyed by the id, and by the
/// filter's `domain` argument when it is given), `fallback` for another id.
type HrefFilter = Box<
    dyn Fn(
            &tera::Value,
            &std::collections::HashMap<String, tera::Value>,
        ) -> tera::Result<tera::Value>
        + Send
        + Sync,
>;

fn href_filter(hrefs: std::collections::HashMap<String, String>, fallback: &str) -> HrefFilter {
    let fallback = fallback.to_string();
    Box::new(move |value, args| {
        let id = value.as_str().unwrap_or_default();
        let key = match args.get("domain").and_then(|d| d.as_str()) {
            Some(domain) => format!("{id} {domain}"),
            None => id.to_string(),
        };
        Ok(tera::Value::String(
            hrefs.get(&key).cloned().unwrap_or_else(|| fallback.clone()),
        ))
    })
}

/// The `entity_page` filter: an entity id's page of the entities index (`index.html`,
/// `page-2.html`, ...), so a link to `#entity-<id>` lands on the page that has it.
fn entity_page_filter(report: &Report) -> HrefFilter {
    let hrefs = report
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let href = match i / INDEX_PER_PAGE {
                0 => "index.html".to_string(),
                n => format!("page-{}.html", n + 1),
            };
            (e.id.to_string(), href)
        })
        .collect();
    href_filter(hrefs, "index.html")
}

/// The `domain_page` filter: the page of an entity (its id, and its domain as the argument
/// `domain`) among its domain's pages (`<slug>.html`, `<slug>-2.html`, ...), so a link to
/// `#entity-<id>` lands on the page that has it; empty when its domain has no page. Two
/// entities of one name in two domains share an id (it is derived from the name): each
/// is found in its own domain, and two of one domain on the first one's page.
fn domain_page_filter(report: &Report) -> HrefFilter {
    let mut hrefs = std::collections::HashMap::new();
    for domain in &report.domains {
        let name = domain.name.as_str();
        let of_domain = report
            .entities
            .iter()
            .filter(|e| e.domain == Some(domain.name));
        for (i, e) in of_domain.enumerate() {
            let href = match i / INDEX_PER_PAGE {
                0 => format!("{}.html", domain.slug),
                n => format!("{}-{}.html", domain.slug, n + 1),
            };
            hrefs.entry(format!("{} {name}", e.id)).or_insert(href);
        }
    }
    href_filter(hrefs, "")
}

/// The pages of the site. With `archived`, the index shows the history and
/// `archive/index.html` lists the snapshots; without it (a snapshot's own copy) nothing links
/// outside the site.
pub fn render(
    report: &Report,
    templates: Option<&Path>,
    archived: Option<&Archived>,
    site: &mut Site,
    contexts: Option<&mut Site>,
) -> Result<(), RenderError> {
    let (mut tera, overrides) = engine(templates)?;
    tera.register_filter("entity_page", entity_page_filter(report));
    tera.register_filter("domain_page", domain_page_filter(report));
    tera.register_filter("pct", pct_beside(report));
    let mut base = Context::new();
    base.insert("meta", &report.meta);
    base.insert("has_archive", &archived.is_some());
    let mut pages = Pages {
        tera: &tera,
        base: &base,
        site,
        contexts,
    };
    index_page(report, archived, &mut pages)?;
    ledger_pages(report, &mut pages)?;
    catalogue_pages(report, &mut pages)?;
    validation_pages(report, &mut pages)?;
    if let Some(archived) = archived {
        pages.add(
            "archive/index.html",
            "archive.html",
            "../",
            "archive",
            pages::Archive {
                entries: &archived.archive,
            },
        )?;
    }
    for (path, text) in assets::ASSETS {
        let name = path.trim_start_matches("assets/");
        let chosen = overrides
            .get(*path)
            .or_else(|| overrides.get(name))
            .map(String::as_str)
            .unwrap_or(text);
        pages.site.add(path, chosen.as_bytes().to_vec())?;
    }
    Ok(())
}

/// The page of a diff between two reports, for a snapshot's `diff.html` or `migcov diff`.
/// `root` leads from the page to the folder holding `assets/style.css`.
pub fn diff_page(
    diff: &crate::archive::diff::Diff,
    templates: Option<&Path>,
    root: &str,
) -> Result<String, RenderError> {
    let (tera, _) = engine(templates)?;
    page(
        &tera,
        "diff.html",
        &Context::new(),
        root,
        "archive",
        pages::DiffPage {
            diff,
            ledger_lines: diff
                .ledger_changes
                .iter()
                .map(|c| (c.table.clone(), crate::archive::diff::ledger_line(c)))
                .collect(),
        },
    )
}

/// The index page's trend charts over the archived reports and this one.
fn history_charts(history: &[HistoryPoint], charts_out: &mut pages::Charts) {
    let labels: Vec<String> = history.iter().map(HistoryPoint::label).collect();
    let desc = history
        .iter()
        .map(|h| {
            format!(
                "{}: migrated {}, success {}, {} open {}",
                h.label(),
                format_percent(h.coverage),
                format_percent(h.overall_success_rate),
                h.open_findings,
                noun(h.open_findings, "finding", "findings")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    charts_out.insert(
        "history_rates",
        charts::trend(
            "Records migrated and success rate over time",
            &desc,
            &labels,
            &[
                (
                    "records migrated".to_string(),
                    charts::BLUE,
                    history.iter().map(|h| h.coverage).collect(),
                ),
                (
                    "success rate".to_string(),
                    charts::GREEN,
                    history.iter().map(|h| h.overall_success_rate).collect(),
                ),
            ],
            true,
        ),
    );
    // Domains by name, each with its colour.
    let mut names: Vec<crate::model::Domain> = crate::model::Domain::ALL.to_vec();
    names.sort_by_key(|d| d.as_str());
    let palette = [charts::RED, charts::BLUE, charts::AMBER, charts::GREY];
    let domains: Vec<(String, plotters::style::RGBColor, Vec<Option<f64>>)> = names
        .into_iter()
        .zip(palette)
        .map(|(domain, colour)| {
            (
                domain.to_string(),
                colour,
                history
                    .iter()
                    .map(|h| h.domains.get(&domain).copied().flatten())
                    .collect(),
            )
        })
        .collect();
    charts_out.insert(
        "history_domains",
        charts::trend(
            "Coverage per domain over time",
            &desc,
            &labels,
            &domains,
            true,
        ),
    );
    charts_out.insert(
        "history_findings",
        charts::trend(
            "Open findings over time",
            &desc,
            &labels,
            &[(
                "errors and warnings".to_string(),
                charts::RED,
                history
                    .iter()
                    .map(|h| Some(h.open_findings as f64))
                    .collect(),
            )],
            false,
        ),
    );
}

/// `--single-file`: the report as one self-contained page — stylesheet and SVG chart inline,
/// internal links as anchors — for e-mail and archiving.
pub fn single_file(report: &Report, templates: Option<&Path>) -> Result<String, RenderError> {
    let (mut tera, overrides) = engine(templates)?;
    tera.register_filter("pct", pct_beside(report));
    let style = overrides
        .get("style.css")
        .or_else(|| overrides.get("assets/style.css"))
        .map(String::as_str)
        .unwrap_or(assets::ASSETS[0].1);
    let mut base = Context::new();
    base.insert("meta", &report.meta);
    page(
        &tera,
        "single.html",
        &base,
        "",
        "summary",
        pages::Single {
            style,
            chart: domain_chart(report),
            summary: &report.summary,
            coverage: report.coverage(),
            unlinked: &report.unlinked,
            verdict: &report.verdict,
            finding_counts: &report.finding_counts,
            domains: &report.domains,
            scripts: &report.scripts,
            findings: &report.findings,
            reconciliation: &report.reconciliation,
            labels: check_labels(report),
        },
    )
}

#[cfg(test)]
mod percent_tests {
    use super::{format_percent, rate_text, visible};

    #[test]
    fn a_rate_never_reads_as_on_the_other_side_of_a_bound() {
        use super::format_percent_beside;
        assert_eq!(
            format_percent_beside(Some(0.949999995), &[0.95]),
            "94.999999%"
        );
        assert_eq!(format_percent_beside(Some(0.9499), &[0.95]), "94.99%");
        assert_eq!(format_percent_beside(Some(0.95), &[0.95]), "95.0%");
        assert_eq!(format_percent_beside(Some(0.9504), &[0.95]), "95.0%");
        assert_eq!(format_percent_beside(Some(0.8996), &[0.9, 0.75]), "89.96%");
        assert_eq!(format_percent_beside(Some(0.8996), &[]), "90.0%");
    }

    #[test]
    fn rates_under_ten_keep_a_decimal_and_none_reads_as_zero() {
        let shown: Vec<String> = [1.0 / 3.0, 5.0, 0.01, -0.01, 0.0, 9.96, 12_000.4]
            .into_iter()
            .map(rate_text)
            .collect();
        assert_eq!(
            shown,
            ["0.3/s", "5/s", "< 0.1/s", "> -0.1/s", "0/s", "10/s", "12,000/s"]
        );
    }

    /// Found by an independent check: the text `NULL` and a missing value, `' a'` and `a`,
    /// `a` with a no-break space and `a`, `e` with a combining accent and `é` all looked
    /// alike on the content pages.
    #[test]
    fn values_that_look_alike_are_told_apart() {
        assert_eq!(visible("Zürich Nord"), "Zürich Nord");
        assert_eq!(visible("é"), "é");
        assert_eq!(visible("NULL"), "\"NULL\"");
        assert_eq!(visible(" a"), "\" a\"");
        assert_eq!(visible("a\u{a0}"), "\"a\\u{a0}\"");
        assert_eq!(visible("e\u{301}"), "\"e\\u{301}\"");
        assert_eq!(visible("a\tb"), "\"a\\tb\"");
        assert_eq!(visible("a\u{200b}"), "\"a\\u{200b}\"");
    }

    #[test]
    fn a_rate_reads_100_or_0_only_when_it_is_exactly_that() {
        assert_eq!(format_percent(Some(1.0)), "100.0%");
        assert_eq!(format_percent(Some(0.0)), "0.0%");
        assert_eq!(format_percent(Some(0.8754)), "87.5%");
        assert_eq!(format_percent(Some(0.99996)), "99.996%");
        assert_eq!(format_percent(Some(0.9999999)), "99.99999%");
        assert_eq!(format_percent(Some(0.00004)), "0.004%");
        assert_eq!(format_percent(Some(1.0 - 1e-12)), "<100%");
        assert_eq!(format_percent(None), "n/a");
    }
}
