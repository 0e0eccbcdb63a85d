//! `sslth rfss …`: the RFSS solver from the command line (docs/THEORY.md §2).

use clap::{Args, Subcommand};
use rfss::{Budget, Control, Dist, Instance, Mode, Progress, Solver};
use sslth_report::text;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Subcommands of `sslth rfss`.
#[derive(Subcommand, Debug)]
pub enum RfssCommand {
    /// Solve one instance, or a JSON Lines batch from stdin (--batch).
    ///
    /// One instance: give the samples (--samples, --samples-file or
    /// --random), --k, --target and --eps. Batch: one instance a line,
    /// {"samples":[...],"k":K,"target":Z,"eps":E,"mode":"best"|"within"},
    /// and one answer a line out, in input order:
    /// {"status":"found"|"none"|"unknown","found":BOOL,"subset":[0-based
    /// indices],"sum":S,"gap":G,"optimal":BOOL}, or {"error":"...","line":N}
    /// for a bad line. The exit code is 0 whatever the status; 2 for bad
    /// arguments or input, or when Ctrl-C stopped a single solve (its best
    /// subset so far is printed first, marked not proved). On a terminal a
    /// search that runs over a second shows its progress on stderr.
    Solve(SolveArgs),
    /// Draw random RFSS instances, solve them in both modes, print a table
    /// with timings.
    Demo(crate::rfss_demo::DemoArgs),
    /// The paper's formulas: thresholds of Theorem 2, Corollaries 1-2,
    /// Theorem 5, the first-moment n, and Theorem 3's network sizing.
    Bounds(crate::rfss_bounds::BoundsArgs),
    /// Success probability against n, with Wilson intervals, n_50, the
    /// empirical c_hyp and the worst target (c_thm); CSV and plots.
    Phase(crate::rfss_phase::PhaseArgs),
    /// Probability that every target in the range is reachable
    /// (Corollary 1), decided exactly; CSV and plots.
    Coverage(crate::rfss_phase::CoverageArgs),
    /// Regenerate docs/results/rfss.md: phase transitions, constants,
    /// coverage and Figure 1, from one seed.
    Report(crate::rfss_report::ReportArgs),
}

/// Arguments of `sslth rfss solve`.
#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct SolveArgs {
    /// Samples, comma-separated: 0.3,-0.1,0.25
    #[arg(long, value_delimiter = ',', group = "source", conflicts_with = "batch")]
    samples: Option<Vec<f64>>,
    /// File of samples separated by whitespace, newlines or commas.
    #[arg(long, value_name = "PATH", group = "source", conflicts_with = "batch")]
    samples_file: Option<PathBuf>,
    /// Draw N random samples from --dist with --seed.
    #[arg(long, value_name = "N", group = "source", conflicts_with = "batch", value_parser = positive_count)]
    random: Option<usize>,
    /// Distribution for --random: uniform (U[-1,1]), gauss (N(0,1)) or
    /// product (U\[0,1\]·U[-1,1], the dense construction's samples; the
    /// default).
    #[arg(long, value_parser = parse_dist)]
    dist: Option<Dist>,
    /// Seed for --random (ChaCha8, stream 0; default 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Subset size k (1 <= k <= n).
    #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
    k: Option<usize>,
    /// Target z.
    #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
    target: Option<f64>,
    /// Tolerance eps > 0: a subset is good when |sum - target| < eps.
    #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
    eps: Option<f64>,
    /// best: a provably closest k-subset; within: any k-subset within eps,
    /// or a proof that none exists.
    #[arg(long, default_value = "within", value_parser = parse_mode, conflicts_with = "batch")]
    mode: Mode,
    /// Read JSON Lines instances from stdin, write one JSON answer a line.
    #[arg(long)]
    batch: bool,
    /// Print one JSON object (the batch answer format) instead of text.
    #[arg(long, conflicts_with = "batch")]
    json: bool,
    /// Give up (status unknown) after this many search nodes; deterministic.
    #[arg(long, value_name = "NODES")]
    max_nodes: Option<u64>,
    /// Give up (status unknown) after this many seconds per instance; the
    /// answer may then depend on the machine's speed.
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    time_limit: Option<Duration>,
}

fn parse_dist(s: &str) -> Result<Dist, String> {
    s.parse()
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    s.parse()
}

fn positive_count(s: &str) -> Result<usize, String> {
    match s.parse::<i64>() {
        Ok(n) if n >= 1 => usize::try_from(n).map_err(|_| format!("{n} is too large")),
        Ok(n) => Err(format!("N must be a positive integer, got {n}")),
        Err(_) => Err(format!("N must be a positive integer, got '{s}'")),
    }
}

fn positive_seconds(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 => Ok(Duration::from_secs_f64(t)),
        _ => Err(format!("must be a number of seconds > 0, got '{s}'")),
    }
}

/// Runs `sslth rfss …`.
pub fn run(cmd: RfssCommand) -> Result<(), String> {
    match cmd {
        RfssCommand::Solve(args) => solve(&args),
        RfssCommand::Demo(args) => crate::rfss_demo::run(&args),
        RfssCommand::Bounds(args) => crate::rfss_bounds::run(&args),
        RfssCommand::Phase(args) => crate::rfss_phase::run_phase(&args).map(|_| ()),
        RfssCommand::Coverage(args) => crate::rfss_phase::run_coverage(&args).map(|_| ()),
        RfssCommand::Report(args) => crate::rfss_report::run(&args),
    }
}

fn solve(args: &SolveArgs) -> Result<(), String> {
    // clap's `requires` does not fire for members of the samples group.
    if (args.dist.is_some() || args.seed.is_some()) && args.random.is_none() {
        return Err("--dist and --seed draw the samples of --random: give --random N, or leave them out".into());
    }
    let budget = Budget { max_nodes: args.max_nodes, time_limit: args.time_limit };
    if args.batch {
        if io::stdin().is_terminal() {
            eprintln!("reading JSON Lines instances from stdin (Ctrl-D to end)");
        }
        let stdout = io::stdout();
        rfss::jsonl::run(io::stdin().lock(), BufWriter::new(stdout.lock()), budget)
            .map_err(|e| format!("batch I/O failed: {e}"))?;
        return Ok(());
    }
    let samples = read_samples(args)?;
    let (k, target, eps) = (args.k.unwrap_or(0), args.target.unwrap_or(f64::NAN), args.eps.unwrap_or(f64::NAN));
    let inst = Instance::new(samples, k, target, eps).map_err(|e| e.to_string())?;
    let (answer, elapsed, stopped) = search(&inst, args, budget)?;
    let text = if args.json {
        serde_json::to_string(&rfss::jsonl::Reply::from(&answer)).expect("serialisable")
    } else {
        human_answer(&inst, &answer, args.mode, stopped, elapsed)
    };
    writeln!(io::stdout().lock(), "{text}").map_err(|e| format!("cannot write output: {e}"))?;
    if stopped {
        return Err("interrupted (Ctrl-C); the answer above is the best found, not proved".into());
    }
    Ok(())
}

/// Solves `inst`, stopped by Ctrl-C (then the best subset so far comes
/// back, and `true`); on a terminal a progress line appears after a
/// second. Returns the answer and the wall time.
fn search(inst: &Instance, args: &SolveArgs, budget: Budget) -> Result<(rfss::Answer, Duration, bool), String> {
    let start = Instant::now();
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    // Fails only if a handler is already set, which nothing else does.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let show = !args.json && io::stderr().is_terminal();
    let mut last_line = Duration::ZERO;
    let mut observer = |p: &Progress| {
        if show && p.elapsed >= Duration::from_secs(1) && p.elapsed - last_line >= Duration::from_millis(200) {
            last_line = p.elapsed;
            let gap = if p.best_gap.is_finite() { format!("{:.3e}", p.best_gap) } else { "none yet".into() };
            eprint!(
                "\r{} nodes, best gap so far {gap}, {} (Ctrl-C: stop and print it)   ",
                p.nodes,
                text::duration(p.elapsed)
            );
        }
        if interrupted.load(Ordering::SeqCst) {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let answer = Solver::new(budget).solve_observed(inst, args.mode, &mut observer).map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    if show && elapsed >= Duration::from_secs(1) {
        eprint!("\r\x1b[2K");
    }
    Ok((answer, elapsed, interrupted.load(Ordering::SeqCst)))
}

/// The answer as the human-readable block `solve` prints.
fn human_answer(inst: &Instance, answer: &rfss::Answer, mode: rfss::Mode, stopped: bool, elapsed: Duration) -> String {
    let values: Vec<String> = answer.subset.iter().map(|&i| format!("{:.6}", inst.samples[i])).collect();
    // `status` answers "is some k-subset within eps?"; `optimal` says
    // whether the subset shown is the closest of all, which it can be
    // when none is within eps.
    let status = match answer.status {
        rfss::Status::Found => "found (this k-subset is within eps)",
        rfss::Status::None => "none (no k-subset is within eps; shown: the closest)",
        rfss::Status::Unknown => "unknown (the search stopped before deciding; shown: the closest so far)",
    };
    let optimal = match (answer.optimal, stopped) {
        (true, _) => "yes (no k-subset is closer)",
        (false, true) => "not proved (interrupted by Ctrl-C: the best subset so far)",
        (false, false) => "not proved",
    };
    format!(
        "status   {}\nsubset   {:?} (0-based; k = {} of n = {})\nvalues   [{}]\nsum      {}\ntarget   {}\ngap      {:.3e} (eps = {:.3e})\noptimal  {}\nmode     {}\nsearch   {} nodes in {} (wall clock)",
        status,
        answer.subset,
        inst.k,
        inst.n(),
        values.join(", "),
        answer.sum,
        inst.target,
        answer.gap,
        inst.eps,
        optimal,
        mode,
        answer.nodes,
        text::duration(elapsed)
    )
}

/// The samples of a single instance, from whichever source was given.
fn read_samples(args: &SolveArgs) -> Result<Vec<f64>, String> {
    if let Some(s) = &args.samples {
        return Ok(s.clone());
    }
    if let Some(path) = &args.samples_file {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read samples file {}: {e}", path.display()))?;
        return parse_samples(&text).map_err(|e| format!("samples file {}: {e}", path.display()));
    }
    if let Some(n) = args.random {
        return Ok(rfss::draw(args.dist.unwrap_or(Dist::Product), n, args.seed.unwrap_or(0), 0));
    }
    Err("no samples: give --samples, --samples-file, --random or --batch".into())
}

/// Numbers separated by whitespace, newlines or commas.
fn parse_samples(text: &str) -> Result<Vec<f64>, String> {
    let tokens = text.split(|c: char| c.is_whitespace() || c == ',').filter(|t| !t.is_empty());
    let values = tokens
        .enumerate()
        .map(|(i, t)| t.parse::<f64>().map_err(|_| format!("'{t}' (number {}) is not a number", i + 1)))
        .collect::<Result<Vec<f64>, String>>()?;
    if values.is_empty() {
        return Err("no numbers in the file".into());
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_text() {
        assert_eq!(parse_samples("0.5 -1\n2,3e-1\t\n").unwrap(), vec![0.5, -1.0, 2.0, 0.3]);
        assert!(parse_samples("0.5 abc").unwrap_err().contains("'abc' (number 2)"));
        assert!(parse_samples(" \n").is_err());
    }
}
