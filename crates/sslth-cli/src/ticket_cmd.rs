//! `sslth expand` and `sslth verify`: ticket files (docs/FORMAT.md).

use crate::args::check_output;
use clap::Args;
use sslth::experiments::attack::AttackConfig;
use sslth::experiments::verify::{verify_file, DataChecks, VerifyReport};
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
    /// from the file's kept edges against it; with data, also the tight
    /// certificate over the data's box.
    #[arg(long)]
    pub target: Option<PathBuf>,
    /// Data whose box of valid inputs the tight certificate holds on, and
    /// whose test rows give the certified agreement: digits, mnist,
    /// fashion-mnist or digit-sets. Default: the data the ticket records.
    #[arg(long, requires = "target")]
    pub data: Option<String>,
    /// Attack the tight certificate: projected gradient ascent with exact
    /// gradients on each f_o - g_o and g_o - f_o over the data's box;
    /// verification fails if it finds more than the bound, or a pair of
    /// outputs whose difference moves more than its margin shift.
    #[arg(long, requires = "target")]
    pub attack: bool,
    /// Starting points of the attack (a quarter the test rows where target
    /// and ticket differ most, a quarter corners of the box, the rest
    /// random points of it), each climbed once per output and sign.
    #[arg(long, default_value_t = 32, requires = "attack")]
    pub starts: usize,
    /// Ascent steps of each climb.
    #[arg(long, default_value_t = 40, requires = "attack")]
    pub steps: usize,
    /// Certify, for each test row, that target and ticket give the same
    /// class on every input within this radius of it (ℓ∞, in raw input
    /// units: grey levels for images), from a bound over that ball.
    #[arg(long, requires = "target", allow_negative_numbers = true)]
    pub radius: Option<f64>,
    /// Certify only the balls of the first N test rows (each row's
    /// certificate costs about as much as the whole box's). Default: every
    /// row.
    #[arg(long, value_name = "N", requires = "radius")]
    pub local_rows: Option<usize>,
    #[command(flatten)]
    pub budget: crate::args::WalkBudget,
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
    let attack = args.attack.then_some(AttackConfig { starts: args.starts, steps: args.steps, seed: 0 });
    let checks =
        DataChecks { attack, radius: args.radius, local_rows: args.local_rows, walk_budget: args.budget.walk_budget };
    // The attack's steps and the local certificates' rows, counted.
    let pb = crate::progress::counter("verifying", args.json);
    let go_on = || {
        pb.inc(1);
        true
    };
    let verified = verify_file(&args.ticket, args.target.as_deref(), args.data.as_deref(), &checks, &go_on);
    pb.finish_and_clear();
    let (meta, r) = verified.map_err(crate::cli_error)?;
    let v = &r.verification;
    if args.json {
        println!("{}", serde_json::to_value(&r).expect("serialisable"));
    } else {
        println!(
            "{}: {} kept weights regenerated from seed {}, {} mismatches; density {:.6}% ({} of {} edges), {} the metadata",
            args.ticket.display(),
            v.checked,
            meta.seed,
            v.mismatches,
            100.0 * v.density,
            v.kept_edges,
            meta.random_edges,
            if v.density_matches { "matching" } else { "NOT matching" }
        );
        println!(
            "weights digest: {}",
            match r.digest_matches {
                Some(true) => "matches the one recorded at build time",
                Some(false) => "DIFFERS from the one recorded at build time (an edited seed, scale or mask?)",
                None => "none recorded (a file from before digests: a compact file's weights cannot be checked)",
            }
        );
        if let (Some(b), Some(recorded)) = (r.recomputed_certificate, r.recorded_certificate) {
            println!(
                "certificate recomputed from the kept edges against {}: {b:.6e} (the file records {recorded:.6e})",
                args.target.as_ref().expect("a target").display(),
            );
        }
        print_data_checks(&r);
    }
    if !r.passed {
        return Err(format!("{} failed verification", args.ticket.display()));
    }
    Ok(())
}

/// The tight certificate, the attack and the local certificates, a line
/// each, as far as they were run.
fn print_data_checks(r: &VerifyReport) {
    if let Some(c) = &r.tight_certificate {
        println!(
            "tight certificate from the kept edges: |f(x) - g(x)|_inf <= {:.4e} for {}; certified agreement {:.2}% \
                 of the test rows (their target margins exceed the certified margin shifts)",
            c.bound,
            c.domain,
            100.0 * c.certified_agreement.unwrap_or(0.0)
        );
    }
    if let Some(a) = &r.attack {
        println!(
            "attack: largest |f(x) - g(x)|_inf found {:.4e} ({:.4e} on the test rows; {} forward passes), {}",
            a.best_error,
            a.test_rows_error,
            a.evaluations,
            match &r.tight_certificate {
                Some(c) if a.within(c) =>
                    format!("within the bound ({:.1}x below it)", c.bound / a.best_error.max(f64::MIN_POSITIVE)),
                _ => "ABOVE THE BOUND".to_string(),
            }
        );
    }
    if let Some(l) = &r.local_certificates {
        println!(
            "local certificates: {} of {} test rows ({:.2}%) get the same class from target and ticket on every \
                 input within {} (raw units; {:.4e} scaled) of them; median bound {:.4e}; {:.2} s",
            l.certified,
            l.rows,
            100.0 * l.share,
            l.radius,
            l.scaled_radius,
            l.median_bound,
            l.seconds
        );
    }
}
