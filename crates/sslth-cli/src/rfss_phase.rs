//! `sslth rfss phase` and `sslth rfss coverage`: measured success
//! probabilities against the paper's thresholds (docs/THEORY.md §2).
//! Both write CSV files (and plots) into `--out`.

use crate::{plot, progress, report};
use clap::Args;
use rfss::experiment::{self, PhaseSummary};
use rfss::grid::{coverage_grid, coverage_steps, phase_grid, Curve, Grid, PhaseGrid};
use rfss::Dist;
use std::path::{Path, PathBuf};

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

/// Writes `text` to `out/name` atomically.
fn write(out: &Path, name: &str, text: &str) -> Result<(), String> {
    let p = out.join(name);
    sslth::files::write_atomic(&p, text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", p.display()))
}

fn points_csv(curves: &[Curve]) -> String {
    let mut csv = String::from("dist,k,eps,n,trials,successes,unknown,p,wilson_lo,wilson_hi\n");
    for c in curves {
        for p in &c.points {
            let (lo, hi) = p.interval();
            csv += &format!(
                "{},{},{},{},{},{},{},{},{},{}\n",
                c.dist,
                c.k,
                c.eps,
                p.n,
                p.trials,
                p.successes,
                p.unknown,
                p.p(),
                lo,
                hi
            );
        }
    }
    csv
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
    let mut summary = String::from(
        "dist,k,eps,n50,ratio_at_n50,c_hyp,first_moment_n,theorem2_n_c1,theorem5_n_d1,worst_n,worst_c_hyp,worst_target,worst_p,worst_lo,worst_hi,censored,c_hyp_lo,c_hyp_hi\n",
    );
    summaries.iter().for_each(|r| summary += &summary_line(r));
    let rows: Vec<Vec<String>> = summaries.iter().map(table_row).collect();
    let json: Vec<serde_json::Value> = summaries.iter().map(json_of).collect();
    let curves: Vec<Curve> = summaries.iter().map(Curve::of).collect();
    pb.finish_and_clear();
    write(&g.out, "phase.csv", &points_csv(&curves))?;
    write(&g.out, "phase_summary.csv", &summary)?;
    plot::phase_curves(&g.out.join("phase"), &curves)?;
    plot::n50_line(&g.out.join("n50"), &summaries)?;
    if g.silent {
        return Ok(summaries);
    }
    if g.json {
        println!("{}", serde_json::to_string_pretty(&json).expect("serialisable"));
    } else {
        print!(
            "{}",
            report::table(
                &[
                    "dist",
                    "k",
                    "eps",
                    "n_50",
                    "c_hyp = n_50/ratio",
                    "first-moment n",
                    "Thm 5 n (d=1)",
                    "worst-target P (c_thm)"
                ],
                &rows
            )
        );
        println!("wrote {}/phase.csv, phase_summary.csv, phase.svg/png, n50.svg/png", g.out.display());
    }
    Ok(summaries)
}

/// Four decimals, or nothing for no value.
fn f4(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v:.4}"))
}

/// The worst-target cells of a point: n, c_hyp, target, P and its 95%
/// interval, four decimals each; empty without a worst-target measurement.
fn worst_cells(r: &PhaseSummary) -> [String; 6] {
    match &r.worst {
        Some(w) => {
            let (lo, hi) = w.point.interval();
            [
                w.n.to_string(),
                format!("{:.4}", w.c_hyp),
                format!("{:.4}", w.target),
                format!("{:.4}", w.point.p()),
                format!("{lo:.4}"),
                format!("{hi:.4}"),
            ]
        }
        None => Default::default(),
    }
}

/// One point as a line of phase_summary.csv.
fn summary_line(r: &PhaseSummary) -> String {
    let [wn, wc, wz, wp, wlo, whi] = worst_cells(r);
    format!(
        "{},{},{},{},{},{},{},{},{},{wn},{wc},{wz},{wp},{wlo},{whi},{},{},{}\n",
        r.dist,
        r.k,
        r.eps,
        f4(r.n50),
        f4(r.ratio),
        f4(r.c_hyp),
        r.first_moment_n,
        r.theorem2_n,
        r.theorem5_n,
        r.censored,
        f4(r.c_hyp_interval.0),
        f4(r.c_hyp_interval.1)
    )
}

/// One point as a row of the printed table.
fn table_row(r: &PhaseSummary) -> Vec<String> {
    let [wn, _, _, wp, wlo, whi] = worst_cells(r);
    vec![
        r.dist.to_string(),
        r.k.to_string(),
        format!("{:e}", r.eps),
        if r.censored { format!("<= {}", 2 * r.k) } else { f4(r.n50) },
        f4(r.c_hyp),
        r.first_moment_n.to_string(),
        r.theorem5_n.to_string(),
        if wp.is_empty() { String::new() } else { format!("{wp} [{wlo}, {whi}] at n = {wn}") },
    ]
}

/// One point as `--json` prints it.
fn json_of(r: &PhaseSummary) -> serde_json::Value {
    serde_json::json!({"dist": r.dist.name(), "k": r.k, "eps": r.eps, "n50": r.n50, "c_hyp": r.c_hyp,
        "first_moment_n": r.first_moment_n, "theorem5_n": r.theorem5_n,
        "worst": r.worst.as_ref().map(|w| serde_json::json!({"n": w.n, "target": w.target, "p": w.point.p(), "interval": w.point.interval()}))})
}

/// Runs `sslth rfss coverage`.
pub fn run_coverage(a: &CoverageArgs) -> Result<Vec<Curve>, String> {
    let g = &a.grid;
    let grid = g.prepare()?;
    let pb = progress::bar(coverage_steps(&grid), "coverage", g.json);
    let curves = coverage_grid(&grid, a.max_subsets, &|| pb.inc(1))?;
    pb.finish_and_clear();
    write(&g.out, "coverage.csv", &points_csv(&curves))?;
    plot::coverage_curves(&g.out.join("coverage"), &curves)?;
    if g.silent {
        return Ok(curves);
    }
    let mut rows = Vec::new();
    for c in &curves {
        let n50 = experiment::n50(&c.points);
        let largest = c.points.last().map(|p| p.n.to_string()).unwrap_or_default();
        rows.push(vec![
            c.dist.to_string(),
            c.k.to_string(),
            format!("{:e}", c.eps),
            n50.map_or(String::new(), |v| format!("{v:.1}")),
            largest,
        ]);
    }
    if g.json {
        println!("{}", serde_json::to_string_pretty(&rows).expect("serialisable"));
    } else {
        print!("{}", report::table(&["dist", "k", "eps", "n with P(cover) = 1/2", "largest n decided"], &rows));
        println!("wrote {}/coverage.csv, coverage.svg/png", g.out.display());
    }
    Ok(curves)
}
