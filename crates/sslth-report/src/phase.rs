//! The RFSS experiments' data and tables: phase.csv and coverage.csv (one
//! line per grid point), phase_summary.csv (one line per (law, k, ε)), the
//! printed tables and `--json`, and their plots (see [`crate::curves`]).

use crate::{curves, text};
use rfss::experiment::{self, PhaseSummary};
use rfss::grid::Curve;
use std::path::Path;

/// The columns of phase_summary.csv.
const SUMMARY_HEAD: &str = "dist,k,eps,n50,ratio_at_n50,c_hyp,first_moment_n,theorem2_n_c1,theorem5_n_d1,worst_n,worst_c_hyp,worst_target,worst_p,worst_lo,worst_hi,censored,c_hyp_lo,c_hyp_hi\n";

/// Writes phase.csv, phase_summary.csv, phase.svg/png and n50.svg/png of
/// `summaries` into `out`.
pub fn write_phase(out: &Path, summaries: &[PhaseSummary]) -> Result<(), String> {
    let mut summary = String::from(SUMMARY_HEAD);
    summaries.iter().for_each(|r| summary += &summary_line(r));
    let curves: Vec<Curve> = summaries.iter().map(Curve::of).collect();
    text::write(out, "phase.csv", &points_csv(&curves))?;
    text::write(out, "phase_summary.csv", &summary)?;
    curves::phase_curves(&out.join("phase"), &curves)?;
    curves::n50_line(&out.join("n50"), summaries)
}

/// The printed table of `summaries`.
pub fn phase_table(summaries: &[PhaseSummary]) -> String {
    let rows: Vec<Vec<String>> = summaries.iter().map(table_row).collect();
    text::table(
        &[
            "dist",
            "k",
            "eps",
            "n_50",
            "c_hyp = n_50/ratio",
            "first-moment n",
            "Thm 5 n (d=1)",
            "worst-target P (c_thm)",
        ],
        &rows,
    )
}

/// `summaries` as `--json` prints them.
pub fn phase_json(summaries: &[PhaseSummary]) -> serde_json::Value {
    serde_json::Value::Array(summaries.iter().map(json_of).collect())
}

/// Writes coverage.csv and coverage.svg/png of `curves` into `out`.
pub fn write_coverage(out: &Path, curves: &[Curve]) -> Result<(), String> {
    text::write(out, "coverage.csv", &points_csv(curves))?;
    curves::coverage_curves(&out.join("coverage"), curves)
}

/// The coverage summary per curve: law, k, ε, the n with P(cover) = ½
/// and the largest n decided (the printed table's rows and `--json`).
pub fn coverage_rows(curves: &[Curve]) -> Vec<Vec<String>> {
    curves
        .iter()
        .map(|c| {
            let n50 = experiment::n50(&c.points);
            let largest = c.points.last().map(|p| p.n.to_string()).unwrap_or_default();
            vec![
                c.dist.to_string(),
                c.k.to_string(),
                format!("{:e}", c.eps),
                n50.map_or(String::new(), |v| format!("{v:.1}")),
                largest,
            ]
        })
        .collect()
}

/// The printed coverage table.
pub fn coverage_table(curves: &[Curve]) -> String {
    text::table(&["dist", "k", "eps", "n with P(cover) = 1/2", "largest n decided"], &coverage_rows(curves))
}

/// The grid points of `curves` as CSV (phase.csv, coverage.csv).
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
