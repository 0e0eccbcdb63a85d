//! `sslth compare`: on one data set, a trained target,
//! tickets constructed from it, and tickets found by edge-popup, at the
//! same densities and from the same generator; CSV, a Markdown table and
//! two plots (accuracy against density, against the random network's
//! size).

use crate::plot::{self, Chart, Series};
use crate::{progress, report};
use clap::Args;
use sslth::experiments::compare::{compare, CompareConfig, CompareRow};
use sslth::weights::WeightLaw;
use std::path::PathBuf;

/// Arguments of `sslth compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Dataset: digits, mnist (with --data-dir) or fashion-mnist.
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// The target's widths (an MLP with biases, trained here).
    #[arg(long, value_parser = crate::args::parse_arch)]
    pub arch: crate::args::Arch,
    /// Epochs of the target's training (Adam, as `sslth train`).
    #[arg(long, default_value_t = 20)]
    pub target_epochs: usize,
    /// Densities (fraction of edges KEPT), comma-separated.
    #[arg(long, default_value = "0.5,0.3,0.1,0.05,0.01", value_delimiter = ',')]
    pub densities: Vec<f64>,
    /// Width multipliers of edge-popup's random networks of the target's
    /// shape (hidden widths times each).
    #[arg(long, default_value = "1,2,4", value_delimiter = ',')]
    pub widths: Vec<usize>,
    /// Weight laws of edge-popup's networks of the target's shape
    /// (uniform, signed-constant), comma-separated.
    #[arg(long, default_value = "uniform,signed-constant", value_delimiter = ',',
          value_parser = crate::args::named::<WeightLaw>(&WeightLaw::NAMES))]
    pub laws: Vec<WeightLaw>,
    /// Epochs of edge-popup's final run in every network.
    #[arg(long, default_value_t = 20)]
    pub popup_epochs: usize,
    /// Learning rates edge-popup's search tries in every network (each
    /// trained on nine tenths of the training rows, scored on the last
    /// tenth), comma-separated.
    #[arg(long, default_value = "0.1,0.01,0.001", value_delimiter = ',')]
    pub lrs: Vec<f64>,
    /// Epochs of each learning rate's trial [default: --popup-epochs].
    #[arg(long)]
    pub tune_epochs: Option<usize>,
    /// Seeds per cell (seed, seed + 1, …): each cell reports the mean and
    /// spread of its test accuracy over them.
    #[arg(long, default_value_t = 3)]
    pub seeds: usize,
    /// Tolerance of every weight of the constructed tickets.
    #[arg(long, default_value_t = 0.01)]
    pub weight_eps: f64,
    /// Run edge-popup in the construction's own random network only when
    /// it has at most this many edges (an epoch costs about its edges ×
    /// the training rows × 6 flops).
    #[arg(long, default_value_t = 5_000_000)]
    pub popup_max_edges: u64,
    /// Seed of every random network, training and batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for compare.csv, compare.md and the plots (created; those
    /// files are replaced).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `sslth compare`.
pub fn run(a: &CompareArgs) -> Result<(), String> {
    if a.arch.pool.is_some() {
        return Err("compare trains an MLP target: drop the ':' from --arch".into());
    }
    let cfg = CompareConfig {
        arch: a.arch.widths.clone(),
        target_epochs: a.target_epochs,
        densities: a.densities.clone(),
        widths: a.widths.clone(),
        laws: a.laws.clone(),
        popup_epochs: a.popup_epochs,
        lrs: a.lrs.clone(),
        tune_epochs: a.tune_epochs.unwrap_or(a.popup_epochs),
        seeds: a.seeds,
        weight_eps: a.weight_eps,
        popup_max_edges: a.popup_max_edges,
        seed: a.seed,
    };
    cfg.check().map_err(crate::cli_error)?;
    let split = sslth::data::load(&a.data).map_err(|e| e.to_string())?;
    cfg.check_data(&split.train).map_err(crate::cli_error)?;
    std::fs::create_dir_all(&a.out).map_err(|e| format!("cannot create {}: {e}", a.out.display()))?;
    let pb = progress::bar(cfg.steps(), "comparing", false);
    let rows = compare(&split, &cfg, &|p| progress::report(&pb, p), &|| true).map_err(crate::cli_error)?;
    pb.finish_and_clear();
    write_outputs(a, split.test.name, &rows)
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

fn write_outputs(a: &CompareArgs, data: &str, rows: &[CompareRow]) -> Result<(), String> {
    let csv = crate::report::csv(rows)?;
    let table: Vec<Vec<String>> = rows.iter().map(table_row).collect();
    let md = report::markdown_table(&HEAD, &table);
    let write = |f: &str, s: &str| {
        sslth::files::write_atomic(&a.out.join(f), s.as_bytes()).map_err(|e| format!("cannot write {f}: {e}"))
    };
    write("compare.csv", &csv)?;
    write("compare.md", &md)?;
    plot_accuracy(&a.out, data, rows)?;
    print!("{}", report::table(&HEAD, &table));
    println!("wrote {}/compare.csv, compare.md, accuracy-density and accuracy-size (.svg, .png)", a.out.display());
    Ok(())
}

/// accuracy-density and accuracy-size (.svg, .png): each method's mean
/// test accuracy with bars from the worst to the best seed, the target's
/// as a dashed line.
fn plot_accuracy(out: &std::path::Path, data: &str, rows: &[CompareRow]) -> Result<(), String> {
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
