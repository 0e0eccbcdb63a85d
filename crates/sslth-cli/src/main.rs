//! `sslth`: sparse strong lottery tickets from the command line.
//!
//! A thin layer over the `rfss` and `sslth` crates: argument parsing, human
//! tables by default, `--json` for scripts. Bad input gets one line on
//! stderr and exit code 2, never a panic.

mod args;
mod build_cmd;
mod compare_cmd;
mod demo;
mod frontier_cmd;
mod merge_cmd;
mod model_cmd;
mod popup_cmd;
mod predict_cmd;
mod progress;
mod rfss_bounds;
mod rfss_cmd;
mod rfss_demo;
mod rfss_phase;
mod rfss_report;
mod ticket_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Sparse strong lottery tickets: exact Random Fixed-Size Subset Sum and
/// sparse subnetworks of random networks (Natale et al., NeurIPS 2024).
#[derive(Parser, Debug)]
#[command(name = "sslth", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The folder of the MNIST or Fashion-MNIST IDX files for `--data
    /// mnist|fashion-mnist` (or torchvision's `MNIST/raw/` under it);
    /// `--data NAME:DIR` names one for a single data set.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// From nothing, on the embedded digits: train a target, build a ticket
    /// at 10% density, print what it costs and how well it does.
    Demo(demo::DemoArgs),
    /// The Random Fixed-Size Subset Sum solver (docs/THEORY.md §2).
    #[command(subcommand)]
    Rfss(rfss_cmd::RfssCommand),
    /// Train a target (MLP, CNN or DeepSets) and write it as safetensors.
    Train(model_cmd::TrainArgs),
    /// Test accuracy of a target or a ticket.
    Eval(model_cmd::EvalArgs),
    /// Run a target or a ticket on inputs from a .npy file; logits to .npy.
    Predict(predict_cmd::PredictArgs),
    /// Build a sparse ticket for a target inside a random network.
    Build(build_cmd::BuildArgs),
    /// Join the shard files of `sslth build --shard I/N` into the ticket a
    /// one-machine build writes.
    Merge(merge_cmd::MergeArgs),
    /// Turn a compact ticket into a full one.
    Expand(ticket_cmd::ExpandArgs),
    /// Check a ticket against its regenerated random network.
    Verify(ticket_cmd::VerifyArgs),
    /// Tickets of one target across subset sizes k: kept and random edges,
    /// compact bits per weight, accuracy (CSV, table, plot).
    Frontier(frontier_cmd::FrontierArgs),
    /// Find a ticket by training scores (edge-popup) in a random network of
    /// the same generator, and write it as a ticket file.
    Popup(popup_cmd::PopupArgs),
    /// A target, tickets constructed from it and tickets found by
    /// edge-popup, at the same densities (CSV, table, plots).
    Compare(compare_cmd::CompareArgs),
}

/// A library error as the CLI prints it: its parameters named by their
/// flags (`--weight-eps`).
pub(crate) fn cli_error(e: sslth::Error) -> String {
    e.render(sslth::Face::Cli)
}

/// Says on stderr, in one line, what was assumed to read a target file
/// (a plain state_dict records no architecture), unless `quiet`.
pub(crate) fn note_assumed(path: &std::path::Path, info: &sslth::files::target::TargetInfo, quiet: bool) {
    if let (Some(a), false) = (&info.assumed, quiet) {
        eprintln!("note: {}: {a}", path.display());
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
                return ExitCode::from(2);
            }
            // clap's message folded onto one line, then a pointer to --help.
            let text = e.to_string();
            let folded: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .collect();
            eprintln!("{} (see --help)", folded.join(" "));
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = cli.data_dir.clone() {
        sslth::data::set_data_dir(dir);
    }
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Rfss(cmd) => rfss_cmd::run(cmd),
        Command::Train(args) => model_cmd::run_train(&args),
        Command::Eval(args) => model_cmd::run_eval(&args),
        Command::Predict(args) => predict_cmd::run(&args),
        Command::Build(args) => build_cmd::run(&args),
        Command::Merge(args) => merge_cmd::run(&args),
        Command::Expand(args) => ticket_cmd::run_expand(&args),
        Command::Verify(args) => ticket_cmd::run_verify(&args),
        Command::Frontier(args) => frontier_cmd::run(&args),
        Command::Popup(args) => popup_cmd::run(&args),
        Command::Compare(args) => compare_cmd::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
