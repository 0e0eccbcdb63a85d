//! `sslth rfss phase` and `sslth rfss coverage`: measured success
//! probabilities against the paper's thresholds (docs/THEORY.md §2, issue 5).
//! Both write CSV files (and plots) into `--out`.

use crate::{plot, progress, report};
use clap::Args;
use rfss::experiment::{self, Point, Targets};
use rfss::theory::{self, SumLaw};
use rfss::{Budget, Dist};
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

/// Checks the grid: non-empty lists, k ≥ 1, ε in (0, 1), k ≤ n/2.
fn check(g: &GridArgs) -> Result<(), String> {
    if g.dist.is_empty() || g.k.is_empty() || g.eps.is_empty() || g.n.as_ref().is_some_and(|n| n.is_empty()) {
        return Err("empty grid: give at least one distribution, k, eps (and n)".into());
    }
    if let Some(&k) = g.k.iter().find(|&&k| k == 0) {
        return Err(format!("k must be at least 1, got {k}"));
    }
    if let Some(&e) = g.eps.iter().find(|&&e| !(e > 0.0 && e < 1.0)) {
        return Err(format!("eps must be in (0, 1) (Theorem 2), got {e}"));
    }
    if let Some(ns) = &g.n {
        let kmax = *g.k.iter().max().unwrap();
        if let Some(&n) = ns.iter().find(|&&n| n < 2 * kmax) {
            return Err(format!("n = {n} is below 2k = {} (Theorem 2 needs k <= n/2)", 2 * kmax));
        }
    }
    std::fs::create_dir_all(&g.out).map_err(|e| format!("cannot create {}: {e}", g.out.display()))
}

/// The n grid of one (dist, k, ε): the given one, or 12 geometric steps
/// from max(2k, n₁/2) to `span`·n₁ around the first-moment n₁.
fn grid_ns(g: &GridArgs, dist: Dist, k: usize, eps: f64, span: f64) -> Vec<usize> {
    if let Some(ns) = &g.n {
        return ns.clone();
    }
    let law = SumLaw::new(dist, k);
    let n1 = theory::first_moment_n(&law, 0.0, eps) as f64;
    // The far end of the target range is the hardest target: reach past it.
    let n1_edge = theory::first_moment_n(&law, experiment::target_radius(dist, k), eps) as f64;
    let lo = (n1 / 2.0).max(2.0 * k as f64);
    let hi = (span * n1.max(n1_edge)).max(lo + 11.0);
    let mut ns: Vec<usize> = (0..12).map(|i| (lo * (hi / lo).powf(i as f64 / 11.0)).round() as usize).collect();
    ns.dedup();
    ns
}

/// Writes `text` to `out/name` atomically.
fn write(out: &Path, name: &str, text: &str) -> Result<(), String> {
    let p = out.join(name);
    sslth::io::write_atomic(&p, text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", p.display()))
}

/// One measured curve.
pub struct Curve {
    /// The law.
    pub dist: Dist,
    /// Subset size.
    pub k: usize,
    /// Tolerance.
    pub eps: f64,
    /// Its points.
    pub points: Vec<Point>,
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
pub fn run_phase(a: &PhaseArgs) -> Result<(), String> {
    let g = &a.grid;
    check(g)?;
    let budget = Budget { max_nodes: Some(a.max_nodes), time_limit: None };
    let mut points: Vec<(usize, Dist, usize, f64)> = g
        .dist
        .iter()
        .enumerate()
        .flat_map(|(i, &d)| {
            let grid = g.k.iter().flat_map(move |&k| g.eps.iter().map(move |&e| (k, e)));
            grid.chain(a.also.iter().copied()).map(move |(k, e)| (i, d, k, e))
        })
        .collect();
    // By law, then k, then ε from coarse to fine; each point once.
    points.sort_by(|x, y| x.0.cmp(&y.0).then(x.2.cmp(&y.2)).then(y.3.total_cmp(&x.3)));
    points.dedup_by(|x, y| x.0 == y.0 && x.2 == y.2 && x.3 == y.3);
    let combos: Vec<(Dist, usize, f64, Vec<usize>)> =
        points.into_iter().map(|(_, d, k, e)| (d, k, e, grid_ns(g, d, k, e, 3.0))).collect();
    let total: u64 = combos.iter().map(|c| c.3.len() as u64 * g.trials).sum::<u64>()
        + combos.len() as u64 * a.worst_targets as u64 * g.trials;
    let pb = progress::bar(total, "phase", g.json);
    let mut curves = Vec::new();
    let mut summary = String::from(
        "dist,k,eps,n50,ratio_at_n50,c_hyp,first_moment_n,theorem2_n_c1,theorem5_n_d1,worst_n,worst_c_hyp,worst_target,worst_p,worst_lo,worst_hi,censored,c_hyp_lo,c_hyp_hi\n",
    );
    let mut rows = Vec::new();
    let mut json = Vec::new();
    for (dist, k, eps, ns) in combos {
        let r = experiment::target_radius(dist, k);
        let targets = a.fixed_target.map_or(Targets::Uniform(r), Targets::Fixed);
        let points = experiment::phase(dist, k, eps, &ns, g.trials, targets, g.seed, budget, &|| pb.inc(1));
        // P ≥ ½ already at n = 2k (the smallest n Theorem 2 allows): n_50 is
        // censored, and says nothing about c_hyp.
        let censored = points.first().is_some_and(|p| p.p() >= 0.5 && p.n <= 2 * k);
        let n50 = if censored { None } else { experiment::n50(&points) };
        let ratio = n50.map(|n| (k as f64 / eps).log2() / theory::h2(k as f64 / n));
        let c_of = |n: f64| n * theory::h2(k as f64 / n) / (k as f64 / eps).log2();
        let c_hyp = n50.map(c_of);
        let (n_lo, n_hi) = if censored { (None, None) } else { experiment::n50_interval(&points) };
        let (c_lo, c_hi) = (n_lo.map(c_of), n_hi.map(c_of));
        let n1 = theory::first_moment_n(&SumLaw::new(dist, k), 0.0, eps);
        let (t2, t5) = (theory::theorem2_n(k, eps, 1.0), theory::theorem5_n(k, eps, 1));
        // Worst target (empirical c_thm) at the first grid n with P ≥ ½.
        let mut worst = None;
        if a.worst_targets > 0 {
            if let Some(p) = points.iter().find(|p| p.p() >= 0.5) {
                let zs: Vec<f64> = (0..a.worst_targets)
                    .map(|i| {
                        if a.worst_targets == 1 {
                            0.0
                        } else {
                            -r + 2.0 * r * i as f64 / (a.worst_targets - 1) as f64
                        }
                    })
                    .collect();
                let w = zs
                    .iter()
                    .map(|&z| {
                        (
                            z,
                            experiment::phase(
                                dist,
                                k,
                                eps,
                                &[p.n],
                                g.trials,
                                Targets::Fixed(z),
                                g.seed ^ 0x77,
                                budget,
                                &|| pb.inc(1),
                            )[0]
                            .clone(),
                        )
                    })
                    .min_by(|x, y| x.1.p().total_cmp(&y.1.p()))
                    .expect("at least one target");
                worst = Some((p.n, w.0, w.1));
            }
        }
        let f = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.4}"));
        let (wn, wc, wz, wp, wlo, whi) = match &worst {
            Some((n, z, pt)) => {
                let (lo, hi) = pt.interval();
                let c = *n as f64 / theory::rfss_ratio(k, *n, eps);
                (
                    n.to_string(),
                    format!("{c:.4}"),
                    format!("{z:.4}"),
                    format!("{:.4}", pt.p()),
                    format!("{lo:.4}"),
                    format!("{hi:.4}"),
                )
            }
            None => Default::default(),
        };
        summary += &format!(
            "{dist},{k},{eps},{},{},{},{n1},{t2},{t5},{wn},{wc},{wz},{wp},{wlo},{whi},{censored},{},{}\n",
            f(n50),
            f(ratio),
            f(c_hyp),
            f(c_lo),
            f(c_hi)
        );
        rows.push(vec![
            dist.to_string(),
            k.to_string(),
            format!("{eps:e}"),
            if censored { format!("<= {}", 2 * k) } else { f(n50) },
            f(c_hyp),
            n1.to_string(),
            t5.to_string(),
            if wp.is_empty() { String::new() } else { format!("{wp} [{wlo}, {whi}] at n = {wn}") },
        ]);
        json.push(serde_json::json!({"dist": dist.name(), "k": k, "eps": eps, "n50": n50, "c_hyp": c_hyp, "first_moment_n": n1, "theorem5_n": t5,
            "worst": worst.as_ref().map(|(n, z, p)| serde_json::json!({"n": n, "target": z, "p": p.p(), "interval": p.interval()}))}));
        curves.push(Curve { dist, k, eps, points });
    }
    pb.finish_and_clear();
    write(&g.out, "phase.csv", &points_csv(&curves))?;
    write(&g.out, "phase_summary.csv", &summary)?;
    plot::phase_curves(&g.out.join("phase"), &curves)?;
    plot::n50_line(&g.out.join("n50"), &g.out.join("phase_summary.csv"))?;
    if g.silent {
        return Ok(());
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
    Ok(())
}

/// Runs `sslth rfss coverage`.
pub fn run_coverage(a: &CoverageArgs) -> Result<(), String> {
    let g = &a.grid;
    check(g)?;
    let mut curves = Vec::new();
    let combos: Vec<(Dist, usize, f64)> =
        g.dist.iter().flat_map(|&d| g.k.iter().flat_map(move |&k| g.eps.iter().map(move |&e| (d, k, e)))).collect();
    let total: u64 = combos.iter().map(|&(d, k, e)| grid_ns(g, d, k, e, 30.0).len() as u64 * g.trials).sum();
    let pb = progress::bar(total, "coverage", g.json);
    for (dist, k, eps) in combos {
        let ns = grid_ns(g, dist, k, eps, 30.0);
        let points = experiment::coverage(dist, k, eps, &ns, g.trials, g.seed, a.max_subsets, &|| pb.inc(1));
        curves.push(Curve { dist, k, eps, points });
    }
    pb.finish_and_clear();
    write(&g.out, "coverage.csv", &points_csv(&curves))?;
    plot::coverage_curves(&g.out.join("coverage"), &curves)?;
    if g.silent {
        return Ok(());
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
    Ok(())
}
