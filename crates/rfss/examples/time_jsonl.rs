//! Times the solver on each instance of a JSON Lines file (the `--batch`
//! format), in process and on one thread, for `bench/compare_mip.py`.
//!
//! cargo run --release -p rfss --features jsonl --example time_jsonl -- FILE
//!
//! Prints one JSON line per instance: the median wall-clock time of one
//! solve over repeated runs (`ns`), and the answer (`status`, `gap`,
//! `subset`).

use rfss::{Budget, Solver};
use std::io::BufRead;
use std::time::{Duration, Instant};

fn main() {
    let path = std::env::args().nth(1).expect("usage: time_jsonl FILE");
    let file = std::io::BufReader::new(std::fs::File::open(&path).expect("readable file"));
    let mut solver = Solver::new(Budget::default());
    for line in file.lines() {
        let (inst, mode) = rfss::jsonl::parse_line(&line.expect("readable line")).expect("valid instance");
        // Repeat until 50 ms or 2,000 runs, at least 5 runs; take the median.
        let mut times = Vec::new();
        let started = Instant::now();
        let mut answer = None;
        while times.len() < 5 || (started.elapsed() < Duration::from_millis(50) && times.len() < 2000) {
            let t = Instant::now();
            let a = solver.solve(&inst, mode).expect("valid instance");
            times.push(t.elapsed());
            answer = Some(a);
        }
        times.sort();
        let a = answer.expect("solved at least once");
        println!(
            "{}",
            serde_json::json!({
                "ns": times[times.len() / 2].as_nanos() as u64,
                "status": a.status.name(),
                "gap": a.gap,
                "subset": a.subset,
            })
        );
    }
}
