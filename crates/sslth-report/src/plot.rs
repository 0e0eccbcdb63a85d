//! Plots (ARCHITECTURE.md, Plots): SVG and PNG side by side, drawn with plotters
//! from the data written next to them. PNG text uses the bundled DejaVu
//! Sans (assets/, Bitstream Vera licence), so no system font is needed.

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

/// One series: label and (x, y) points; `lines` joins them.
#[derive(Default)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Points.
    pub points: Vec<(f64, f64)>,
    /// Join the points with a line.
    pub lines: bool,
    /// A line only: no dot at each point (a fitted line).
    pub no_dots: bool,
    /// Each point's (low, high) y, drawn as an error bar; empty for none.
    pub errors: Vec<(f64, f64)>,
}

/// A chart description: axes, series and vertical markers. Series i is
/// drawn in colour i of the palette; each mark names its colour.
#[derive(Default)]
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
    /// A fixed y range (probabilities: 0 to 1) instead of the data's.
    pub y_range: Option<(f64, f64)>,
    /// The series.
    pub series: Vec<Series>,
    /// Vertical dashed lines (x, label, colour index); an empty label
    /// keeps a mark out of the legend.
    pub marks: Vec<(f64, String, usize)>,
    /// Horizontal dashed lines (y, label), in black: a reference such as
    /// the target's accuracy.
    pub levels: Vec<(f64, String)>,
}

/// What a legend entry shows: a filled box (a series) or a thin line (a
/// vertical mark).
#[derive(Clone, Copy)]
enum Swatch {
    Series,
    Mark,
}

/// Colours strong enough to read as dots on white (no yellow): blue,
/// vermillion, bluish green, reddish purple, orange, sky blue, brown,
/// grey, dark olive, black; then again.
const PALETTE: [(u8, u8, u8); 10] = [
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (204, 121, 167),
    (230, 140, 0),
    (86, 180, 233),
    (140, 86, 75),
    (120, 120, 120),
    (110, 110, 0),
    (0, 0, 0),
];

fn colour(i: usize) -> RGBAColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b).to_rgba()
}

/// The legend entries of a chart, in drawing order.
fn legend_of(c: &Chart<'_>) -> Vec<(String, usize, Swatch)> {
    let series = c.series.iter().enumerate().map(|(i, s)| (s.label.clone(), i, Swatch::Series));
    let marks = c.marks.iter().filter(|m| !m.1.is_empty()).map(|m| (m.1.clone(), m.2, Swatch::Mark));
    let levels = c.levels.iter().map(|l| (l.1.clone(), usize::MAX, Swatch::Mark));
    series.chain(marks).chain(levels).collect()
}

/// Draws a legend in its own area (beside or below the plots), so it never
/// covers data: one entry a line, swatch then text.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, usize, Swatch)],
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("plotting failed: {e}");
    for (row, (label, i, swatch)) in entries.iter().enumerate() {
        let y = 30 + 20 * row as i32;
        let c = if *i == usize::MAX { BLACK.to_rgba() } else { colour(*i) };
        match swatch {
            Swatch::Series => area.draw(&Rectangle::new([(8, y - 5), (22, y + 5)], c.filled())).map_err(err)?,
            Swatch::Mark => area.draw(&PathElement::new(vec![(8, y), (22, y)], c.stroke_width(2))).map_err(err)?,
        }
        area.draw(&Text::new(label.clone(), (28, y - 7), ("sans-serif", 13).into_font())).map_err(err)?;
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    c: &Chart<'_>,
    caption: u32,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("plotting failed: {e}");
    let finite = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
    let (x0, x1, y0, y1) = ranges(c).ok_or_else(|| format!("nothing to plot for '{}'", c.title))?;
    let mut builder = ChartBuilder::on(root);
    builder.caption(c.title, ("sans-serif", caption)).margin(10).x_label_area_size(40).y_label_area_size(70);
    macro_rules! body {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(c.x_label)
                .y_desc(c.y_label)
                .x_labels(6)
                .y_labels(6)
                .light_line_style(RGBColor(235, 235, 235))
                .x_label_formatter(&|v: &f64| tick(*v))
                .y_label_formatter(&|v: &f64| tick(*v))
                .label_style(("sans-serif", 13))
                .draw()
                .map_err(err)?;
            for (i, s) in c.series.iter().enumerate() {
                let pts: Vec<(f64, f64)> =
                    s.points.iter().copied().filter(|p| finite(p.0, c.log_x) && finite(p.1, c.log_y)).collect();
                if s.lines {
                    chart.draw_series(LineSeries::new(pts.clone(), colour(i).stroke_width(2))).map_err(err)?;
                }
                if !s.no_dots {
                    chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, colour(i).filled()))).map_err(err)?;
                }
                let bars =
                    s.points.iter().zip(&s.errors).filter(|(p, e)| {
                        finite(p.0, c.log_x) && finite(e.0, c.log_y) && finite(e.1, c.log_y) && e.0 < e.1
                    });
                let style = colour(i).stroke_width(1);
                chart
                    .draw_series(bars.map(|(p, e)| ErrorBar::new_vertical(p.0, e.0, p.1, e.1, style, 8)))
                    .map_err(err)?;
            }
            for (y, _) in &c.levels {
                let line = DashedLineSeries::new(vec![(x0, *y), (x1, *y)], 8, 4, BLACK.stroke_width(1));
                chart.draw_series(line).map_err(err)?;
            }
            for &(ref x, _, i) in &c.marks {
                if !finite(*x, c.log_x) {
                    continue;
                }
                let dashes = DashedLineSeries::new(vec![(*x, y0), (*x, y1)], 6, 4, colour(i).stroke_width(1));
                chart.draw_series(dashes).map_err(err)?;
            }
        }};
    }
    // Log axes get labelled ticks at 1-2-5 steps (or finer) where a
    // range spans few powers of ten: plotters labels only the powers.
    let log_x = || (x0..x1).log_scale().with_key_points(log_ticks(x0, x1));
    let log_y = || (y0..y1).log_scale().with_key_points(log_ticks(y0, y1));
    match (c.log_x, c.log_y) {
        (true, true) => body!(builder.build_cartesian_2d(log_x(), log_y()).map_err(err)?),
        (true, false) => body!(builder.build_cartesian_2d(log_x(), y0..y1).map_err(err)?),
        (false, true) => body!(builder.build_cartesian_2d(x0..x1, log_y()).map_err(err)?),
        (false, false) => body!(builder.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?),
    }
    Ok(())
}

/// The axes' ranges (x0, x1, y0, y1): the finite points, error bars and
/// marks, padded (a fixed y range wins); `None` if nothing is drawable.
fn ranges(c: &Chart<'_>) -> Option<(f64, f64, f64, f64)> {
    let errors =
        c.series.iter().flat_map(|s| s.points.iter().zip(&s.errors).flat_map(|(p, e)| [(p.0, e.0), (p.0, e.1)]));
    let all: Vec<(f64, f64)> = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .chain(errors)
        .chain(c.marks.iter().map(|m| (m.0, f64::NAN)))
        .chain(c.levels.iter().map(|l| (f64::NAN, l.0)))
        .collect();
    let finite = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
    let xs: Vec<f64> = all.iter().map(|p| p.0).filter(|&x| finite(x, c.log_x)).collect();
    let ys: Vec<f64> = all.iter().map(|p| p.1).filter(|&y| finite(y, c.log_y)).collect();
    if xs.is_empty() || ys.is_empty() {
        return None;
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
    if let Some((lo, hi)) = c.y_range {
        (y0, y1) = (lo, hi);
    } else if c.log_y {
        y0 /= 1.5;
        y1 *= 1.5;
    } else {
        let pad = (y1 - y0) * 0.05;
        y0 -= pad;
        y1 += pad;
    }
    Some((x0, x1, y0, y1))
}

/// One chart with its legend in a strip to the right of the plot.
fn draw_single<DB: DrawingBackend>(root: DrawingArea<DB, plotters::coord::Shift>, c: &Chart<'_>) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| format!("plotting failed: {e}"))?;
    let width = root.dim_in_pixel().0;
    let (plot, legend) = root.split_horizontally(width.saturating_sub(LEGEND_WIDTH));
    draw(&plot, c, 20)?;
    draw_legend(&legend, &legend_of(c))?;
    root.present().map_err(|e| format!("plotting failed: {e}"))
}

/// Small multiples: one panel per chart in a grid of `cols` columns, all
/// sharing the legend of the first chart (the same colour means the same
/// thing in every panel), drawn in a strip to the right.
fn draw_panels<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    panels: &[Chart<'_>],
    cols: usize,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("plotting failed: {e}");
    root.fill(&WHITE).map_err(err)?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(err)?;
    let width = root.dim_in_pixel().0;
    let (grid, legend) = root.split_horizontally(width.saturating_sub(LEGEND_WIDTH));
    let rows = panels.len().div_ceil(cols);
    for (area, chart) in grid.split_evenly((rows, cols)).iter().zip(panels) {
        draw(area, chart, 15)?;
    }
    if let Some(first) = panels.first() {
        draw_legend(&legend, &legend_of(first))?;
    }
    root.present().map_err(err)
}

/// Tick positions on a log axis from `lo` to `hi`: m·10^e for the
/// mantissas of the first set giving at least four ticks (1; 1, 2, 5;
/// 1, 2, 3, 5, 7; 1 to 9), at most twelve.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let sets: [&[f64]; 4] =
        [&[1.0], &[1.0, 2.0, 5.0], &[1.0, 2.0, 3.0, 5.0, 7.0], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]];
    let (e0, e1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let mut best = Vec::new();
    for set in sets {
        let ticks: Vec<f64> = (e0..=e1)
            .flat_map(|e| set.iter().map(move |m| m * 10f64.powi(e)))
            .filter(|v| (lo..=hi).contains(v))
            .collect();
        if ticks.len() > 12 && !best.is_empty() {
            break;
        }
        best = ticks;
        if best.len() >= 4 {
            break;
        }
    }
    best
}

/// Width in pixels of the legend strip.
const LEGEND_WIDTH: u32 = 330;

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

/// Writes `stem.svg` and `stem.png` (1200×650), legend beside the plot.
pub fn save(stem: &Path, chart: &Chart<'_>) -> Result<(), String> {
    register_font();
    let size = (1200, 650);
    draw_single(SVGBackend::new(&stem.with_extension("svg"), size).into_drawing_area(), chart)?;
    draw_single(BitMapBackend::new(&stem.with_extension("png"), size).into_drawing_area(), chart)
}

/// Writes small multiples as `stem.svg` and `stem.png`: `cols` panels a row
/// of 420×300 pixels each, plus the shared legend.
pub fn save_panels(stem: &Path, title: &str, panels: &[Chart<'_>], cols: usize) -> Result<(), String> {
    register_font();
    let rows = panels.len().div_ceil(cols).max(1) as u32;
    let size = (420 * cols as u32 + LEGEND_WIDTH, 300 * rows + 40);
    draw_panels(SVGBackend::new(&stem.with_extension("svg"), size).into_drawing_area(), title, panels, cols)?;
    draw_panels(BitMapBackend::new(&stem.with_extension("png"), size).into_drawing_area(), title, panels, cols)
}
