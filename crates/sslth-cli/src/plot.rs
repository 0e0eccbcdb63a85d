//! Plots (DESIGN.md, Plots): SVG and PNG side by side, drawn with plotters
//! from the data written next to them. PNG text uses the bundled DejaVu
//! Sans (assets/, Bitstream Vera licence), so no system font is needed.

use crate::rfss_phase::Curve;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only if the bundled font is unreadable, which a test catches.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// One series: label, colour index and (x, y) points; `lines` joins them.
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Points.
    pub points: Vec<(f64, f64)>,
    /// Join the points with a line.
    pub lines: bool,
}

/// A chart description: axes, series and vertical markers.
pub struct Chart<'a> {
    /// Title on top.
    pub title: &'a str,
    /// x-axis label, with its unit.
    pub x_label: &'a str,
    /// y-axis label, with its unit.
    pub y_label: &'a str,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// The series.
    pub series: Vec<Series>,
    /// Vertical lines (x, label), mark i in the colour of series i; an
    /// empty label keeps a mark out of the legend.
    pub marks: Vec<(f64, String)>,
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, plotters::coord::Shift>, c: &Chart<'_>) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("plotting failed: {e}");
    root.fill(&WHITE).map_err(err)?;
    let all: Vec<(f64, f64)> =
        c.series.iter().flat_map(|s| s.points.iter().copied()).chain(c.marks.iter().map(|m| (m.0, f64::NAN))).collect();
    let finite = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
    let xs: Vec<f64> = all.iter().map(|p| p.0).filter(|&x| finite(x, c.log_x)).collect();
    let ys: Vec<f64> = all.iter().map(|p| p.1).filter(|&y| finite(y, c.log_y)).collect();
    if xs.is_empty() || ys.is_empty() {
        return Err(format!("nothing to plot for '{}'", c.title));
    }
    let (mut x0, mut x1) =
        (xs.iter().cloned().fold(f64::INFINITY, f64::min), xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max));
    let (mut y0, mut y1) =
        (ys.iter().cloned().fold(f64::INFINITY, f64::min), ys.iter().cloned().fold(f64::NEG_INFINITY, f64::max));
    if x0 == x1 {
        x1 = x0 * 1.1 + 1.0;
    }
    if y0 == y1 {
        y1 = y0 * 1.1 + 1.0;
    }
    if c.log_x {
        x0 /= 1.2;
        x1 *= 1.2;
    }
    if c.log_y {
        y0 /= 1.5;
        y1 *= 1.5;
    } else {
        let pad = (y1 - y0) * 0.05;
        y0 -= pad;
        y1 += pad;
    }
    let mut builder = ChartBuilder::on(&root);
    builder.caption(c.title, ("sans-serif", 22)).margin(12).x_label_area_size(45).y_label_area_size(90);
    macro_rules! body {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(c.x_label)
                .y_desc(c.y_label)
                .x_label_formatter(&|v: &f64| tick(*v))
                .y_label_formatter(&|v: &f64| tick(*v))
                .label_style(("sans-serif", 14))
                .draw()
                .map_err(err)?;
            for (i, s) in c.series.iter().enumerate() {
                let colour = Palette99::pick(i).to_rgba();
                let pts: Vec<(f64, f64)> =
                    s.points.iter().copied().filter(|p| finite(p.0, c.log_x) && finite(p.1, c.log_y)).collect();
                if s.lines {
                    chart.draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2))).map_err(err)?;
                }
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                    .map_err(err)?
                    .label(s.label.clone())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 12, y + 4)], colour.filled()));
            }
            // Mark i has the colour of series i; only labelled marks get a
            // legend entry.
            for (i, (x, label)) in c.marks.iter().enumerate() {
                let colour = Palette99::pick(i).to_rgba();
                let drawn = chart
                    .draw_series(LineSeries::new(vec![(*x, y0), (*x, y1)], colour.stroke_width(1)))
                    .map_err(err)?;
                if !label.is_empty() {
                    drawn.label(label.clone()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], BLACK));
                }
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 12))
                .draw()
                .map_err(err)?;
        }};
    }
    match (c.log_x, c.log_y) {
        (true, true) => body!(builder.build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale()).map_err(err)?),
        (true, false) => body!(builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1).map_err(err)?),
        (false, true) => body!(builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale()).map_err(err)?),
        (false, false) => body!(builder.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?),
    }
    root.present().map_err(|e| format!("plotting failed: {e}"))
}

/// A tick label: plain with up to 3 decimals between 10⁻³ and 10⁵,
/// scientific outside.
fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if (1e-3..1e5).contains(&v.abs()) {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.0e}")
    }
}

/// Writes `stem.svg` and `stem.png` (1000×650).
pub fn save(stem: &Path, chart: &Chart<'_>) -> Result<(), String> {
    register_font();
    let svg = stem.with_extension("svg");
    draw(SVGBackend::new(&svg, (1000, 650)).into_drawing_area(), chart)?;
    let png = stem.with_extension("png");
    draw(BitMapBackend::new(&png, (1000, 650)).into_drawing_area(), chart)
}

fn curve_label(c: &Curve) -> String {
    format!("{} k={} eps={:e}", c.dist, c.k, c.eps)
}

/// P(found) against n for every curve, the first-moment n marked.
pub fn phase_curves(stem: &Path, curves: &[Curve]) -> Result<(), String> {
    let series = curves
        .iter()
        .map(|c| Series {
            label: curve_label(c),
            points: c.points.iter().map(|p| (p.n as f64, p.p())).collect(),
            lines: true,
        })
        .collect();
    let marks = curves
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let n1 = rfss::theory::first_moment_n(&rfss::theory::SumLaw::new(c.dist, c.k), 0.0, c.eps);
            let label = if i == 0 {
                "vertical: first-moment n (E[Y] = 1 at z = 0), colour of its curve".to_string()
            } else {
                String::new()
            };
            (n1 as f64, label)
        })
        .collect();
    save(
        stem,
        &Chart {
            title: "RFSS: P(a k-subset is within eps of the target)",
            x_label: "n (samples per instance)",
            y_label: "P(found) (share of trials)",
            log_x: true,
            log_y: false,
            series,
            marks,
        },
    )
}

/// Coverage probability against n.
pub fn coverage_curves(stem: &Path, curves: &[Curve]) -> Result<(), String> {
    let series = curves
        .iter()
        .filter(|c| !c.points.is_empty())
        .map(|c| Series {
            label: curve_label(c),
            points: c.points.iter().map(|p| (p.n as f64, p.p())).collect(),
            lines: true,
        })
        .collect();
    save(
        stem,
        &Chart {
            title: "RFSS: P(every target in the range is eps-reachable)",
            x_label: "n (samples per instance)",
            y_label: "P(covered) (share of trials)",
            log_x: true,
            log_y: false,
            series,
            marks: vec![],
        },
    )
}

/// n_50 against log2(k/ε)/H2(k/n_50), from a phase summary CSV.
pub fn n50_line(stem: &Path, summary_csv: &Path) -> Result<(), String> {
    let text =
        std::fs::read_to_string(summary_csv).map_err(|e| format!("cannot read {}: {e}", summary_csv.display()))?;
    let mut by_dist: std::collections::BTreeMap<String, Vec<(f64, f64)>> = Default::default();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if let (Ok(n50), Ok(ratio)) = (f[3].parse::<f64>(), f[4].parse::<f64>()) {
            by_dist.entry(f[0].to_string()).or_default().push((ratio, n50));
        }
    }
    if by_dist.is_empty() {
        return Ok(()); // no curve crossed ½: nothing to draw
    }
    let series = by_dist.into_iter().map(|(d, pts)| Series { label: d, points: pts, lines: false }).collect();
    save(
        stem,
        &Chart {
            title: "n_50 against the (RFSS) shape; a line through 0 is Theorem 2",
            x_label: "log2(k/eps) / H2(k/n_50)",
            y_label: "n_50 (samples for P(found) = 1/2)",
            log_x: true,
            log_y: true,
            series,
            marks: vec![],
        },
    )
}
