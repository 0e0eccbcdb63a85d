//! The comparison's outputs: compare.csv (one row per cell), compare.md
//! (the table), accuracy-density and accuracy-size (.svg, .png).

use crate::plot::{self, Chart, Series};
use crate::text;
use sslth::experiments::compare::CompareRow;
use std::path::Path;

/// Writes compare.csv, compare.md and the two plots of `rows` (measured on
/// the data set `data`) into `out`; returns the table to print.
pub fn write(out: &Path, data: &str, rows: &[CompareRow]) -> Result<String, String> {
    let table: Vec<Vec<String>> = rows.iter().map(table_row).collect();
    text::write(out, "compare.csv", &text::csv(rows)?)?;
    text::write(out, "compare.md", &text::markdown_table(&HEAD, &table))?;
    plot_accuracy(out, data, rows)?;
    Ok(text::table(&HEAD, &table))
}

/// The columns of the printed and Markdown tables.
const HEAD: [&str; 11] = [
    "method",
    "law",
    "asked density",
    "density",
    "random edges",
    "kept edges",
    "kept / target weight",
    "test accuracy, mean ± sd (min–max)",
    "wall s",
    "compact KiB",
    "note",
];

/// One row as a row of [`HEAD`] ("—" where a value does not apply).
fn table_row(r: &CompareRow) -> Vec<String> {
    let pct = |v: f64| if v.is_nan() { "—".to_string() } else { format!("{:.2}%", 100.0 * v) };
    let accuracy = match r.runs {
        0 => "—".to_string(),
        1 => pct(r.test_accuracy),
        n => format!(
            "{:.2} ± {:.2}% ({:.2}–{:.2}, {n} seeds)",
            100.0 * r.test_accuracy,
            100.0 * r.accuracy_sd,
            100.0 * r.accuracy_min,
            100.0 * r.accuracy_max
        ),
    };
    vec![
        r.method.clone(),
        r.law.clone().unwrap_or_else(|| "—".into()),
        r.asked_density.map_or("—".into(), |d| format!("{d}")),
        pct(r.density),
        if r.random_edges == 0 { "—".into() } else { r.random_edges.to_string() },
        if r.kept_edges == 0 { "—".into() } else { r.kept_edges.to_string() },
        if r.kept_per_target_weight.is_nan() { "—".into() } else { format!("{:.2}", r.kept_per_target_weight) },
        accuracy,
        if r.seconds.is_nan() { "—".into() } else { format!("{:.1}", r.seconds) },
        r.compact_bytes.map_or("—".into(), |b| format!("{:.1}", b as f64 / 1024.0)),
        r.note.clone(),
    ]
}

/// accuracy-density and accuracy-size (.svg, .png): each method's mean
/// test accuracy with bars from the worst to the best seed, the target's
/// as a dashed line.
fn plot_accuracy(out: &Path, data: &str, rows: &[CompareRow]) -> Result<(), String> {
    let label = |r: &CompareRow| match &r.law {
        Some(l) if r.method != "popup in the construction's network" => format!("{}, {l}", r.method),
        _ => r.method.clone(),
    };
    let methods: Vec<String> = rows.iter().filter(|r| r.method != "target").map(label).fold(Vec::new(), |mut v, m| {
        if !v.contains(&m) {
            v.push(m);
        }
        v
    });
    // One series per method, each point the mean over seeds with an
    // error bar from the worst to the best seed.
    let series = |x: &dyn Fn(&CompareRow) -> f64| -> Vec<Series> {
        methods
            .iter()
            .map(|m| {
                let mine: Vec<&CompareRow> =
                    rows.iter().filter(|r| &label(r) == m && !r.test_accuracy.is_nan()).collect();
                Series {
                    label: m.clone(),
                    points: mine.iter().map(|r| (x(r), 100.0 * r.test_accuracy)).collect(),
                    lines: true,
                    errors: mine.iter().map(|r| (100.0 * r.accuracy_min, 100.0 * r.accuracy_max)).collect(),
                    ..Default::default()
                }
            })
            .collect()
    };
    let target_acc = rows.iter().find(|r| r.method == "target").map_or(f64::NAN, |r| r.test_accuracy);
    let target_level = vec![(100.0 * target_acc, format!("the target: {:.2}%", 100.0 * target_acc))];
    let seeds = rows.iter().map(|r| r.runs).max().unwrap_or(1);
    let title_d = format!("Test accuracy against density on {data} (mean of {seeds} seeds, bars: worst to best)");
    plot::save(
        &out.join("accuracy-density"),
        &Chart {
            title: &title_d,
            x_label: "density (fraction of the random network's edges kept)",
            y_label: "test accuracy (%)",
            log_x: true,
            series: series(&|r| r.density),
            levels: target_level.clone(),
            ..Default::default()
        },
    )?;
    // Each method's tickets by the size of the network they were found in:
    // dots, not lines (the methods' networks differ, and a line through
    // them would join unlike things).
    let by_size: Vec<Series> =
        series(&|r| r.random_edges as f64).into_iter().map(|s| Series { lines: false, ..s }).collect();
    let title_s = format!("Test accuracy against random-network size on {data}, one colour per method");
    plot::save(
        &out.join("accuracy-size"),
        &Chart {
            title: &title_s,
            x_label: "edges of the random network",
            y_label: "test accuracy (%)",
            log_x: true,
            series: by_size,
            levels: target_level,
            ..Default::default()
        },
    )?;
    Ok(())
}
