//! `sslth merge`: the shares of a sharded build (`sslth build --shard I/N`)
//! joined into the ticket a one-machine `sslth build` writes.

use crate::args::{check_output, TicketOutput};
use crate::build_cmd::{print_plan, write_ticket};
use crate::progress;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `sslth merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The target the shares were built from.
    #[arg(long)]
    pub target: PathBuf,
    /// The shard files: all N shares of each round of one build (round 1:
    /// the plan's n; further rounds: repairs, `build --shard I/N --after`),
    /// in any order. Repairs no round built are built here.
    #[arg(required = true, num_args = 1..)]
    pub shards: Vec<PathBuf>,
    /// Data to measure the ticket on, as for sslth build.
    #[arg(long)]
    pub data: Option<String>,
    /// The ticket file written, and how the command reports.
    #[command(flatten)]
    pub out: TicketOutput,
}

/// Runs `sslth merge`.
pub fn run(args: &MergeArgs) -> Result<(), String> {
    if args.out.output == args.target || args.shards.contains(&args.out.output) {
        return Err("--output must differ from --target and the shards (inputs are never overwritten)".into());
    }
    check_output(&args.out.output, args.out.force)?;
    let recorded = sslth::files::runnable::recorded_data(&args.target);
    let measured = sslth::data::measured_on(args.data.as_deref(), recorded.as_deref()).map_err(|e| e.to_string())?;
    let (data, test) = measured.unzip();
    let (net, info) =
        sslth::files::target::load(&args.target, test.as_ref().map(|t| t.shape)).map_err(|e| e.to_string())?;
    crate::note_assumed(&args.target, &info, args.out.json);
    let shards = sslth::experiments::shard::read_shard_files(&args.shards).map_err(crate::cli_error)?;
    let (cfg, parts) = sslth::experiments::shard::checked(&net, shards, None).map_err(crate::cli_error)?;
    let pb = progress::bar(0, "repairing", args.out.json);
    let show_plan = |plans: &[sslth::construction::LayerPlan]| {
        if !args.out.json {
            print_plan(plans);
        }
    };
    let built = sslth::experiments::pipeline::merge_and_measure(
        &net,
        &cfg,
        parts,
        test.as_ref(),
        info.input_scale,
        show_plan,
        &|| {
            pb.inc(1);
            true
        },
    )
    .map_err(crate::cli_error)?;
    pb.finish_and_clear();
    write_ticket(&built, &net, data.as_deref(), &args.out.output, args.out.compact, args.out.json).map(drop)
}
