//! An attack on a certificate: the largest ‖f(x) − g(x)‖∞ that projected
//! gradient ascent finds over the data's box [0, input_max]^d. It runs the
//! two networks' own forward passes and nothing else (no coefficient, no
//! approximation, no bound), so it is an independent lower bound on what
//! any certificate of the pair must exceed.
//!
//! Each start climbs s·(g_o − f_o) for the output o and sign s where the
//! difference is largest at its current point, by signed steps along a
//! finite-difference gradient (one forward pass per coordinate), clipped
//! to the box. Step sizes fall linearly from a tenth of the box's side.
//! Starts are the test rows where the difference is largest and random
//! points of the box (ChaCha8, [`crate::weights`]). Hand-rolled because
//! the networks have no backward pass: a finite difference is exact on the
//! linear pieces of these ReLU networks away from their kinks.

use crate::construction::TightCertificate;
use crate::data::Dataset;
use crate::net::Network;
use crate::ticket::SparseNet;
use crate::weights::uniform_weight;
use crate::{Error, Result};

/// How hard to attack.
#[derive(Clone, Copy, Debug)]
pub struct AttackConfig {
    /// Starting points: half the test rows with the largest difference,
    /// half uniform points of the box.
    pub starts: usize,
    /// Ascent steps from each start.
    pub steps: usize,
    /// Seed of the random starts.
    pub seed: u64,
}

impl Default for AttackConfig {
    fn default() -> AttackConfig {
        AttackConfig { starts: 32, steps: 40, seed: 0 }
    }
}

/// The best the attack found.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AttackResult {
    /// The largest ‖f(x) − g(x)‖∞ found.
    pub best_error: f64,
    /// The largest on the test rows alone (before any ascent).
    pub test_rows_error: f64,
    /// The input where `best_error` was found (in the box).
    pub input: Vec<f32>,
    /// Forward passes of each network.
    pub evaluations: u64,
}

/// Slack of [`AttackResult::within`] for the networks' f32 arithmetic:
/// the certificates bound exact arithmetic, the attack runs f32 forward
/// passes (errors near 10⁻⁵ on the logits here).
pub const ATTACK_SLACK: f64 = 1e-3;

impl AttackResult {
    /// Whether the largest error found is within `tight`'s bound (up to
    /// [`ATTACK_SLACK`]): false means the certificate is wrong.
    pub fn within(&self, tight: &TightCertificate) -> bool {
        self.best_error <= tight.bound + ATTACK_SLACK
    }
}

/// g − f on every row of `x` (row-major, the outputs of each row).
fn gaps(target: &Network, ticket: &SparseNet, x: &[f32], rows: usize) -> (Vec<f64>, usize) {
    let f = target.forward_batch(x, rows);
    let g = ticket.forward_batch(x, rows);
    (g.iter().zip(&f).map(|(a, b)| f64::from(*a) - f64::from(*b)).collect(), f.len() / rows.max(1))
}

/// max_o |gap_o| of one row's gaps, with the arg max o and its sign.
fn largest(gap: &[f64]) -> (f64, usize, f64) {
    let mut best = (f64::NEG_INFINITY, 0, 1.0);
    for (o, &v) in gap.iter().enumerate() {
        if v.abs() > best.0 {
            best = (v.abs(), o, v.signum());
        }
    }
    best
}

/// Attacks `ticket` against `target` over the box of `test`'s inputs (see
/// the module docs); `go_on` is asked after every step and stops the
/// attack early (the best so far is returned).
pub fn attack(
    target: &Network,
    ticket: &SparseNet,
    test: &Dataset,
    cfg: &AttackConfig,
    go_on: &(dyn Fn() -> bool + Sync),
) -> Result<AttackResult> {
    let dim = test.dim;
    test.expect_dim(target.d_in(), "the target").map_err(Error::Argument)?;
    if ticket.d_in() != dim {
        return Err(Error::Argument(format!("the ticket takes {} inputs but the data have {dim}", ticket.d_in())));
    }
    let hi = test.input_max as f32;
    let (first, d) = gaps(target, ticket, &test.inputs, test.len());
    let first: Vec<f64> = first.chunks(d.max(1)).map(|g| largest(g).0).collect();
    let mut evaluations = test.len() as u64;
    let mut order: Vec<usize> = (0..test.len()).collect();
    order.sort_by(|&a, &b| first[b].total_cmp(&first[a]).then(a.cmp(&b)));
    let (test_rows_error, mut best_input) =
        order.first().map_or((0.0, vec![0.0; dim]), |&r| (first[r], test.input(r).to_vec()));
    let mut best_error = test_rows_error;
    let from_rows = (cfg.starts / 2).min(test.len());
    let mut xs: Vec<Vec<f32>> = order[..from_rows].iter().map(|&r| test.input(r).to_vec()).collect();
    for s in 0..cfg.starts - from_rows {
        let at = (s * dim) as u64;
        xs.push((0..dim).map(|i| hi * 0.5 * (1.0 + uniform_weight(cfg.seed, 0, at + i as u64) as f32)).collect());
    }
    // Coordinate i of a start moves by h inward: up unless at the top.
    let h = hi * 1e-2;
    let moved = |x: &[f32], i: usize| if x[i] + h <= hi { x[i] + h } else { x[i] - h };
    let per = dim + 1;
    for step in 0..=cfg.steps {
        // Rows per start: x, then x with one coordinate moved.
        let mut batch = Vec::with_capacity(xs.len() * per * dim);
        for x in &xs {
            batch.extend_from_slice(x);
            for i in 0..dim {
                let at = batch.len() + i;
                batch.extend_from_slice(x);
                batch[at] = moved(x, i);
            }
        }
        let rows = xs.len() * per;
        let (gap, d) = gaps(target, ticket, &batch, rows);
        evaluations += rows as u64;
        let rate = hi * 0.1 * (1.0 - step as f32 / cfg.steps.max(1) as f32);
        for (k, x) in xs.iter_mut().enumerate() {
            let row = |r: usize| &gap[(k * per + r) * d..(k * per + r + 1) * d];
            let (value, o, s) = largest(row(0));
            if value > best_error {
                best_error = value;
                best_input = x.clone();
            }
            if step == cfg.steps {
                continue;
            }
            for (i, xi) in x.iter_mut().enumerate() {
                let change = s * (row(i + 1)[o] - row(0)[o]);
                let up = if *xi + h <= hi { change } else { -change };
                if up != 0.0 {
                    *xi = (*xi + rate * up.signum() as f32).clamp(0.0, hi);
                }
            }
        }
        if !go_on() {
            break;
        }
    }
    Ok(AttackResult { best_error, test_rows_error, input: best_input, evaluations })
}
