//! `sslth frontier`: tickets of one target across subset
//! sizes k, sample counts n (the measured rule's and any given),
//! tolerances and input assumptions, tabulated: kept and random edges per
//! target weight, misses, compact bits per target weight beside Theorem
//! 5's floor (docs/THEORY.md §5), test accuracy, agreement, errors, build
//! time and the two Pareto fronts (no miss; accuracy within 0.1 point of
//! the target's); CSV, a Markdown table and a plot of the
//! plane (kept, block random) per target weight with Pensia et al.'s point
//! and the paper's curves.

use crate::progress;
use clap::Args;
use sslth::experiments::frontier::{frontier, FrontierConfig};
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
    /// Quantiles of each layer's |weights| to set its scale by,
    /// comma-separated, each in (0, 1] (`sslth build --scale-quantile`); 1
    /// is the largest weight, the default scale. Each quantile has its own
    /// fronts.
    #[arg(long, default_value = "1", value_delimiter = ',')]
    pub scale_quantiles: Vec<f64>,
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
    let modes = FrontierConfig::input_assumptions(&a.inputs).map_err(crate::cli_error)?;
    let cfg = FrontierConfig {
        weight_eps: a.weight_eps.clone(),
        ks: a.ks.clone(),
        ns: a.ns.clone(),
        nonneg_input: modes,
        scale_quantiles: a.scale_quantiles.clone(),
        seed: a.seed,
    };
    cfg.check().map_err(crate::cli_error)?;
    let recorded = sslth::files::recorded_data(&a.target);
    let (name, test) = sslth::data::needed_on(a.data.as_deref(), recorded.as_deref()).map_err(crate::cli_error)?;
    let (net, info) = sslth::files::target::load(&a.target, Some(test.shape)).map_err(|e| e.to_string())?;
    crate::note_assumed(&a.target, &info, false);
    std::fs::create_dir_all(&a.out).map_err(|e| format!("cannot create {}: {e}", a.out.display()))?;
    let pb = progress::bar(cfg.builds(), "building", false);
    let f = frontier(&net, &test, &cfg, &|p| progress::report(&pb, p), &|| true).map_err(crate::cli_error)?;
    pb.finish_and_clear();
    print!("{}", sslth_report::frontier::write(&a.out, &a.target, &name, &cfg, &f)?);
    println!("wrote {}, frontier.md, frontier.svg/png", a.out.join("frontier.csv").display());
    Ok(())
}
