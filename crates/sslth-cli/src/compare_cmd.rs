//! `sslth compare`: on one data set, a trained target,
//! tickets constructed from it, and tickets found by edge-popup, at the
//! same densities and from the same generator; CSV, a Markdown table and
//! two plots (accuracy against density, against the random network's
//! size).

use crate::progress;
use clap::Args;
use sslth::experiments::compare::{compare, CompareConfig};
use sslth::weights::WeightLaw;
use std::path::PathBuf;

/// Arguments of `sslth compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Dataset: digits, mnist (with --data-dir) or fashion-mnist.
    #[arg(long, default_value = "digits")]
    pub data: sslth::data::DataSet,
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
    let split = a.data.load().map_err(|e| e.to_string())?;
    // `compare` checks this too; here it comes before the folder is made.
    cfg.check_data(&split.train).map_err(crate::cli_error)?;
    std::fs::create_dir_all(&a.out).map_err(|e| format!("cannot create {}: {e}", a.out.display()))?;
    let pb = progress::bar(cfg.steps(), "comparing", false);
    let rows = compare(&split, &cfg, &|p| progress::report(&pb, p), &|| true).map_err(crate::cli_error)?;
    let rows: Vec<_> = rows.into_iter().map(|r| r.spelt(sslth::Face::Cli)).collect();
    pb.finish_and_clear();
    print!("{}", sslth_report::compare::write(&a.out, split.test.name, &rows)?);
    println!("wrote {}/compare.csv, compare.md, accuracy-density and accuracy-size (.svg, .png)", a.out.display());
    Ok(())
}
