//! `sslth popup`: a ticket found by edge-popup in a random
//! network drawn from the same generator as constructed tickets, written
//! in the same ticket files (version 3, docs/FORMAT.md).

use crate::args::{check_output, parse_arch, Arch, TicketOutput};
use crate::progress;
use clap::Args;
use sslth::experiments::popup::{popup, PopupNetwork, PopupSettings};
use sslth::weights::WeightLaw;
use std::path::PathBuf;

/// Arguments of `sslth popup`.
#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct PopupArgs {
    /// Dataset: digits (embedded), mnist (with --data-dir) or fashion-mnist.
    #[arg(long, default_value = "digits")]
    pub data: sslth::data::DataSet,
    /// Widths of the random MLP, input first [default: INPUTS-300-100-10,
    /// edge-popup's fully connected network].
    #[arg(long, value_parser = parse_arch, conflicts_with = "like")]
    pub arch: Option<Arch>,
    /// Search the very random network of this constructed dense ticket
    /// instead (same shapes, scales, seed and constant input column).
    #[arg(long)]
    pub like: Option<PathBuf>,
    /// Fraction of every layer's edges KEPT, in (0, 1] (the top
    /// ceil(density·edges) scores of each layer).
    #[arg(long, default_value_t = 0.5)]
    pub density: f64,
    /// Passes over the training set.
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    /// Seed of the random weights, the scores and the batch order.
    #[arg(long, default_value_t = 0, conflicts_with = "like")]
    pub seed: u64,
    /// The random weights: uniform on ±sqrt(6/fan_in) or the signed
    /// constant ±sqrt(2/fan_in) (both Kaiming, as edge-popup).
    #[arg(long, default_value = "uniform", value_parser = crate::args::named::<WeightLaw>(&WeightLaw::NAMES), conflicts_with = "like")]
    pub weights: WeightLaw,
    /// Initial learning rate of the scores (cosine schedule to 0).
    #[arg(long, default_value_t = 0.1)]
    pub lr: f64,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f64,
    /// Weight decay on the scores.
    #[arg(long, default_value_t = 5e-4)]
    pub weight_decay: f64,
    /// Rows per batch.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch: u64,
    /// The loss reads the logits times this (a softmax temperature; the
    /// ticket's predictions do not depend on it) [default: the factor that
    /// gives the initial ticket's logits a root mean square of 1].
    #[arg(long)]
    pub logit_scale: Option<f64>,
    /// The ticket file written, and how the command reports.
    #[command(flatten)]
    pub out: TicketOutput,
}

/// What `sslth popup` reports: the library's report, with the file.
#[derive(serde::Serialize)]
struct Report<'a> {
    output: &'a PathBuf,
    #[serde(flatten)]
    run: sslth::experiments::popup::PopupReport,
    file_bytes: usize,
}

/// Runs `sslth popup`.
pub fn run(args: &PopupArgs) -> Result<(), String> {
    if args.like.as_ref() == Some(&args.out.output) {
        return Err("--output must differ from --like (inputs are never overwritten)".into());
    }
    check_output(&args.out.output, args.out.force)?;
    let split = args.data.load().map_err(|e| e.to_string())?;
    let network = match &args.like {
        Some(path) => {
            let t = sslth::files::read_ticket(path).map_err(|e| e.to_string())?;
            if t.meta.version != 1 {
                return Err(format!("{} is not a constructed dense ticket (version 1)", path.display()));
            }
            PopupNetwork::Like(Box::new(t.meta))
        }
        None => {
            if args.arch.as_ref().is_some_and(|a| a.pool.is_some()) {
                return Err("popup searches MLPs: drop the ':' from --arch".into());
            }
            PopupNetwork::Chain {
                widths: args.arch.as_ref().map(|a| a.widths.clone()),
                law: args.weights,
                seed: args.seed,
            }
        }
    };
    let settings = PopupSettings {
        density: args.density,
        epochs: args.epochs,
        lr: args.lr,
        momentum: args.momentum,
        weight_decay: args.weight_decay,
        batch: args.batch as usize,
        logit_scale: args.logit_scale,
    };
    let batches = split.train.len().div_ceil(settings.batch) as u64;
    let pb = progress::bar(batches * settings.epochs as u64, "edge-popup", args.out.json);
    let run = popup(&split, &network, &settings, |loss| {
        pb.inc(1);
        pb.set_message(format!("loss {loss:.3}"));
        true
    })
    .map_err(crate::cli_error)?;
    pb.finish_and_clear();
    let (cfg, meta, net, accuracy) = (&run.config, &run.meta, &run.net, run.test_accuracy);
    let (secs, seed) = (run.train_time.as_secs_f64(), cfg.seed);
    let (kept, random) = (meta.kept_edges, meta.random_edges);
    let bytes =
        if args.out.compact { sslth::files::compact_bytes(net, meta) } else { sslth::files::full_bytes(net, meta) };
    sslth::files::write_atomic(&args.out.output, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", args.out.output.display()))?;
    let report = Report { output: &args.out.output, run: run.report(&args.data.to_string()), file_bytes: bytes.len() };
    if args.out.json {
        println!("{}", serde_json::to_string(&report).expect("serialisable"));
    } else {
        println!(
            "edge-popup in a random {} network ({} weights), seed {seed}, {} epochs in {secs:.1} s\n\
             kept {kept} of {random} edges (density {:.4}%, the top scores of each layer)\n\
             test accuracy {:.2}% ({} test rows of {})\nwrote {} ({} ticket, {:.1} KiB)",
            report.run.widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("-"),
            report.run.law.name(),
            cfg.epochs,
            100.0 * meta.density,
            100.0 * accuracy,
            split.test.len(),
            args.data,
            args.out.output.display(),
            if args.out.compact { "compact" } else { "full" },
            bytes.len() as f64 / 1024.0
        );
    }
    Ok(())
}
