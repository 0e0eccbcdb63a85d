//! Argument types and checks shared by several subcommands.

pub use sslth::learn::train::Arch;
use std::path::PathBuf;

/// The options of every subcommand that writes a ticket: where, in which
/// format, whether to replace, and how to report.
#[derive(clap::Args, Debug)]
pub struct TicketOutput {
    /// Output ticket file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Write the compact format (seed, layer shapes and mask; weights
    /// regenerated on load, docs/FORMAT.md) instead of the full one.
    #[arg(long)]
    pub compact: bool,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON report instead of text.
    #[arg(long)]
    pub json: bool,
}

/// How much walking back the tight certificate may do (`build` and
/// `verify`).
#[derive(clap::Args, Debug)]
pub struct WalkBudget {
    /// Most multiply-adds of one group of the tight certificate's walks
    /// back (the four walks a neuron of one ReLU layer's inputs, or the
    /// walks of the margin shifts, one a pair of outputs): a group over it
    /// is skipped and the bound is looser, never wrong (docs/THEORY.md
    /// §6.2). The same budget gives the same bound on every machine; 1e9
    /// takes about 5 s of one core. [default: 1e11]
    #[arg(long, value_name = "MULTIPLY_ADDS", value_parser = parse_budget, allow_negative_numbers = true)]
    pub walk_budget: Option<u64>,
}

/// Parses a count of multiply-adds, such as 1e11 or 250000000.
pub fn parse_budget(s: &str) -> Result<u64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..1.8e19).contains(&v) => Ok(v.round() as u64),
        _ => Err(format!("'{s}' is not a number of multiply-adds >= 0 such as 1e11")),
    }
}

/// Parses widths such as 64-32-10 or 1-8-16:10.
pub fn parse_arch(s: &str) -> Result<Arch, String> {
    let (before, after) = match s.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let parse = |part: &str| -> Option<Vec<usize>> {
        part.split('-').map(|w| w.parse::<usize>().ok().filter(|&w| w > 0)).collect()
    };
    let bad = || format!("'{s}' is not a list of positive widths such as 64-32-10 or 1-8-16:10");
    let mut widths = parse(before).ok_or_else(bad)?;
    let pool = match after {
        Some(a) => {
            let head = parse(a).ok_or_else(bad)?;
            let n = widths.len() - 1;
            widths.extend(head);
            Some(n)
        }
        None => None,
    };
    if widths.len() < 2 {
        return Err(format!("'{s}' needs at least an input and an output width"));
    }
    if pool == Some(0) {
        return Err(format!("'{s}' needs a layer before the pooling, e.g. 1-8-16:10"));
    }
    Ok(Arch { widths, pool })
}

/// A parser of one of `names` into the library's enum `T` (its
/// `FromStr`): clap lists the names in help and refuses any other.
pub fn named<T>(names: &'static [&'static str]) -> impl clap::builder::TypedValueParser<Value = T>
where
    T: std::str::FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(names).map(|s| s.parse::<T>().expect("clap lets only the listed names by"))
}

/// Refuses to replace an existing file unless asked to, and a path whose
/// folder does not exist.
pub fn check_output(path: &std::path::Path, force: bool) -> Result<(), String> {
    if path.exists() && !force {
        return Err(format!("{} exists; pass --force to replace it", path.display()));
    }
    // Refused now rather than after the work: a folder that is not there.
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !dir.is_dir() {
        return Err(format!("cannot write {}: no folder {}", path.display(), dir.display()));
    }
    // A folder that takes no new file (read-only, /proc) is refused before
    // the work, not after it: a probe file is made and removed.
    let probe = dir.join(format!(".sslth-write-check-{}", std::process::id()));
    std::fs::File::create(&probe).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
