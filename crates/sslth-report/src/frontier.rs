//! The frontier's outputs: frontier.csv (one row per ticket), frontier.md
//! (the table under a line naming the target), frontier.svg/png (the
//! plane of kept against block random edges per target weight).

use crate::plot::{self, Chart, Series};
use crate::text;
use sslth::experiments::frontier::{Frontier, FrontierConfig, FrontierRow, ACCURACY_FRONT_DROP, FRONT_AGREEMENT};
use std::path::Path;

/// Pensia et al. (2020), the official code's Experiment 1: an MNIST
/// 784-500-10 target (397k weights) approximated by pruning a random
/// network of 8.34 M parameters to 3.73 M, at the target's accuracy: kept
/// and random parameters per target weight.
pub const PENSIA: (f64, f64) = (9.39, 21.0);

/// Writes frontier.csv, frontier.md and frontier.svg/png of `f` (built
/// from `target` with `cfg`, measured on the data set `data`) into `out`;
/// returns the table to print.
pub fn write(out: &Path, target: &Path, data: &str, cfg: &FrontierConfig, f: &Frontier) -> Result<String, String> {
    let rows = &f.rows;
    let csv = text::csv(&rows.iter().map(CsvRow::of).collect::<Vec<_>>())?;
    let table: Vec<Vec<String>> = rows.iter().map(table_row).collect();
    let md = format!(
        "Target {} ({} weights, test accuracy {:.2}% on {data}); float32 is 32 bits per weight, float16 16. \
         \"q\" is the quantile of each layer's |weights| that sets its scale (1: the largest). \"front\" marks \
         the Pareto fronts of each input assumption and q in (kept, block random) per weight: ◆ among the \
         tickets with no miss and agreement at least {}%, ◇ among the tickets (misses allowed) with test \
         accuracy at most {} point below the target's.\n\n{}",
        target.display(),
        f.target_weights,
        100.0 * rows[0].target_accuracy,
        100.0 * FRONT_AGREEMENT,
        100.0 * ACCURACY_FRONT_DROP,
        text::markdown_table(&HEAD, &table)
    );
    text::write(out, "frontier.csv", &csv)?;
    text::write(out, "frontier.md", &md)?;
    plot_front(&out.join("frontier"), cfg, f)?;
    Ok(text::table(&HEAD, &table))
}

/// A row of frontier.csv: the library's row with its input assumption
/// named and its n per layer joined by spaces (a CSV field holds no list).
#[derive(serde::Serialize)]
struct CsvRow {
    inputs: &'static str,
    scale_quantile: f64,
    weight_eps: f64,
    k: usize,
    n: String,
    sized: bool,
    density: f64,
    kept_per_weight: f64,
    random_per_weight: f64,
    block_random_per_weight: f64,
    misses: u64,
    instances: u64,
    compact_bits_per_weight: f64,
    theorem5_floor_bits: f64,
    ticket_accuracy: f64,
    target_accuracy: f64,
    agreement: f64,
    max_error: f64,
    certified: f64,
    build_seconds: f64,
    on_front: bool,
    on_accuracy_front: bool,
}

impl CsvRow {
    fn of(r: &FrontierRow) -> CsvRow {
        CsvRow {
            inputs: if r.nonneg_input { "nonneg" } else { "signed" },
            scale_quantile: r.scale_quantile,
            weight_eps: r.weight_eps,
            k: r.k,
            n: r.n.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" "),
            sized: r.sized,
            density: r.density,
            kept_per_weight: r.kept_per_weight,
            random_per_weight: r.random_per_weight,
            block_random_per_weight: r.block_random_per_weight,
            misses: r.misses,
            instances: r.instances,
            compact_bits_per_weight: r.compact_bits_per_weight,
            theorem5_floor_bits: r.theorem5_floor_bits,
            ticket_accuracy: r.ticket_accuracy,
            target_accuracy: r.target_accuracy,
            agreement: r.agreement,
            max_error: r.max_error,
            certified: r.certified,
            build_seconds: r.build_seconds,
            on_front: r.on_front,
            on_accuracy_front: r.on_accuracy_front,
        }
    }
}

/// The columns of the printed and Markdown tables.
const HEAD: [&str; 18] = [
    "inputs",
    "q",
    "ε",
    "k",
    "n per layer",
    "density",
    "kept / weight",
    "random / weight",
    "block random / weight",
    "misses",
    "compact bits / weight",
    "Thm 5 floor bits",
    "ticket acc",
    "agreement",
    "max error",
    "certified",
    "build s",
    "front",
];

/// One ticket as a row of [`HEAD`].
fn table_row(r: &FrontierRow) -> Vec<String> {
    let ns = r.n.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" ");
    vec![
        if r.nonneg_input { "nonneg" } else { "signed" }.to_string(),
        r.scale_quantile.to_string(),
        r.weight_eps.to_string(),
        r.k.to_string(),
        format!("{ns}{}", if r.sized { " (rule)" } else { "" }),
        format!("{:.2}%", 100.0 * r.density),
        format!("{:.2}", r.kept_per_weight),
        format!("{:.1}", r.random_per_weight),
        format!("{:.1}", r.block_random_per_weight),
        format!("{:.2}%", 100.0 * r.misses as f64 / r.instances.max(1) as f64),
        format!("{:.1}", r.compact_bits_per_weight),
        format!("{:.1}", r.theorem5_floor_bits),
        format!("{:.2}%", 100.0 * r.ticket_accuracy),
        format!("{:.2}%", 100.0 * r.agreement),
        format!("{:.3e}", r.max_error),
        format!("{:.3e}", r.certified),
        format!("{:.2}", r.build_seconds),
        format!("{}{}", if r.on_front { "◆" } else { "" }, if r.on_accuracy_front { "◇" } else { "" }),
    ]
}

/// frontier.svg/png: the tickets and both Pareto fronts of each input
/// assumption and scale quantile in (kept, block random) per weight, the
/// paper's curves and Pensia et al.'s published point.
fn plot_front(stem: &std::path::Path, cfg: &FrontierConfig, f: &Frontier) -> Result<(), String> {
    let point = |r: &FrontierRow| (r.kept_per_weight, r.block_random_per_weight);
    let line = |label: String, mut points: Vec<(f64, f64)>| {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Series { label, points, lines: true, ..Default::default() }
    };
    let mut series = Vec::new();
    for &nonneg in &cfg.nonneg_input {
        for &q in &cfg.scale_quantiles {
            let mine: Vec<&FrontierRow> =
                f.rows.iter().filter(|r| r.nonneg_input == nonneg && r.scale_quantile == q).collect();
            let name = format!("{}, q {q}", if nonneg { "non-negative inputs" } else { "signed inputs" });
            series.push(Series {
                label: format!("{name}: tickets"),
                points: mine.iter().map(|r| point(r)).collect(),
                ..Default::default()
            });
            let front = |on: fn(&FrontierRow) -> bool| mine.iter().filter(|r| on(r)).map(|r| point(r)).collect();
            series.push(line(format!("{name}: front, no miss"), front(|r| r.on_front)));
            series.push(line(format!("{name}: front, accuracy"), front(|r| r.on_accuracy_front)));
        }
    }
    // The paper's curves for the first input assumption and the smallest
    // tolerance asked (the strictest: the front's tickets have at least it).
    let smallest = cfg.weight_eps.iter().copied().fold(f64::INFINITY, f64::min);
    if let Some(c) = f.theory.iter().find(|c| c.nonneg_input == cfg.nonneg_input[0] && c.weight_eps == smallest) {
        series.push(Series {
            label: format!("Theorem 2 (c = 1, ε = {smallest})"),
            points: c.theorem2.clone(),
            lines: true,
            ..Default::default()
        });
        series.push(Series {
            label: format!("Theorem 5 bound (ε = {smallest})"),
            points: c.theorem5.clone(),
            lines: true,
            ..Default::default()
        });
    }
    series.push(Series {
        label: format!("Pensia et al. 2020 ({}, {})", PENSIA.0, PENSIA.1),
        points: vec![PENSIA],
        ..Default::default()
    });
    plot::save(
        stem,
        &Chart {
            title: "Kept against random edges per target weight (random: the blocks' edges)",
            x_label: "kept edges per target weight",
            y_label: "random edges in the blocks per target weight",
            log_x: true,
            log_y: true,
            series,
            ..Default::default()
        },
    )
}
