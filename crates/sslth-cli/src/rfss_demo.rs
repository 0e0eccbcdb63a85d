//! `sslth rfss demo`: random RFSS instances of the sizes a ticket is made
//! of, solved in both modes, with timings.

use clap::Args;
use rfss::{Dist, Instance, Mode, Solver};
use sslth_report::text::{self, duration, median};
use std::time::{Duration, Instant};

/// Arguments of `sslth rfss demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Seed for the random instances.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Instances per row of the table.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    instances: u64,
    /// Print the table as JSON.
    #[arg(long)]
    json: bool,
}

/// One row: a shape (n, k, ε, mode) and what solving it cost.
#[derive(serde::Serialize)]
struct Row {
    dist: &'static str,
    n: usize,
    k: usize,
    eps: f64,
    mode: &'static str,
    instances: u64,
    found: u64,
    none: u64,
    unknown: u64,
    median_gap: f64,
    median_time_us: f64,
    max_time_us: f64,
}

/// Runs the demo.
pub fn run(args: &DemoArgs) -> Result<(), String> {
    let shapes: [(usize, usize, f64, &[Mode]); 6] = [
        (16, 4, 1e-2, &[Mode::Within, Mode::Best]),
        (32, 8, 1e-2, &[Mode::Within, Mode::Best]),
        (32, 8, 1e-4, &[Mode::Within, Mode::Best]),
        (40, 10, 1e-4, &[Mode::Within, Mode::Best]),
        (64, 16, 1e-4, &[Mode::Within]),
        (64, 3, 1e-4, &[Mode::Within]),
    ];
    let mut solver = Solver::new(rfss::Budget::default());
    let mut rows = Vec::new();
    for (shape, &(n, k, eps, modes)) in shapes.iter().enumerate() {
        for &mode in modes {
            rows.push(measure(&mut solver, args, shape as u64, (n, k, eps), mode)?);
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows).expect("serialisable"));
        return Ok(());
    }
    println!(
        "RFSS demo: {} instances a row, product samples U[0,1]·U[-1,1], targets uniform in [-0.4, 0.4], seed {}, one thread",
        args.instances, args.seed
    );
    let cells: Vec<Vec<String>> = rows.iter().map(cells_of).collect();
    print!(
        "{}",
        text::table(
            &["n", "k", "eps", "mode", "found", "none", "unknown", "median gap", "median time", "max time"],
            &cells
        )
    );
    println!("found: share with |sum - target| < eps; none: proved impossible; times are wall clock per instance");
    Ok(())
}

/// `args.instances` solves of one (n, k, ε) shape in `mode`, timed, as a
/// row (shape `shape` numbers its random streams).
fn measure(
    solver: &mut Solver,
    args: &DemoArgs,
    shape: u64,
    (n, k, eps): (usize, usize, f64),
    mode: Mode,
) -> Result<Row, String> {
    let (mut times, mut gaps) = (Vec::new(), Vec::new());
    let mut counts = [0u64; 3];
    for t in 0..args.instances {
        let stream = shape << 32 | t;
        let samples = rfss::draw(Dist::Product, n, args.seed, stream);
        let target = 0.4 * rfss::symmetric_unit(&mut rfss::rng(args.seed ^ 0x7a7a, stream));
        let inst = Instance::new(samples, k, target, eps).map_err(|e| e.to_string())?;
        let start = Instant::now();
        let a = solver.solve(&inst, mode).map_err(|e| e.to_string())?;
        times.push(start.elapsed());
        gaps.push(a.gap);
        let slot = match a.status {
            rfss::Status::Found => 0,
            rfss::Status::None => 1,
            rfss::Status::Unknown => 2,
        };
        counts[slot] += 1;
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    Ok(Row {
        dist: Dist::Product.name(),
        n,
        k,
        eps,
        mode: mode.name(),
        instances: args.instances,
        found: counts[0],
        none: counts[1],
        unknown: counts[2],
        median_gap: median(&gaps).unwrap_or(f64::NAN),
        median_time_us: us(median(&times).unwrap_or_default()),
        max_time_us: us(times.iter().copied().max().unwrap_or_default()),
    })
}

/// A row as the printed table's cells.
fn cells_of(r: &Row) -> Vec<String> {
    let t = |us: f64| duration(Duration::from_secs_f64(us * 1e-6));
    vec![
        r.n.to_string(),
        r.k.to_string(),
        format!("{:.0e}", r.eps),
        r.mode.to_string(),
        format!("{:.1}%", 100.0 * r.found as f64 / r.instances as f64),
        r.none.to_string(),
        r.unknown.to_string(),
        format!("{:.2e}", r.median_gap),
        t(r.median_time_us),
        t(r.max_time_us),
    ]
}
