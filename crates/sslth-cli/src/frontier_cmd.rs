//! `sslth frontier`: tickets of one target across subset
//! sizes k, sample counts n (the measured rule's and any given),
//! tolerances and input assumptions, tabulated: kept and random edges per
//! target weight, misses, compact bits per target weight beside Theorem
//! 5's floor (docs/THEORY.md §5), test accuracy, agreement, errors, build
//! time and the Pareto front; CSV, a Markdown table and a plot of the
//! plane (kept, block random) per target weight with Pensia et al.'s point
//! and the paper's curves.

use crate::plot::{self, Chart, Series};
use crate::{progress, report};
use clap::Args;
use sslth::experiments::frontier::{frontier, FrontierConfig, FrontierRow, FRONT_AGREEMENT};
use std::path::PathBuf;

/// Pensia et al. (2020), the official code's Experiment 1: an MNIST
/// 784-500-10 target (397k weights) approximated by pruning a random
/// network of 8.34 M parameters to 3.73 M, at the target's accuracy: kept
/// and random parameters per target weight.
pub const PENSIA: (f64, f64) = (9.39, 21.0);

/// Arguments of `sslth frontier`.
#[derive(Args, Debug)]
pub struct FrontierArgs {
    /// The target (dense, CNN or DeepSets safetensors).
    #[arg(long)]
    pub target: PathBuf,
    /// Data to measure on (test rows). Default: the data set the target
    /// records.
    #[arg(long)]
    pub data: Option<String>,
    /// Tolerances of every weight, comma-separated.
    #[arg(long, default_value = "0.01", value_delimiter = ',')]
    pub weight_eps: Vec<f64>,
    /// Subset sizes to build, comma-separated.
    #[arg(long, default_value = "1,2,3,4,6,8,12,16", value_delimiter = ',')]
    pub ks: Vec<usize>,
    /// Sample counts n to build for every k beside the one the measured
    /// rule gives (the same n for every layer, no repair: misses are
    /// counted), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub ns: Vec<usize>,
    /// Input assumptions, comma-separated: signed (both sides in every
    /// layer) and/or nonneg (no N side in the first layer, as `sslth build
    /// --nonneg-input`; the certificate then holds only for x >= 0).
    #[arg(long, default_value = "signed", value_delimiter = ',', value_parser = ["signed", "nonneg"])]
    pub inputs: Vec<String>,
    /// Seed of the random networks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for frontier.csv, frontier.md and frontier.svg/png (created;
    /// those files are replaced).
    #[arg(long)]
    pub out: PathBuf,
}

/// A row of frontier.csv: the library's row with its input assumption
/// named and its n per layer joined by spaces (a CSV field holds no list).
#[derive(serde::Serialize)]
struct CsvRow {
    inputs: &'static str,
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
}

impl CsvRow {
    fn of(r: &FrontierRow) -> CsvRow {
        CsvRow {
            inputs: if r.nonneg_input { "nonneg" } else { "signed" },
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
        }
    }
}

/// Runs `sslth frontier`.
pub fn run(a: &FrontierArgs) -> Result<(), String> {
    let modes = FrontierConfig::input_assumptions(&a.inputs).map_err(crate::cli_error)?;
    let cfg = FrontierConfig {
        weight_eps: a.weight_eps.clone(),
        ks: a.ks.clone(),
        ns: a.ns.clone(),
        nonneg_input: modes,
        seed: a.seed,
    };
    cfg.check().map_err(crate::cli_error)?;
    let recorded = sslth::files::recorded_data(&a.target);
    let name = a.data.clone().or(recorded).ok_or("the target records no data set; give --data")?;
    let test = sslth::data::load_test(&name).map_err(|e| e.to_string())?;
    let (net, info) = sslth::files::target::load(&a.target, Some(test.shape)).map_err(|e| e.to_string())?;
    crate::report::note_assumed(&a.target, &info, false);
    std::fs::create_dir_all(&a.out).map_err(|e| format!("cannot create {}: {e}", a.out.display()))?;
    let pb = progress::bar(cfg.builds(), "building", false);
    let f = frontier(&net, &test, &cfg, &|p| progress::report(&pb, p), &|| true).map_err(crate::cli_error)?;
    pb.finish_and_clear();
    let rows = &f.rows;
    let csv = crate::report::csv(&rows.iter().map(CsvRow::of).collect::<Vec<_>>())?;
    let table: Vec<Vec<String>> = rows.iter().map(table_row).collect();
    let md = format!(
        "Target {} ({} weights, test accuracy {:.2}% on {name}); float32 is 32 bits per weight, float16 16. \
         \"front\" marks the Pareto front of each input assumption in (kept, block random) per weight among \
         the tickets with no miss and agreement at least {}%.\n\n{}",
        a.target.display(),
        f.target_weights,
        100.0 * rows[0].target_accuracy,
        100.0 * FRONT_AGREEMENT,
        report::markdown_table(&HEAD, &table)
    );
    let write = |f: &str, s: &str| {
        sslth::files::write_atomic(&a.out.join(f), s.as_bytes()).map_err(|e| format!("cannot write {f}: {e}"))
    };
    write("frontier.csv", &csv)?;
    write("frontier.md", &md)?;
    plot_front(&a.out.join("frontier"), &cfg, &f)?;
    print!("{}", report::table(&HEAD, &table));
    println!("wrote {}, frontier.md, frontier.svg/png", a.out.join("frontier.csv").display());
    Ok(())
}

/// The columns of the printed and Markdown tables.
const HEAD: [&str; 17] = [
    "inputs",
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
        if r.on_front { "◆".into() } else { String::new() },
    ]
}

/// frontier.svg/png: each input assumption's tickets and Pareto front in
/// (kept, block random) per weight, the paper's curves and Pensia et al.'s
/// published point.
fn plot_front(
    stem: &std::path::Path,
    cfg: &FrontierConfig,
    f: &sslth::experiments::frontier::Frontier,
) -> Result<(), String> {
    let point = |r: &FrontierRow| (r.kept_per_weight, r.block_random_per_weight);
    let mut series = Vec::new();
    for &nonneg in &cfg.nonneg_input {
        let mine: Vec<&FrontierRow> = f.rows.iter().filter(|r| r.nonneg_input == nonneg).collect();
        let name = if nonneg { "non-negative inputs" } else { "signed inputs" };
        series.push(Series {
            label: format!("{name}: tickets"),
            points: mine.iter().map(|r| point(r)).collect(),
            ..Default::default()
        });
        let mut front: Vec<(f64, f64)> = mine.iter().filter(|r| r.on_front).map(|r| point(r)).collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0));
        series.push(Series {
            label: format!("{name}: Pareto front"),
            points: front,
            lines: true,
            ..Default::default()
        });
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
