//! `sslth expand` and `sslth verify`: ticket files (docs/FORMAT.md).

use crate::args::check_output;
use clap::Args;
use sslth::experiments::verify::verify_file;
use std::path::PathBuf;

/// Arguments of `sslth expand`.
#[derive(Args, Debug)]
pub struct ExpandArgs {
    /// A compact ticket.
    #[arg(long)]
    pub input: PathBuf,
    /// The full ticket to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `sslth verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// A full or compact ticket.
    #[arg(long)]
    pub ticket: PathBuf,
    /// The target it was built from: also check that the ticket is one of
    /// it (same bases, pooling and widths) and recompute the certificate
    /// from the file's kept edges against it.
    #[arg(long)]
    pub target: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `sslth expand`.
pub fn run_expand(args: &ExpandArgs) -> Result<(), String> {
    if args.input == args.output {
        return Err("--output must differ from --input (inputs are never overwritten)".into());
    }
    check_output(&args.output, args.force)?;
    let t = sslth::files::read_ticket(&args.input).map_err(|e| e.to_string())?;
    if !t.compact {
        return Err(format!("{} is already a full ticket", args.input.display()));
    }
    let bytes = sslth::files::full_bytes(&t.net, &t.meta);
    sslth::files::write_atomic(&args.output, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
    println!(
        "wrote {} (full ticket, {:.1} KiB, {} kept edges)",
        args.output.display(),
        bytes.len() as f64 / 1024.0,
        t.meta.kept_edges
    );
    Ok(())
}

/// Runs `sslth verify`; fails (exit 2) if anything does not match.
pub fn run_verify(args: &VerifyArgs) -> Result<(), String> {
    let (t, r) = verify_file(&args.ticket, args.target.as_deref())?;
    let v = &r.verification;
    if args.json {
        println!("{}", serde_json::to_value(&r).expect("serialisable"));
    } else {
        println!(
            "{}: {} kept weights regenerated from seed {}, {} mismatches; density {:.6}% ({} of {} edges), {} the metadata",
            args.ticket.display(),
            v.checked,
            t.meta.seed,
            v.mismatches,
            100.0 * v.density,
            v.kept_edges,
            t.meta.random_edges,
            if v.density_matches { "matching" } else { "NOT matching" }
        );
        if let (Some(b), Some(recorded)) = (r.recomputed_certificate, r.recorded_certificate) {
            println!(
                "certificate recomputed from the kept edges against {}: {b:.6e} (the file records {recorded:.6e})",
                args.target.as_ref().expect("a target").display(),
            );
        }
    }
    if !r.passed() {
        return Err(format!("{} failed verification", args.ticket.display()));
    }
    Ok(())
}
