//! `sslth frontier` (issue 9, item 4): tickets of one target across subset
//! sizes k, each sized by the measured rule of `--k`, tabulated: kept and
//! random edges per target weight, misses, compact bits per target weight
//! beside Theorem 5's floor (docs/THEORY.md §5) and float32/float16, test
//! accuracy, agreement, errors, build time; CSV, a Markdown table and a
//! plot.

use crate::plot::{self, Chart, Series};
use crate::{progress, report};
use clap::Args;
use sslth::experiments::frontier::{frontier, FrontierConfig, FrontierRow};
use std::path::PathBuf;

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
    /// Tolerance of every weight.
    #[arg(long, default_value_t = 0.01)]
    pub weight_eps: f64,
    /// Subset sizes to build, comma-separated.
    #[arg(long, default_value = "1,2,3,4,6,8,12,16", value_delimiter = ',')]
    pub ks: Vec<usize>,
    /// Treat the inputs as non-negative (see `sslth build`).
    #[arg(long)]
    pub nonneg_input: bool,
    /// Seed of the random networks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for frontier.csv, frontier.md and frontier.svg/png (created;
    /// those files are replaced).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `sslth frontier`.
pub fn run(a: &FrontierArgs) -> Result<(), String> {
    let cfg = FrontierConfig { weight_eps: a.weight_eps, ks: a.ks.clone(), nonneg_input: a.nonneg_input, seed: a.seed };
    cfg.check()?;
    let recorded = sslth::files::recorded_data(&a.target);
    let name = a.data.clone().or(recorded).ok_or("the target records no data set; give --data")?;
    let split = sslth::data::load(&name).map_err(|e| e.to_string())?;
    let (net, _) = sslth::files::target::load(&a.target, Some(split.test.shape)).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&a.out).map_err(|e| format!("cannot create {}: {e}", a.out.display()))?;
    let pb = progress::bar(a.ks.len() as u64, "building", false);
    let f = frontier(&net, &split.test, &cfg, &|p| progress::report(&pb, p), &|| true)?;
    pb.finish_and_clear();
    let (rows, weights) = (&f.rows, f.target_weights as f64);
    let mut csv = String::from("k,n,density,kept_per_weight,random_per_weight,block_random_per_weight,misses,instances,compact_bits_per_weight,theorem5_floor_bits,ticket_accuracy,target_accuracy,agreement,max_error,certified,build_seconds\n");
    let mut table = Vec::new();
    for r in rows {
        let ns = r.n.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" ");
        csv += &format!(
            "{},{ns},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.k,
            r.density,
            r.kept_per_weight,
            r.random_per_weight,
            r.block_random_per_weight,
            r.misses,
            r.instances,
            r.compact_bits_per_weight,
            r.theorem5_floor_bits,
            r.ticket_accuracy,
            r.target_accuracy,
            r.agreement,
            r.max_error,
            r.certified,
            r.build_seconds
        );
        table.push(vec![
            r.k.to_string(),
            ns,
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
        ]);
    }
    let head = [
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
    ];
    let md = format!(
        "Target {} ({} weights, test accuracy {:.2}% on {name}), --weight-eps {}{}; float32 is 32 bits per \
         weight, float16 16.\n\n|{}|\n|{}|\n{}",
        a.target.display(),
        weights,
        100.0 * rows[0].target_accuracy,
        a.weight_eps,
        if a.nonneg_input { ", --nonneg-input" } else { "" },
        head.join("|"),
        head.iter().map(|_| "---").collect::<Vec<_>>().join("|"),
        table.iter().map(|r| format!("|{}|\n", r.join("|"))).collect::<String>()
    );
    let write = |f: &str, s: &str| {
        sslth::files::write_atomic(&a.out.join(f), s.as_bytes()).map_err(|e| format!("cannot write {f}: {e}"))
    };
    write("frontier.csv", &csv)?;
    write("frontier.md", &md)?;
    let label = |r: &FrontierRow| format!("k = {}: {:.2}% accurate", r.k, 100.0 * r.ticket_accuracy);
    let mut series: Vec<Series> = rows
        .iter()
        .map(|r| Series { label: label(r), points: vec![(r.kept_per_weight, r.random_per_weight)], lines: false })
        .collect();
    series.push(Series {
        label: "Theorem 2's n at c = 1 for every layer (k = 1 … 32)".into(),
        points: f.theorem2,
        lines: true,
    });
    series.push(Series { label: "Theorem 5 per weight (d = 1): lower bound".into(), points: f.theorem5, lines: true });
    plot::save(
        &a.out.join("frontier"),
        &Chart {
            title: "Kept against random edges per target weight (k from the grid, n by the measured rule)",
            x_label: "kept edges per target weight",
            y_label: "random edges per target weight",
            log_x: true,
            log_y: true,
            y_range: None,
            series,
            marks: vec![(9.4, "Pensia et al. 2020: 9.4 kept / weight".into(), 9)],
        },
    )?;
    print!("{}", report::table(&head, &table));
    println!("wrote {}, frontier.md, frontier.svg/png", a.out.join("frontier.csv").display());
    Ok(())
}
