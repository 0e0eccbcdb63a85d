//! `sslth build`: a sparse ticket for a trained target (issue 4).

use crate::model_cmd::check_output;
use crate::{progress, report};
use clap::Args;
use sslth::model::Mlp;
use sslth::ticket::{self, BuildConfig, Tolerance};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `sslth build`.
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("tolerance").required(true).args(["eps", "weight_eps"])))]
pub struct BuildArgs {
    /// The target: an MLP in safetensors, PyTorch nn.Sequential layout.
    #[arg(long)]
    pub target: PathBuf,
    /// Density: kept edges / all edges of the random network, in (0, 1].
    #[arg(long, default_value_t = 0.1)]
    pub density: f64,
    /// Bound on the whole network's error sup_{|x| <= 1} |f(x) - g(x)|,
    /// split into per-weight tolerances.
    #[arg(long)]
    pub eps: Option<f64>,
    /// Tolerance of every weight (each RFSS instance).
    #[arg(long)]
    pub weight_eps: Option<f64>,
    /// Seed of the random network.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Samples per RFSS instance for every layer (overrides the sizing).
    #[arg(long, requires = "k")]
    pub n: Option<usize>,
    /// Subset size for every layer (overrides the sizing).
    #[arg(long, requires = "n")]
    pub k: Option<usize>,
    /// The inputs are never negative (pixels): halves the first layer's
    /// kept edges; the certificate then holds only for x >= 0.
    #[arg(long)]
    pub nonneg_input: bool,
    /// The constant c of n = c·log2(k/eps)/H2(k/n) used for sizing.
    #[arg(long, default_value_t = 3.0)]
    pub c_hyp: f64,
    /// Dataset to measure the ticket on: digits or fashion-mnist.
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// Output ticket file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Write the compact format (seed, shapes, mask) instead of the full one.
    #[arg(long)]
    pub compact: bool,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON report instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `sslth build`.
pub fn run(args: &BuildArgs) -> Result<(), String> {
    check_output(&args.output, args.force)?;
    let mlp = Mlp::load(&args.target).map_err(|e| e.to_string())?;
    let split = sslth::data::load(&args.data).map_err(|e| e.to_string())?;
    if split.test.dim != mlp.layers[0].d_in {
        return Err(format!(
            "{} takes {} inputs but {} has {}",
            args.target.display(),
            mlp.layers[0].d_in,
            args.data,
            split.test.dim
        ));
    }
    let tolerance = match (args.eps, args.weight_eps) {
        (Some(e), _) => Tolerance::Network(e),
        (_, Some(e)) => Tolerance::Weight(e),
        _ => unreachable!("clap requires one of --eps and --weight-eps"),
    };
    let cfg = BuildConfig {
        seed: args.seed,
        density: args.density,
        tolerance,
        n_k: args.n.zip(args.k),
        nonneg_input: args.nonneg_input,
        c_hyp: args.c_hyp,
    };
    let t0 = Instant::now();
    let plans = ticket::plan(&mlp, &cfg)?;
    if !args.json {
        let rows: Vec<Vec<String>> = plans
            .iter()
            .enumerate()
            .map(|(i, p)| {
                vec![
                    i.to_string(),
                    format!("{}->{}", p.target.d_in, p.target.d_out),
                    p.size.n.to_string(),
                    p.size.k.to_string(),
                    format!("{:.3}", p.size.scale),
                    format!("{:.2e}", p.weight_eps),
                    p.hidden().to_string(),
                    p.random_edges().to_string(),
                    p.predicted_kept().to_string(),
                    p.instances().to_string(),
                ]
            })
            .collect();
        println!("plan (widths include the constant-1 coordinate when the target has biases):");
        print!(
            "{}",
            report::table(
                &[
                    "layer",
                    "in->out",
                    "n",
                    "k",
                    "B scale",
                    "weight eps",
                    "hidden",
                    "random edges",
                    "kept (pred.)",
                    "RFSS instances"
                ],
                &rows
            )
        );
    }
    let total_rows: u64 = plans.iter().map(|p| p.target.rows() as u64).sum();
    let pb = progress::bar(total_rows, "building", args.json);
    let t_plan = t0.elapsed();
    let t1 = Instant::now();
    let ticket = ticket::build(&mlp, &plans, args.seed, args.nonneg_input, &|| pb.inc(1));
    pb.finish_and_clear();
    let t_build = t1.elapsed();
    let t2 = Instant::now();
    let cert = ticket.certificate(&mlp);
    let t_cert = t2.elapsed();
    let t3 = Instant::now();
    let net = ticket.to_sparse();
    let cmp = sslth::eval::compare(&mlp, &net, &split.test);
    let t_eval = t3.elapsed();
    let meta = ticket.meta(&mlp, cert.bound, Some(split.test.scale));
    let bytes =
        if args.compact { sslth::format::compact_bytes(&net, &meta) } else { sslth::format::full_bytes(&net, &meta) };
    sslth::io::write_atomic(&args.output, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
    let misses: u64 = ticket.pairs.iter().map(|p| p.misses).sum();
    let instances: u64 = ticket.pairs.iter().map(|p| p.instances).sum();
    let overparam = ticket.random_edges() as f64 / mlp.weight_count() as f64;
    println!(
        "built in {} (plan {}, certificate {}, evaluation {})",
        report::duration(t_build),
        report::duration(t_plan),
        report::duration(t_cert),
        report::duration(t_eval)
    );
    println!(
        "density {:.4}% ({} of {} random edges kept), m/m_t = {:.1}, {} of {} RFSS instances missed their tolerance",
        100.0 * ticket.density(),
        ticket.kept_edges(),
        ticket.random_edges(),
        overparam,
        misses,
        instances
    );
    for (i, (l, p)) in cert.layers.iter().zip(&ticket.pairs).enumerate() {
        println!(
            "layer {i}: |W - W+|_2 = {:.3e}, |W - W-|_2 = {:.3e}, joint {:.3e}, |W|_2 = {:.3}, max weight error {:.3e}",
            l.err_pos, l.err_neg, l.err_joint, l.target_norm, p.max_weight_error
        );
    }
    println!(
        "certified error on the unit ball: {:.3e}; measured on {} test rows of {}: max {:.3e}, mean {:.3e}",
        cert.bound, cmp.rows, args.data, cmp.max_error, cmp.mean_error
    );
    println!(
        "test accuracy: target {:.2}%, ticket {:.2}%, agreement {:.2}%",
        100.0 * cmp.target_accuracy,
        100.0 * cmp.ticket_accuracy,
        100.0 * cmp.agreement
    );
    println!(
        "wrote {} ({} ticket, {:.1} KiB)",
        args.output.display(),
        if args.compact { "compact" } else { "full" },
        bytes.len() as f64 / 1024.0
    );
    Ok(())
}
