//! `sslth rfss phase` and `sslth rfss coverage`: measured success
//! probabilities against the paper's thresholds (docs/THEORY.md §2).
//! Both write CSV files (and plots) into `--out`.

use crate::progress;
use clap::Args;
use rfss::experiment::PhaseSummary;
use rfss::grid::{coverage_grid, coverage_steps, phase_grid, Curve, Grid, PhaseGrid};
use rfss::Dist;
use sslth_report::phase;
use std::path::PathBuf;

/// Options shared by `phase` and `coverage`.
#[derive(Args, Debug, Clone)]
pub struct GridArgs {
    /// Distributions: uniform, gauss, product (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "uniform,product", value_parser = parse_dist)]
    pub dist: Vec<Dist>,
    /// Subset sizes k (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    pub k: Vec<usize>,
    /// Tolerances ε in (0, 1) (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.01")]
    pub eps: Vec<f64>,
    /// Sample counts n (comma-separated); default: 12 geometric steps from
    /// max(2k, n₁/2) to 3·n₁ (phase) or 30·n₁ (coverage), n₁ the larger
    /// first-moment n of each (dist, k, ε) at z = 0 and at the range's end.
    #[arg(long, value_delimiter = ',')]
    pub n: Option<Vec<usize>>,
    /// Trials per grid point (fresh samples and target each).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    pub trials: u64,
    /// Seed of the whole experiment.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for the CSV files and plots (created if missing).
    #[arg(long, default_value = "sslth-rfss")]
    pub out: PathBuf,
    /// Print the summary as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Print nothing (used by `sslth rfss report`).
    #[arg(skip)]
    pub silent: bool,
}

/// Arguments of `sslth rfss phase`.
#[derive(Args, Debug)]
pub struct PhaseArgs {
    #[command(flatten)]
    pub grid: GridArgs,
    /// Use this fixed target in every trial instead of z uniform in the
    /// paper's range [−√k, √k] (scaled to the law's spread).
    #[arg(long, allow_negative_numbers = true)]
    pub fixed_target: Option<f64>,
    /// Targets on a grid over the range for the worst-case (c_thm)
    /// measurement at the first grid n with P ≥ ½ (0: skip).
    #[arg(long, default_value_t = 11)]
    pub worst_targets: usize,
    /// Give up on an instance (counted as a failure, reported as unknown)
    /// after this many solver nodes.
    #[arg(long, default_value_t = 20_000_000)]
    pub max_nodes: u64,
    /// Extra (k, eps) points beyond the k × eps grid, as K:EPS pairs
    /// (comma-separated): finer tolerances where large k would otherwise
    /// be censored at n = 2k, without running them for every k.
    #[arg(long, value_delimiter = ',', value_parser = parse_pair)]
    pub also: Vec<(usize, f64)>,
}

/// Parses K:EPS.
fn parse_pair(s: &str) -> Result<(usize, f64), String> {
    let (k, e) = s.split_once(':').ok_or_else(|| format!("'{s}' is not K:EPS (e.g. 8:1e-6)"))?;
    let k: usize = k.parse().map_err(|_| format!("'{k}' in '{s}' is not a subset size"))?;
    let e: f64 = e.parse().map_err(|_| format!("'{e}' in '{s}' is not a tolerance"))?;
    if k == 0 || !(e > 0.0 && e < 1.0) {
        return Err(format!("'{s}' needs k >= 1 and eps in (0, 1)"));
    }
    Ok((k, e))
}

/// Arguments of `sslth rfss coverage`.
#[derive(Args, Debug)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub grid: GridArgs,
    /// Largest C(n, k) decided exactly (all k-subset sums are sorted);
    /// larger grid points are left out.
    #[arg(long, default_value_t = 2_000_000)]
    pub max_subsets: u64,
}

fn parse_dist(s: &str) -> Result<Dist, String> {
    s.parse()
}

impl GridArgs {
    /// The library's grid.
    fn grid(&self) -> Grid {
        Grid {
            dists: self.dist.clone(),
            ks: self.k.clone(),
            eps: self.eps.clone(),
            ns: self.n.clone(),
            trials: self.trials,
            seed: self.seed,
        }
    }

    /// The checked grid, with its output folder made.
    fn prepare(&self) -> Result<Grid, String> {
        let grid = self.grid();
        grid.check()?;
        std::fs::create_dir_all(&self.out).map_err(|e| format!("cannot create {}: {e}", self.out.display()))?;
        Ok(grid)
    }
}

/// Runs `sslth rfss phase`.
pub fn run_phase(a: &PhaseArgs) -> Result<Vec<PhaseSummary>, String> {
    let g = &a.grid;
    let pg = PhaseGrid {
        grid: g.prepare()?,
        fixed_target: a.fixed_target,
        worst_targets: a.worst_targets,
        max_nodes: a.max_nodes,
        also: a.also.clone(),
    };
    pg.check()?;
    let pb = progress::bar(pg.steps(), "phase", g.json);
    let summaries = phase_grid(&pg, &|| pb.inc(1))?;
    pb.finish_and_clear();
    phase::write_phase(&g.out, &summaries)?;
    if g.silent {
        return Ok(summaries);
    }
    if g.json {
        println!("{}", serde_json::to_string_pretty(&phase::phase_json(&summaries)).expect("serialisable"));
    } else {
        print!("{}", phase::phase_table(&summaries));
        println!("wrote {}/phase.csv, phase_summary.csv, phase.svg/png, n50.svg/png", g.out.display());
    }
    Ok(summaries)
}

/// Runs `sslth rfss coverage`.
pub fn run_coverage(a: &CoverageArgs) -> Result<Vec<Curve>, String> {
    let g = &a.grid;
    let grid = g.prepare()?;
    let pb = progress::bar(coverage_steps(&grid), "coverage", g.json);
    let curves = coverage_grid(&grid, a.max_subsets, &|| pb.inc(1))?;
    pb.finish_and_clear();
    phase::write_coverage(&g.out, &curves)?;
    if g.silent {
        return Ok(curves);
    }
    if g.json {
        println!("{}", serde_json::to_string_pretty(&phase::coverage_rows(&curves)).expect("serialisable"));
    } else {
        print!("{}", phase::coverage_table(&curves));
        println!("wrote {}/coverage.csv, coverage.svg/png", g.out.display());
    }
    Ok(curves)
}
