//! `sslth build`: a sparse ticket for a trained target.

use crate::args::{check_output, TicketOutput};
use crate::progress;
use clap::Args;
use sslth::construction::{BuildConfig, BuildOptions, LayerPlan};
use sslth::experiments::pipeline::BuildReport;
use sslth::net::Network;
use sslth_report::text;
use std::path::PathBuf;

/// Arguments of `sslth build`.
#[derive(Args, Debug)]
#[command(allow_negative_numbers = true, group(clap::ArgGroup::new("tolerance").required(true).args(["eps", "weight_eps"])))]
pub struct BuildArgs {
    /// The target: a safetensors file sslth wrote (train, from_torch) with
    /// its architecture, or a PyTorch nn.Sequential MLP state_dict.
    #[arg(long)]
    pub target: PathBuf,
    /// Density: kept edges / all edges of the random network, in (0, 1]:
    /// the largest k whose ticket, sized by the measured rule, is no
    /// denser (docs/THEORY.md §3.2) [default: 0.1 unless --k].
    #[arg(long, conflicts_with = "k")]
    pub density: Option<f64>,
    /// Bound on the whole network's error sup_{|x| <= 1} |f(x) - g(x)|,
    /// split into per-weight tolerances; a build whose certified error
    /// exceeds it fails (see --accept-over-eps).
    #[arg(long)]
    pub eps: Option<f64>,
    /// Tolerance of every weight (each RFSS instance).
    #[arg(long)]
    pub weight_eps: Option<f64>,
    /// Seed of the random network.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Samples per RFSS instance for every layer (overrides the sizing;
    /// needs --k).
    #[arg(long, requires = "k")]
    pub n: Option<usize>,
    /// Subset size k for every layer (kept edges per target weight and
    /// side with --subsets fixed, at most that with fewest, 2k for a
    /// weight nothing smaller serves); each layer's n is then the smallest
    /// whose measured miss rate is at most 0.5% (docs/THEORY.md §3.2),
    /// unless --n gives it.
    #[arg(long)]
    pub k: Option<usize>,
    /// Which subset each weight keeps among those within tolerance:
    /// `fewest` (the fewest edges: sizes 1, 2, … up to 2k, the first that
    /// holds one) or `fixed` (the paper's size k first, other sizes only
    /// when no k-subset is within tolerance); docs/THEORY.md §3.2.
    #[arg(long, value_name = "ORDER", default_value = "fewest", value_parser = sslth::ticket::SubsetOrder::parse)]
    pub subsets: sslth::ticket::SubsetOrder,
    /// The inputs are never negative (pixels): halves the first layer's
    /// kept edges; the certificate then holds only for x >= 0.
    #[arg(long)]
    pub nonneg_input: bool,
    /// One fixed scale S for every B layer (uniform on [-S, S)), chosen
    /// before seeing the target, so that the random network does not
    /// depend on it; the build fails if S cannot reach the target's
    /// coefficients. Default: a per-layer scale from the target.
    #[arg(long)]
    pub scale: Option<f64>,
    /// Set each layer's scale by this quantile of its non-zero |weights|
    /// instead of the largest, in (0, 1] (docs/THEORY.md §3.4): fewer kept
    /// edges, more random ones. Default: the largest.
    #[arg(long, conflicts_with = "scale")]
    pub scale_quantile: Option<f64>,
    /// With --eps: write the ticket even if its certified error exceeds
    /// eps (the report says so). Without it such a build fails.
    #[arg(long, requires = "eps")]
    pub accept_over_eps: bool,
    /// Write the ticket even if some RFSS instances miss their tolerance
    /// after the build has raised n to repair them (the report counts
    /// them and gives the worst error). Without it such a build fails.
    #[arg(long)]
    pub accept_misses: bool,
    /// Data to measure the ticket on (test rows): digits, fashion-mnist,
    /// or none. Default: the data set the target records (sslth train
    /// writes it), else none; with none the ticket is built and certified
    /// but not measured.
    #[arg(long)]
    pub data: Option<String>,
    #[command(flatten)]
    pub budget: crate::args::WalkBudget,
    /// The ticket file written, and how the command reports.
    #[command(flatten)]
    pub out: TicketOutput,
    /// Build only share I of N (0 <= I < N) of the rows, into a shard
    /// file for `sslth merge` (docs/FORMAT.md); the N shares, run anywhere
    /// with the same options, merge into exactly this command's ticket.
    #[arg(long, value_name = "I/N", conflicts_with = "compact")]
    pub shard: Option<String>,
    /// With --shard: the shard files of all earlier rounds of this build;
    /// this share then builds the next round, the pairs they leave to
    /// repair (at the larger n a one-machine build would use).
    #[arg(long, requires = "shard", num_args = 1..)]
    pub after: Vec<PathBuf>,
}

/// Runs `sslth build`.
pub fn run(args: &BuildArgs) -> Result<(), String> {
    if args.out.output == args.target {
        return Err("--output must differ from --target (inputs are never overwritten)".into());
    }
    check_output(&args.out.output, args.out.force)?;
    let recorded = sslth::files::runnable::recorded_data(&args.target);
    let measured = sslth::data::measured_on(args.data.as_deref(), recorded.as_deref()).map_err(|e| e.to_string())?;
    let (data, test) = measured.unzip();
    let (net, info) =
        sslth::files::target::load(&args.target, test.as_ref().map(|t| t.shape)).map_err(|e| e.to_string())?;
    crate::note_assumed(&args.target, &info, args.out.json);
    // The scale the ticket records is the target's own: an export records
    // none, and a ticket measured with --data must not scale inputs its
    // target takes as they are.
    let input_scale = info.input_scale;
    let cfg = options(args).config().map_err(crate::cli_error)?;
    if let Some(shard) = &args.shard {
        return run_shard(args, &net, &cfg, sslth::construction::ShardId::parse(shard)?);
    }
    // Sizing first (no rows known yet), then the rows; a repair re-runs
    // rows beyond the planned count, so the bar grows and says so.
    let pb = progress::bar(0, "sizing", args.out.json);
    // Pixels are never negative: say what --nonneg-input would save (the
    // inputs the ticket is measured on are the test split's).
    let nonneg_data = test.as_ref().filter(|t| t.inputs.iter().all(|&v| v >= 0.0));
    let show_plan = |plans: &[sslth::construction::LayerPlan]| {
        if !args.out.json {
            print_plan(plans);
            if let (Some(s), false) = (nonneg_data, args.nonneg_input) {
                println!(
                    "note: every test input of {} is >= 0; --nonneg-input would build no N side in layer 0 (about half \
                     its kept edges), and the certificate would then hold for x >= 0 only",
                    s.name
                );
            }
        }
        pb.set_message("building");
        pb.set_prefix("building");
        pb.set_position(0);
        pb.set_length(plans.iter().map(|p| p.target.rows() as u64).sum());
    };
    let step = || {
        if pb.position() >= pb.length().unwrap_or(0) {
            pb.set_message("repairing");
            pb.inc_length(1);
        }
        pb.inc(1);
        true
    };
    // A ticket measured on no data is built holding choices, not edges,
    // where it can be (the same file; memory for 10⁸ weights).
    if test.is_none() {
        let (out, compact, json) = (&args.out.output, args.out.compact, args.out.json);
        let f = sslth::experiments::pipeline::build_file(&net, &cfg, input_scale, out, compact, show_plan, &step)
            .map_err(crate::cli_error)?;
        pb.finish_and_clear();
        print_written(&f.report, &f.plans, &f.max_weight_errors, out, compact, json);
        note_density(&cfg, &f.report, json);
        return Ok(());
    }
    let built =
        sslth::experiments::pipeline::build_and_measure(&net, &cfg, test.as_ref(), input_scale, show_plan, &step)
            .map_err(crate::cli_error)?;
    pb.finish_and_clear();
    let report = write_ticket(&built, &net, data.as_deref(), &args.out.output, args.out.compact, args.out.json)?;
    note_density(&cfg, &report, args.out.json);
    Ok(())
}

/// The build's options as the flags give them.
fn options(args: &BuildArgs) -> BuildOptions {
    BuildOptions {
        seed: args.seed,
        k: args.k,
        n: args.n,
        density: args.density,
        weight_eps: args.weight_eps,
        eps: args.eps,
        nonneg_input: args.nonneg_input,
        scale: args.scale,
        scale_quantile: args.scale_quantile,
        accept_over_eps: args.accept_over_eps,
        accept_misses: args.accept_misses,
        walk_budget: args.budget.walk_budget,
        subsets: Some(args.subsets),
    }
}

/// Says why a ticket sized by `--density` is sparser than asked: the
/// density is a ceiling, met by the largest k whose ticket stays under it
/// at k edges an instance, and with `--subsets fewest` an instance keeps
/// the fewest that serve.
fn note_density(cfg: &sslth::construction::BuildConfig, r: &BuildReport, json: bool) {
    let k = r.pairs.first().map_or(0, |p| p.k);
    let sslth::construction::Sizing::Density(asked) = cfg.sizing else { return };
    if json || r.density >= 0.999 * asked {
        return;
    }
    let fewest = if cfg.subsets.is_fixed() { "" } else { ", and each weight kept the fewest edges that serve" };
    println!(
        "note: density {:.2}%, below the {:.2}% asked: --density is a ceiling, and the sizing takes the largest k \
         (here {k}) whose ticket stays under it at k edges a weight; k = {} would exceed it{fewest}",
        100.0 * r.density,
        100.0 * asked,
        k + 1
    );
}

/// Writes a built (or merged) ticket to `output`, full or compact, prints
/// its report (text, or JSON with `json`) and returns it.
pub fn write_ticket(
    built: &sslth::experiments::pipeline::Built,
    net: &Network,
    data: Option<&str>,
    output: &std::path::Path,
    compact: bool,
    json: bool,
) -> Result<BuildReport, String> {
    let bytes = if compact {
        sslth::files::compact_bytes(&built.net, &built.meta)
    } else {
        sslth::files::full_bytes(&built.net, &built.meta)
    };
    sslth::files::write_atomic(output, &bytes).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    let report = built.report(net, data, Some(bytes.len()));
    let max_errors: Vec<f64> = built.ticket.pairs.iter().map(|p| p.max_weight_error).collect();
    print_written(&report, &built.plans, &max_errors, output, compact, json);
    Ok(report)
}

/// Prints the report of a ticket written to `output` (text, or JSON with
/// `json`); `plans` and each pair's largest weight error for the text.
fn print_written(
    report: &BuildReport,
    plans: &[LayerPlan],
    max_errors: &[f64],
    output: &std::path::Path,
    compact: bool,
    json: bool,
) {
    if json {
        println!("{}", serde_json::to_string_pretty(report).expect("serialisable"));
    } else {
        print_report(report, plans, max_errors);
        println!(
            "wrote {} ({} ticket, {:.1} KiB)",
            output.display(),
            if compact { "compact" } else { "full" },
            report.file_bytes.unwrap_or(0) as f64 / 1024.0
        );
    }
}

/// `sslth build --shard I/N`: one share, written as a shard file.
fn run_shard(
    args: &BuildArgs,
    net: &Network,
    cfg: &BuildConfig,
    shard: sslth::construction::ShardId,
) -> Result<(), String> {
    if args.after.contains(&args.out.output) {
        return Err("--output must differ from the --after shards (inputs are never overwritten)".into());
    }
    let pb = progress::bar(0, &format!("shard {shard}"), args.out.json);
    let earlier = sslth::experiments::shard::read_shard_files(&args.after).map_err(crate::cli_error)?;
    let show_rows = |rows: usize| pb.set_length(rows as u64);
    let (bytes, report) = sslth::experiments::shard::build_shard_file(net, cfg, shard, earlier, show_rows, &|| {
        pb.inc(1);
        true
    })
    .map_err(crate::cli_error)?;
    pb.finish_and_clear();
    sslth::files::write_atomic(&args.out.output, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", args.out.output.display()))?;
    if args.out.json {
        println!("{}", serde_json::to_string_pretty(&report).expect("serialisable"));
    } else {
        let what: Vec<String> = report.attempts.iter().map(|a| format!("pair {} at n = {}", a.pair, a.n)).collect();
        println!(
            "round {} builds {}",
            report.round,
            if what.is_empty() { "nothing: no pair is left to repair".to_string() } else { what.join(", ") }
        );
        println!(
            "shard {}: {} rows, {} RFSS instances, {} missed, {} kept edges, built in {}",
            report.shard,
            report.rows,
            report.rfss_instances,
            report.rfss_misses,
            report.kept_edges,
            text::duration(std::time::Duration::from_secs_f64(report.build_seconds))
        );
        if report.rfss_misses > 0 {
            println!(
                "(a pair with a miss is built again with a larger n: by a next round, sslth build --shard I/N \
                 --after all shard files so far, or else by sslth merge)"
            );
        }
        println!(
            "wrote {} ({:.1} KiB); join the shares with sslth merge",
            args.out.output.display(),
            bytes.len() as f64 / 1024.0
        );
    }
    Ok(())
}

/// The sizing table printed before a build.
pub fn print_plan(plans: &[sslth::construction::LayerPlan]) {
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
        text::table(
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

/// The human report of a build: `report`, with the plans (to say where n
/// was raised) and each pair's largest weight error.
pub fn print_report(r: &BuildReport, plans: &[LayerPlan], max_errors: &[f64]) {
    let secs = std::time::Duration::from_secs_f64;
    println!(
        "built in {} (certificate {}, evaluation {})",
        text::duration(secs(r.build_seconds)),
        text::duration(secs(r.certify_seconds)),
        text::duration(secs(r.eval_seconds))
    );
    println!(
        "density {:.4}% ({} of {} random edges kept), m/m_t = {:.1}, {} of {} RFSS instances missed their tolerance",
        100.0 * r.density,
        r.kept_edges,
        r.random_edges,
        r.overparameterisation,
        r.rfss_misses,
        r.rfss_instances
    );
    for (i, (plan, pair)) in plans.iter().zip(&r.pairs).enumerate() {
        if pair.n != plan.size.n {
            println!("layer {i}: n raised from {} to {} to bring every weight within tolerance", plan.size.n, pair.n);
        }
    }
    for (i, ((l, max_error), basis)) in r.certificate.layers.iter().zip(max_errors).zip(&r.bases).enumerate() {
        if basis.is_identity() {
            println!(
                "layer {i}: |W - W+|_2 <= {:.3e}, |W - W-|_2 <= {:.3e}, joint <= {:.3e}, |W|_2 <= {:.3}, max weight error {:.3e}",
                l.err_pos, l.err_neg, l.err_joint, l.target_norm, max_error
            );
        } else {
            println!(
                "layer {i} ({}, |B| = {}, |B|_op = {}): coefficient error max_q |[E+_q E-_q]|_2 <= {:.3e}, layer error <= {:.3e}, \
                 |layer|_op <= {:.3}, max weight error {:.3e}",
                basis.build().map(|b| b.name()).unwrap_or_default(),
                basis.size(),
                l.basis_norm,
                l.coefficient_error,
                l.err_joint,
                l.target_norm,
                max_error
            );
        }
    }
    println!(
        "certified error: |f(x) - g(x)|_2 <= {:.3e} for {} (operator norms bounded above by construction)",
        r.certificate.bound, r.certificate.domain
    );
    if let Some(e) = r.accepted_over_eps {
        println!("note: the certified error exceeds --eps {e}; written anyway because of --accept-over-eps");
    }
    match (&r.comparison, &r.data) {
        (Some(c), Some(data)) => {
            println!(
                "measured on {} test rows of {data}: max error {:.3e}, mean {:.3e}",
                c.rows, c.max_error, c.mean_error
            );
            println!(
                "test accuracy: target {:.2}%, ticket {:.2}%, agreement {:.2}%",
                100.0 * c.target_accuracy,
                100.0 * c.ticket_accuracy,
                100.0 * c.agreement
            );
            if let Some(t) = &r.tight_certificate {
                println!(
                    "tight certificate: |f(x) - g(x)|_inf <= {:.3e} for {} of {data}; certified agreement {:.2}% (test \
                     rows whose target margins exceed what the ticket can take off them: it provably predicts their \
                     class)",
                    t.bound,
                    t.domain,
                    100.0 * t.certified_agreement.unwrap_or(0.0)
                );
            }
        }
        _ => println!("not measured: no data (the target records no data set; give --data digits|mnist|fashion-mnist)"),
    }
}
