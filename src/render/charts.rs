//! SVG charts drawn with plotters into strings: one function per kind of chart, sharing the
//! size and palette constants. Each SVG gets a `<title>` and `<desc>` for screen readers;
//! pages show the same figures as a table beside it.

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::{Ranged, SegmentedCoord};
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::model::config::Band;

pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 300;

pub const BLUE: RGBColor = RGBColor(0x1f, 0x5f, 0xae);
pub const GREEN: RGBColor = RGBColor(0x2e, 0x7d, 0x32);
pub const AMBER: RGBColor = RGBColor(0xb2, 0x6a, 0x00);
pub const RED: RGBColor = RGBColor(0xc6, 0x28, 0x28);
pub const GREY: RGBColor = RGBColor(0x75, 0x75, 0x75);
const TEXT: RGBColor = RGBColor(0x21, 0x21, 0x21);

pub fn band_colour(band: Band) -> RGBColor {
    match band {
        Band::High => GREEN,
        Band::Medium => AMBER,
        Band::Low => RED,
        Band::None => GREY,
    }
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// The axes and grid every chart shares: dark labels, grey axes, a light grid at the labels.
fn house_style<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
    label_size: u32,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style(("sans-serif", label_size).into_font().color(&TEXT))
        .axis_style(GREY)
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(0xe0, 0xe0, 0xe0))
}

/// A chart on `root` with the house margin and label areas of the given sizes.
fn chart_on<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    x_label_area: u32,
    y_label_area: u32,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(root);
    builder
        .margin(12)
        .x_label_area_size(x_label_area)
        .y_label_area_size(y_label_area);
    builder
}

/// The top of a y axis: the largest value (at least 1) and a tenth more.
fn headroom(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, f64::max).max(1.0) * 1.1
}

/// Draws with `draw` into a fresh SVG string and labels it for assistive technology.
fn svg(
    title: &str,
    desc: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> DrawResult,
) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        // A chart that cannot be drawn is left blank; its table still holds the figures.
        let _ = draw(&root).and_then(|_| root.present().map_err(Into::into));
    }
    let label = format!(
        " role=\"img\" aria-label=\"{}\"><title>{}</title><desc>{}</desc>",
        escape(title),
        escape(title),
        escape(desc)
    );
    match out.find('>') {
        Some(end) => format!("{}{}{}", &out[..end], label, &out[end + 1..]),
        None => out,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The largest value a chart draws: past every sum of 64-bit counts (9.2 × 10^18), so no
/// real figure is drawn as 0 (at 10^15, a bin of executions summing 1.8 × 10^15 records,
/// each a valid count, drew no bar: found by an independent check), while 1.1 × 10^308,
/// already infinite for an axis, still is.
const DRAWN_AT_MOST: f64 = 1e19;

/// A value a chart can place: non-finite ones (NaN, ±inf) are drawn as 0, so no axis is
/// ever built over an infinite or undefined range (which would never finish drawing).
fn finite(v: f64) -> f64 {
    if v.is_finite() && v.abs() <= DRAWN_AT_MOST {
        v
    } else {
        0.0
    }
}

/// The y axis labels: fractions as whole percentages when `percent`, else whole numbers.
fn y_labels(percent: bool) -> fn(&f64) -> String {
    if percent {
        |v| format!("{:.0}%", v * 100.0)
    } else {
        |v| format!("{v:.0}")
    }
}

/// The gap left and right of each of `n` bars: at most `most` pixels and a quarter of a
/// bar's slot, so a crowded chart never draws a bar of negative width.
fn side_margin(n: usize, most: u32) -> u32 {
    ((WIDTH as usize / n.max(1) / 4) as u32).min(most)
}

fn finite_bars(bars: &[(String, f64, RGBColor)]) -> Vec<(String, f64, RGBColor)> {
    bars.iter()
        .map(|(label, v, colour)| (label.clone(), finite(*v), *colour))
        .collect()
}

/// A chart whose x axis has one segment per bar.
type BarChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<SegmentedCoord<RangedCoordusize>, RangedCoordf64>>;

/// Draws each bar from zero to its value in its colour, `margin` pixels in from each side.
fn draw_bars(chart: &mut BarChart, bars: &[(String, f64, RGBColor)], margin: u32) -> DrawResult {
    // Rectangles drawn in order, not plotters' Histogram: its HashMap makes the SVG's
    // element order differ between runs, and output must be byte-identical.
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, value, colour))| {
        let mut bar = Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), *value),
            ],
            colour.filled(),
        );
        bar.set_margin(0, 0, margin, margin);
        bar
    }))?;
    Ok(())
}

/// Vertical bars, one per label, coloured one by one.
pub fn bars(
    title: &str,
    desc: &str,
    bars: &[(String, f64, RGBColor)],
    y_max: f64,
    percent: bool,
) -> String {
    let bars = &finite_bars(bars);
    let y_max = if y_max.is_finite() && y_max > 0.0 {
        y_max
    } else {
        1.0
    };
    svg(title, desc, |root| {
        let n = bars.len().max(1);
        let mut chart = chart_on(root, 36, 52)
            .build_cartesian_2d((0..n.max(2) - 1).into_segmented(), 0f64..y_max.max(1e-9))?;
        let label_of = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                bars.get(*i).map(|b| b.0.clone()).unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        };
        let y_text = y_labels(percent);
        let mut mesh = chart.configure_mesh();
        house_style(&mut mesh, 12)
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label_of)
            .y_label_formatter(&y_text);
        if !percent {
            // Counts on a short axis: one label per whole number, never 0, 0, 1, 1.
            mesh.y_labels((y_max.floor() as usize).clamp(1, 10) + 1);
        }
        mesh.draw()?;
        draw_bars(&mut chart, bars, side_margin(n, 12))
    })
}

/// Bars up or down from zero, one per label: signed fractions shown as percentages.
pub fn deltas(title: &str, desc: &str, bars: &[(String, f64, RGBColor)]) -> String {
    let bars = &finite_bars(bars);
    svg(title, desc, |root| {
        let n = bars.len().max(1);
        let reach = bars.iter().map(|b| b.1.abs()).fold(0.0, f64::max).max(0.01) * 1.15;
        let mut chart = chart_on(root, 44, 60)
            .build_cartesian_2d((0..n.max(2) - 1).into_segmented(), -reach..reach)?;
        let label_of = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if n <= 12 => {
                bars.get(*i).map(|b| b.0.clone()).unwrap_or_default()
            }
            _ => String::new(),
        };
        let mut mesh = chart.configure_mesh();
        house_style(&mut mesh, 11)
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label_of)
            .y_label_formatter(&|v| format!("{:+.1}%", v * 100.0));
        mesh.draw()?;
        draw_bars(&mut chart, bars, side_margin(n, 6))
    })
}

/// Lines over reports (x = report, labelled with its date), one per series; gaps where a
/// value is missing. `percent` formats the y axis as percentages of fractions.
pub fn trend(
    title: &str,
    desc: &str,
    labels: &[String],
    series: &[(String, RGBColor, Vec<Option<f64>>)],
    percent: bool,
) -> String {
    let series: &[(String, RGBColor, Vec<Option<f64>>)] = &series
        .iter()
        .map(|(label, colour, values)| {
            (
                label.clone(),
                *colour,
                values
                    .iter()
                    .map(|v| v.filter(|v| v.is_finite() && v.abs() <= DRAWN_AT_MOST))
                    .collect(),
            )
        })
        .collect::<Vec<_>>();
    svg(title, desc, |root| {
        let n = labels.len().max(2);
        let y_max = if percent {
            1.0
        } else {
            headroom(series.iter().flat_map(|s| s.2.iter().flatten()).cloned())
        };
        let mut chart = chart_on(root, 32, 56).build_cartesian_2d(1f64..n as f64, 0f64..y_max)?;
        let label_of = |v: &f64| {
            let i = v.round() as usize;
            if (v - v.round()).abs() < 1e-9 && i >= 1 {
                labels.get(i - 1).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let y_text = y_labels(percent);
        let mut mesh = chart.configure_mesh();
        house_style(&mut mesh, 11)
            .x_labels(labels.len().clamp(2, 6))
            .x_label_formatter(&label_of)
            .y_label_formatter(&y_text);
        mesh.draw()?;
        for (name, colour, values) in series {
            let colour = *colour;
            let points: Vec<(f64, f64)> = values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| ((i + 1) as f64, v)))
                .collect();
            dotted_line(&mut chart, &points, colour, Some(name))?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 11)
    })
}

/// A chart whose axes are both continuous.
type PlainChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws `points` as a line with a dot on each point; a `label` names the line in the legend.
fn dotted_line(
    chart: &mut PlainChart,
    points: &[(f64, f64)],
    colour: RGBColor,
    label: Option<&str>,
) -> DrawResult {
    let line = chart.draw_series(LineSeries::new(
        points.iter().copied(),
        colour.stroke_width(2),
    ))?;
    if let Some(label) = label {
        line.label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], colour.filled()));
    }
    chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))?;
    Ok(())
}

/// Draws the legend of the labelled series at `position`, in the house style.
fn draw_legend<'a, 'b: 'a>(
    chart: &mut PlainChart<'a, 'b>,
    position: SeriesLabelPosition,
    font_size: u32,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(GREY)
        .label_font(("sans-serif", font_size).into_font().color(&TEXT))
        .draw()?;
    Ok(())
}

/// Axis labels for execution numbers: whole numbers only, blank between them.
fn whole_numbers(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

/// One line with points, x = 1-based execution number.
pub fn line(title: &str, desc: &str, values: &[f64], colour: RGBColor) -> String {
    let values: &[f64] = &values.iter().map(|v| finite(*v)).collect::<Vec<_>>();
    let values_len = values.len().max(2);
    svg(title, desc, |root| {
        let y_max = headroom(values.iter().cloned());
        let x_max = values.len().max(2) as f64;
        let mut chart = chart_on(root, 32, 64).build_cartesian_2d(1f64..x_max, 0f64..y_max)?;
        let mut mesh = chart.configure_mesh();
        house_style(&mut mesh, 12)
            .x_desc("execution")
            .x_labels(values_len.min(12))
            .x_label_formatter(&whole_numbers)
            .y_label_formatter(&|v| format!("{v:.0}"));
        mesh.draw()?;
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| ((i + 1) as f64, *v))
            .collect();
        dotted_line(&mut chart, &points, colour, None)
    })
}

/// What the x axis of a chart of executions counts: executions one by one, or bins of
/// consecutive executions (labelled by the number of each bin's first execution).
#[derive(Clone, Copy)]
pub enum Executions<'a> {
    Each,
    Bins(&'a [u64]),
}

impl Executions<'_> {
    fn desc(self) -> &'static str {
        match self {
            Executions::Each => "execution",
            Executions::Bins(_) => "executions (bins, by first execution)",
        }
    }

    fn label(self, v: &f64) -> String {
        match self {
            Executions::Each => whole_numbers(v),
            Executions::Bins(firsts) => match whole_numbers(v).parse::<usize>() {
                Ok(i) if (1..=firsts.len()).contains(&i) => firsts[i - 1].to_string(),
                _ => String::new(),
            },
        }
    }
}

/// Per bin of executions, the lowest to the highest value as a pale bar and the median as
/// a line.
pub fn ranges(
    title: &str,
    desc: &str,
    bins: &[(f64, f64, f64)],
    firsts: &[u64],
    colour: RGBColor,
) -> String {
    let bins: Vec<(f64, f64, f64)> = bins
        .iter()
        .map(|(lo, mid, hi)| (finite(*lo), finite(*mid), finite(*hi)))
        .collect();
    let axis = Executions::Bins(firsts);
    svg(title, desc, |root| {
        let y_max = headroom(bins.iter().map(|b| b.2));
        let x_max = bins.len().max(2) as f64;
        let mut chart =
            chart_on(root, 32, 64).build_cartesian_2d(0.5f64..(x_max + 0.5), 0f64..y_max)?;
        let mut mesh = chart.configure_mesh();
        let label = |v: &f64| axis.label(v);
        house_style(&mut mesh, 12)
            .x_desc(axis.desc())
            .x_labels(bins.len().clamp(2, 12))
            .x_label_formatter(&label)
            .y_label_formatter(&|v| format!("{v:.0}"));
        mesh.draw()?;
        let band = colour.mix(0.3);
        chart.draw_series(bins.iter().enumerate().map(|(i, b)| {
            let x = (i + 1) as f64;
            Rectangle::new([(x - 0.3, b.0), (x + 0.3, b.2)], band.filled())
        }))?;
        let medians: Vec<(f64, f64)> = bins
            .iter()
            .enumerate()
            .map(|(i, b)| ((i + 1) as f64, b.1))
            .collect();
        chart.draw_series(LineSeries::new(
            medians.iter().copied(),
            colour.stroke_width(2),
        ))?;
        Ok(())
    })
}

/// Stacked bars per execution (or per bin of executions): each stack is `(label, colour)`
/// of `series`.
pub fn stacked(
    title: &str,
    desc: &str,
    series: &[(&str, RGBColor, Vec<f64>)],
    axis: Executions,
) -> String {
    let series: &[(&str, RGBColor, Vec<f64>)] = &series
        .iter()
        .map(|(label, colour, values)| {
            (*label, *colour, values.iter().map(|v| finite(*v)).collect())
        })
        .collect::<Vec<_>>();
    svg(title, desc, |root| {
        let n = series.first().map(|s| s.2.len()).unwrap_or(0).max(1);
        let y_max = headroom((0..n).map(|i| {
            series
                .iter()
                .map(|s| s.2.get(i).copied().unwrap_or(0.0))
                .sum::<f64>()
        }));
        let mut chart =
            chart_on(root, 32, 64).build_cartesian_2d(0.5f64..(n as f64 + 0.5), 0f64..y_max)?;
        let mut mesh = chart.configure_mesh();
        let label = |v: &f64| axis.label(v);
        house_style(&mut mesh, 12)
            .disable_x_mesh()
            .x_desc(axis.desc())
            .x_labels(n.min(12))
            .x_label_formatter(&label)
            .y_label_formatter(&|v| format!("{v:.0}"));
        mesh.draw()?;
        let mut base = vec![0.0; n];
        for (label, colour, values) in series {
            let colour = *colour;
            let rects: Vec<Rectangle<(f64, f64)>> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let x = (i + 1) as f64;
                    let rect = Rectangle::new(
                        [(x - 0.35, base[i]), (x + 0.35, base[i] + v)],
                        colour.filled(),
                    );
                    base[i] += v;
                    rect
                })
                .collect();
            chart
                .draw_series(rects)?
                .label(*label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 12)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_labelled_svg() {
        let svg = bars(
            "Coverage by domain",
            "CLINICAL 50%",
            &[
                ("CLINICAL".into(), 0.5, GREEN),
                ("BUSINESS".into(), 1.0, RED),
            ],
            1.0,
            true,
        );
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("<title>Coverage by domain</title><desc>CLINICAL 50%</desc>"));
        assert!(svg.contains("CLINICAL"));
        assert!(
            svg.contains("#2E7D32") || svg.contains("#2e7d32"),
            "bar colour"
        );
        let line = line("Throughput", "1 execution", &[12.5], BLUE);
        assert!(line.contains("<circle"));
    }
}

#[cfg(test)]
mod safety_tests {
    use super::*;

    #[test]
    fn every_chart_draws_on_non_finite_and_empty_data() {
        let odd = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e308, -0.0];
        let bars_in: Vec<(String, f64, RGBColor)> = odd
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("bar {i}"), *v, BLUE))
            .collect();
        for svg in [
            bars("t", "d", &bars_in, f64::INFINITY, true),
            bars("t", "d", &[], f64::NAN, false),
            deltas("t", "d", &bars_in),
            deltas("t", "d", &[]),
            line("t", "d", &odd, BLUE),
            line("t", "d", &[], BLUE),
            stacked("t", "d", &[("a", BLUE, odd.to_vec())], Executions::Each),
            stacked("t", "d", &[], Executions::Each),
            trend(
                "t",
                "d",
                &["a".into(), "b".into()],
                &[("s".into(), BLUE, vec![Some(f64::NAN), Some(f64::INFINITY)])],
                true,
            ),
            trend("t", "d", &[], &[], false),
        ] {
            assert!(svg.starts_with("<svg") || svg.contains("<svg"), "{svg}");
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
    }

    #[test]
    fn sums_of_valid_counts_are_drawn() {
        let drawn = |v: f64| stacked("t", "d", &[("a", BLUE, vec![v, 1.0])], Executions::Each);
        assert_ne!(drawn(1.8e15), drawn(0.0));
        assert_ne!(drawn(9.2e18), drawn(0.0));
        assert_eq!(drawn(1e308), drawn(0.0));
    }

    #[test]
    fn bars_never_have_a_negative_size() {
        for n in [1usize, 2, 3, 24, 60] {
            let data: Vec<(String, f64, RGBColor)> = (0..n)
                .map(|i| (format!("e{i}"), if i % 2 == 0 { -0.5 } else { 0.25 }, BLUE))
                .collect();
            for svg in [deltas("t", "d", &data), bars("t", "d", &data, 1.0, true)] {
                assert!(
                    !svg.contains("width=\"-") && !svg.contains("height=\"-"),
                    "{n} bars: {svg}"
                );
            }
        }
    }
}
