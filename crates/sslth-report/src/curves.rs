//! The RFSS experiments' plots: P(found) and P(covered) against n as small
//! multiples, n_50 against Theorem 2's shape.

use crate::plot::{save, save_panels, Chart, Series};
use rfss::grid::Curve;
use std::path::Path;

/// P(found) against n as small multiples (one panel per law and k), the
/// first-moment n of each curve as a dashed line in its colour.
pub fn phase_curves(stem: &Path, curves: &[Curve]) -> Result<(), String> {
    curve_panels(
        stem,
        "RFSS: P(a k-subset is within eps of the target), one panel per (law, k)",
        "P(found)",
        curves,
        true,
    )
}

/// Coverage probability against n as small multiples (one panel per law and k).
pub fn coverage_curves(stem: &Path, curves: &[Curve]) -> Result<(), String> {
    curve_panels(
        stem,
        "RFSS: P(every target in the range is eps-reachable), one panel per (law, k)",
        "P(covered)",
        curves,
        false,
    )
}

/// Curves of probability against n, one panel per (law, k), one colour per
/// ε (the same in every panel), the legend beside the panels.
fn curve_panels(stem: &Path, title: &str, y_label: &str, curves: &[Curve], first_moment: bool) -> Result<(), String> {
    let mut eps: Vec<f64> = curves.iter().map(|c| c.eps).collect();
    eps.sort_by(|a, b| b.total_cmp(a));
    eps.dedup();
    // Panels with at least one point (coverage leaves out grids too large
    // to decide exactly).
    let mut keys: Vec<(String, usize)> =
        curves.iter().filter(|c| !c.points.is_empty()).map(|c| (c.dist.to_string(), c.k)).collect();
    keys.dedup();
    let titles: Vec<String> = keys.iter().map(|(d, k)| format!("{d}, k = {k}")).collect();
    let panels: Vec<Chart<'_>> = keys
        .iter()
        .zip(&titles)
        .map(|((d, k), title)| {
            // One series and one mark per ε, in ε order, so colours match
            // across panels; a missing ε gets an empty series.
            let mine = |e: f64| curves.iter().find(|c| c.dist.to_string() == *d && c.k == *k && c.eps == e);
            let series = eps
                .iter()
                .map(|&e| Series {
                    label: format!("eps = {e:e}"),
                    points: mine(e).map_or(vec![], |c| c.points.iter().map(|p| (p.n as f64, p.p())).collect()),
                    lines: true,
                    ..Default::default()
                })
                .collect();
            let marks = if first_moment {
                eps.iter()
                    .enumerate()
                    .map(|(i, &e)| {
                        let n1 = mine(e).map_or(f64::NAN, |c| {
                            rfss::theory::first_moment_n(&rfss::theory::SumLaw::new(c.dist, c.k), 0.0, c.eps) as f64
                        });
                        let label = if i == 0 {
                            "dashed: first-moment n (E[Y] = 1 at z = 0)".to_string()
                        } else {
                            String::new()
                        };
                        (n1, label, i)
                    })
                    .collect()
            } else {
                vec![]
            };
            Chart {
                title,
                x_label: "n (samples per instance)",
                y_label,
                log_x: true,
                log_y: false,
                y_range: Some((-0.02, 1.02)),
                series,
                marks,
                ..Default::default()
            }
        })
        .collect();
    // As many columns as k values, so each row is one law.
    let laws = keys.iter().map(|k| &k.0).collect::<std::collections::BTreeSet<_>>().len().max(1);
    let cols = panels.len().div_ceil(laws).clamp(1, 5);
    save_panels(stem, title, &panels, cols)
}

/// n_50 against log2(k/ε)/H2(k/n_50), from the typed phase summaries.
pub fn n50_line(stem: &Path, summaries: &[rfss::experiment::PhaseSummary]) -> Result<(), String> {
    let mut by_dist: std::collections::BTreeMap<String, Vec<(f64, f64)>> = Default::default();
    for r in summaries {
        if let (Some(n50), Some(ratio)) = (r.n50, r.ratio) {
            by_dist.entry(r.dist.to_string()).or_default().push((ratio, n50));
        }
    }
    if by_dist.is_empty() {
        return Ok(()); // no curve crossed ½: nothing to draw
    }
    // Theorem 2's form n = c·x: the least-squares c through the origin
    // over every law's points, drawn across their range.
    let all: Vec<(f64, f64)> = by_dist.values().flatten().copied().collect();
    let c = all.iter().map(|(x, y)| x * y).sum::<f64>() / all.iter().map(|(x, _)| x * x).sum::<f64>();
    let (lo, hi) = all.iter().fold((f64::INFINITY, 0f64), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let mut series: Vec<Series> =
        by_dist.into_iter().map(|(d, pts)| Series { label: d, points: pts, ..Default::default() }).collect();
    series.push(Series {
        label: format!("n = c·x (Theorem 2's form), c = {c:.2}"),
        points: (0..=24).map(|i| lo * (hi / lo).powf(i as f64 / 24.0)).map(|x| (x, c * x)).collect(),
        lines: true,
        no_dots: true,
        ..Default::default()
    });
    save(
        stem,
        &Chart {
            title: "n_50 against the (RFSS) shape; the line through 0 is Theorem 2's form",
            x_label: "log2(k/eps) / H2(k/n_50)",
            y_label: "n_50 (samples for P(found) = 1/2)",
            log_x: true,
            log_y: true,
            series,
            ..Default::default()
        },
    )
}
