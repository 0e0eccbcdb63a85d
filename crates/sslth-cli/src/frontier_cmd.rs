//! `sslth frontier` (issue 9, item 4): tickets of one target across subset
//! sizes k, each sized by the measured rule of `--k`, tabulated: kept and
//! random edges per target weight, misses, compact bits per target weight
//! beside Theorem 5's floor (docs/THEORY.md §5) and float32/float16, test
//! accuracy, agreement, errors, build time; CSV, a Markdown table and a
//! plot.

use crate::plot::{self, Chart, Series};
use crate::{progress, report};
use clap::Args;
use sslth::construction::{BuildConfig, Tolerance};
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

/// One ticket of the frontier.
#[derive(Clone, Debug, serde::Serialize)]
struct Row {
    k: usize,
    n: Vec<usize>,
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
}

/// Runs `sslth frontier`.
pub fn run(a: &FrontierArgs) -> Result<(), String> {
    if a.ks.is_empty() || a.ks.contains(&0) {
        return Err("--ks needs subset sizes of at least 1".into());
    }
    if !(a.weight_eps > 0.0 && a.weight_eps.is_finite()) {
        return Err(format!("--weight-eps must be a finite number > 0, got {}", a.weight_eps));
    }
    let recorded = sslth::files::runnable::recorded_data(&a.target);
    let name = a.data.clone().or(recorded).ok_or("the target records no data set; give --data")?;
    let split = sslth::data::load(&name).map_err(|e| e.to_string())?;
    let (net, _) = sslth::files::target::load(&a.target, Some(split.test.shape)).map_err(|e| e.to_string())?;
    let weights = net.weight_count() as f64;
    std::fs::create_dir_all(&a.out).map_err(|e| format!("cannot create {}: {e}", a.out.display()))?;
    let pb = progress::bar(a.ks.len() as u64, "building", false);
    let mut rows = Vec::new();
    for &k in &a.ks {
        let cfg = BuildConfig {
            seed: a.seed,
            density: 1.0,
            tolerance: Tolerance::Weight(a.weight_eps),
            n_k: None,
            k: Some(k),
            nonneg_input: a.nonneg_input,
            scale: None,
            accept_over_eps: false,
        };
        let built = match sslth::experiments::pipeline::build_and_measure(
            &net,
            &cfg,
            Some(&split.test),
            Some(split.test.scale),
            |_| {},
            &|| {},
        ) {
            Ok(b) => b,
            Err(e) => {
                pb.println(format!("k = {k}: {e}"));
                pb.inc(1);
                continue;
            }
        };
        let compact = sslth::files::compact_bytes(&built.net, &built.meta);
        let (instances, misses) = built.instances();
        let c = built.comparison.as_ref().expect("measured on the test rows");
        rows.push(Row {
            k,
            n: built.meta.pairs.iter().map(|p| p.n).collect(),
            density: built.ticket.density(),
            kept_per_weight: built.ticket.kept_edges() as f64 / weights,
            random_per_weight: built.ticket.random_edges() as f64 / weights,
            block_random_per_weight: built.ticket.block_edges() as f64 / weights,
            misses,
            instances,
            compact_bits_per_weight: compact.len() as f64 * 8.0 / weights,
            theorem5_floor_bits: ((k as f64).sqrt() / (2.0 * a.weight_eps)).log2(),
            ticket_accuracy: c.ticket_accuracy,
            target_accuracy: c.target_accuracy,
            agreement: c.agreement,
            max_error: c.max_error,
            certified: built.certificate.bound,
            build_seconds: built.build_time.as_secs_f64(),
        });
        pb.inc(1);
    }
    pb.finish_and_clear();
    if rows.is_empty() {
        return Err("no k could be built".into());
    }
    let mut csv = String::from("k,n,density,kept_per_weight,random_per_weight,block_random_per_weight,misses,instances,compact_bits_per_weight,theorem5_floor_bits,ticket_accuracy,target_accuracy,agreement,max_error,certified,build_seconds\n");
    let mut table = Vec::new();
    for r in &rows {
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
    let label = |r: &Row| format!("k = {}: {:.2}% accurate", r.k, 100.0 * r.ticket_accuracy);
    let (theorem2, theorem5) = theory_curves(&net, a.nonneg_input, a.weight_eps, weights)?;
    let mut series: Vec<Series> = rows
        .iter()
        .map(|r| Series { label: label(r), points: vec![(r.kept_per_weight, r.random_per_weight)], lines: false })
        .collect();
    series.push(Series {
        label: "Theorem 2's n at c = 1 for every layer (k = 1 … 32)".into(),
        points: theorem2,
        lines: true,
    });
    series.push(Series { label: "Theorem 5 per weight (d = 1): lower bound".into(), points: theorem5, lines: true });
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
    println!("wrote {}/frontier.csv, frontier.md, frontier.svg/png", a.out.display());
    Ok(())
}

/// Points (kept, random) per target weight.
type Curve = Vec<(f64, f64)>;

/// The paper's two curves in the plot's plane, per target weight, for k
/// = 1 … 32 kept B edges per RFSS instance (A edges left out of x):
/// - Theorem 2 at its measured constant (c = 1, docs/results/rfss.md): the
///   construction's dense random network if each layer had
///   n = log2(k/ε′)/H2(k/n);
/// - Theorem 5's lower bound for one coefficient at a time (d = 1, as in
///   the floor of the bits column): each RFSS instance needs
///   n ≥ ½·log2(k/ε′)/H2(k/n) random parameters of its own. (The d × d
///   form bounds targets of spectral norm up to √k, entries far beyond a
///   trained layer's, and would overstate the floor here.)
///
/// ε′ is the tolerance in the units of Theorem 2's Uniform[−1, 1] samples:
/// a layer's products a·b with B on [−S, S) have standard deviation S/3
/// against 1/√3, so ε′ = ε·√3/S, S the scale sslth gives that k
/// (docs/THEORY.md §3.2).
fn theory_curves(net: &sslth::net::Network, nonneg: bool, eps: f64, weights: f64) -> Result<(Curve, Curve), String> {
    use rfss::theory::{theorem2_n, theorem5_n};
    let layers = sslth::construction::augmented_layers(net, nonneg)?;
    let (mut t2, mut t5) = (Vec::new(), Vec::new());
    for k in 1..=32usize {
        let (mut kept, mut random2, mut random5) = (0.0, 0.0, 0.0);
        for l in &layers {
            let c = &l.coefficients;
            let instances: usize = (0..c.d_in)
                .map(|j| {
                    let nonzero = c.values.chunks_exact(c.d_in).filter(|row| row[j] != 0.0).count();
                    nonzero * if l.nonneg[j] { 1 } else { 2 }
                })
                .sum();
            let eps_rel = eps * 3f64.sqrt() / sslth::construction::scale_for(c.max_abs(), k);
            let n = theorem2_n(k, eps_rel, 1.0) as f64;
            kept += (instances * k) as f64;
            random2 += c.basis as f64 * 2.0 * n * c.d_in as f64 * (c.d_in + c.d_out) as f64;
            random5 += (instances as u64 * theorem5_n(k, eps_rel, 1)) as f64;
        }
        t2.push((kept / weights, random2 / weights));
        t5.push((kept / weights, random5 / weights));
    }
    Ok((t2, t5))
}
