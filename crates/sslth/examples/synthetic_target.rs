//! A synthetic dense target for the scale benchmarks (bench/scale.sh):
//! an MLP of the given widths with biases, its weights Kaiming-normal
//! (standard deviation √(2/fan_in), the scale a trained ReLU layer starts
//! from) and its biases zero, drawn from the project's seeded generator,
//! so the same arguments always give the same file. No data set: the
//! target records none, and builds of it are certified but not measured.
//!
//!     cargo run --release -p sslth --example synthetic_target -- 1000-3000-3000-10 target.safetensors [seed]

use sslth::net::{LinearWeights, Network};
use sslth::weights::WeightStream;
use std::collections::HashMap;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synthetic_target: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let [arch, out, rest @ ..] = args else {
        return Err("usage: synthetic_target WIDTHS (e.g. 1000-3000-3000-10) OUTPUT [SEED]".into());
    };
    let widths: Vec<usize> = arch
        .split('-')
        .map(|w| w.parse().ok().filter(|&w| w > 0).ok_or(format!("bad width {w:?} in {arch:?}")))
        .collect::<Result<_, _>>()?;
    if widths.len() < 2 {
        return Err("give at least an input and an output width".into());
    }
    let seed: u64 = match rest.first() {
        Some(s) => s.parse().map_err(|_| format!("bad seed {s:?}"))?,
        None => 0,
    };
    let layers: Vec<LinearWeights> = widths
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let (d_in, d_out) = (w[0], w[1]);
            let std = (2.0 / d_in as f64).sqrt();
            let mut stream = WeightStream::new(seed, i as u64);
            // Box–Muller on pairs of the generator's Uniform[−1, 1) draws.
            let mut weight = Vec::with_capacity(d_in * d_out);
            while weight.len() < d_in * d_out {
                let u1 = 1.0 - (stream.next_weight() + 1.0) / 2.0; // in (0, 1]
                let u2 = (stream.next_weight() + 1.0) / 2.0;
                let r = (-2.0 * u1.ln()).sqrt();
                let t = std::f64::consts::TAU * u2;
                weight.push((std * r * t.cos()) as f32);
                weight.push((std * r * t.sin()) as f32);
            }
            weight.truncate(d_in * d_out);
            LinearWeights { d_in, d_out, weight, bias: Some(vec![0.0; d_out]) }
        })
        .collect();
    let net = Network::mlp(&layers);
    let bytes = sslth::files::target::to_safetensors(&net, None, HashMap::new());
    sslth::files::write_atomic(std::path::Path::new(out), &bytes).map_err(|e| format!("cannot write {out}: {e}"))?;
    println!("wrote {out}: {} weights", net.weight_count());
    Ok(())
}
