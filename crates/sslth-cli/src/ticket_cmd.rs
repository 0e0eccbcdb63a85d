//! `sslth expand` and `sslth verify`: ticket files (docs/FORMAT.md).

use crate::args::check_output;
use clap::Args;
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

/// The target's input layout as a ticket's metadata imply it (for targets
/// whose file records none).
fn input_shape(meta: &sslth::ticket::TicketMeta) -> Option<sslth::data::InputShape> {
    use sslth::data::InputShape;
    use sslth::net::BasisSpec;
    let channels = *meta.target_widths.first()?;
    match meta.basis(0) {
        BasisSpec::Conv2d { height, width, .. } => Some(InputShape::Image { channels, height, width }),
        BasisSpec::Deepsets => Some(InputShape::Set { features: channels, points: meta.points }),
        BasisSpec::Identity => None,
    }
}

/// The certificate recomputed from a ticket's kept edges against its
/// target, after checking that the ticket is one of that target.
fn recertify(t: &sslth::files::LoadedTicket, target: &std::path::Path) -> Result<f64, String> {
    let (net, _) = sslth::files::target::load(target, input_shape(&t.meta)).map_err(|e| e.to_string())?;
    let cert = sslth::construction::certify_edges(&net, &t.net, &t.meta)
        .map_err(|e| format!("not a ticket of {}: {e}", target.display()))?;
    Ok(cert.bound)
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
    let t = sslth::files::read_ticket(&args.ticket).map_err(|e| e.to_string())?;
    let v = sslth::files::verify(&t);
    let recomputed = match args.target.as_deref() {
        Some(p) => {
            let recorded = t.meta.certified_error.ok_or_else(|| {
                format!(
                    "{} records no certificate: it was found by sslth popup, not constructed from a target",
                    args.ticket.display()
                )
            })?;
            Some((recertify(&t, p)?, recorded))
        }
        None => None,
    };
    // The file's certificate holds if recomputing it gives no more (up to
    // summation order).
    let holds = recomputed.is_none_or(|(b, recorded)| b <= recorded * (1.0 + 1e-9));
    if args.json {
        let mut j = serde_json::to_value(&v).expect("serialisable");
        j["recomputed_certificate"] = serde_json::json!(recomputed.map(|r| r.0));
        j["recorded_certificate"] = serde_json::json!(t.meta.certified_error);
        println!("{j}");
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
    }
    if let (Some((b, recorded)), false) = (recomputed, args.json) {
        println!(
            "certificate recomputed from the kept edges against {}: {b:.6e} (the file records {recorded:.6e})",
            args.target.as_ref().expect("a target").display(),
        );
    }
    if v.mismatches > 0 || !v.density_matches || !holds {
        return Err(format!("{} failed verification", args.ticket.display()));
    }
    Ok(())
}
