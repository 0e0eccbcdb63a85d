//! An attack on a certificate: the largest ‖f(x) − g(x)‖∞ that projected
//! gradient ascent finds over the data's box [0, input_max]^d. It runs the
//! two networks' own forward passes and their exact gradients (reverse
//! mode through their own layers, [`crate::learn::backprop::input_gradients`];
//! the ticket as its network of masked layers, [`SparseNet::to_network`]),
//! and no coefficient, approximation or bound of the construction, so it is
//! an independent lower bound on what any certificate of the pair must
//! exceed.
//!
//! Every start is climbed once for each output o and sign s: s·(g_o − f_o)
//! by signed steps along its gradient (the ℓ∞ box's steepest ascent),
//! clipped to the box, the step falling linearly from a tenth of the box's
//! side to nothing. Starts: the test rows where the difference is largest
//! (a quarter), corners of the box (a quarter) and uniform points of it
//! (the rest), the last two drawn from the named generator
//! ([`crate::weights`]). The best quarter-starts' climbs are then polished
//! at the box's vertices (`polish`). Every error is measured by the
//! networks' own f32 forward passes, the ones the tool runs; every point
//! evaluated also raises the largest δ_o − δ_c seen for each pair of
//! outputs, to hold against the certificate's margin shifts.

use crate::construction::TightCertificate;
use crate::data::Dataset;
use crate::learn::backprop::input_gradients;
use crate::net::Network;
use crate::ticket::SparseNet;
use crate::weights::uniform_weight;
use crate::{Error, Result};

/// How hard to attack.
#[derive(Clone, Copy, Debug)]
pub struct AttackConfig {
    /// Starting points: a quarter the test rows with the largest
    /// difference, a quarter corners of the box, the rest uniform points of
    /// it; each is climbed once per output and sign.
    pub starts: usize,
    /// Ascent steps of each climb.
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
    /// Row c, column o: the largest δ_o − δ_c (δ = g − f) at any point the
    /// attack evaluated, to hold against the certificate's margin shifts.
    pub margin_shifts: Vec<Vec<f64>>,
    /// Forward passes of each network (the ascent's each with a gradient).
    pub evaluations: u64,
}

/// Slack of [`AttackResult::within`] for the networks' f32 arithmetic:
/// the certificates bound exact arithmetic, the attack runs f32 forward
/// passes (errors near 10⁻⁵ on the logits here).
pub const ATTACK_SLACK: f64 = 1e-3;

impl AttackResult {
    /// Whether the largest error found is within `tight`'s bound and every
    /// margin shift found within the certificate's (up to
    /// [`ATTACK_SLACK`]): false means the certificate is wrong.
    pub fn within(&self, tight: &TightCertificate) -> bool {
        let mut pairs = self.margin_shifts.iter().flatten().zip(tight.margin_shifts.iter().flatten());
        self.best_error <= tight.bound + ATTACK_SLACK && pairs.all(|(f, b)| *f <= b + ATTACK_SLACK)
    }
}

/// g − f on every row of `x` (row-major, the outputs of each row).
fn gaps(target: &Network, ticket: &SparseNet, x: &[f32], rows: usize) -> (Vec<f64>, usize) {
    let f = target.forward_batch(x, rows);
    let g = ticket.forward_batch(x, rows);
    (g.iter().zip(&f).map(|(a, b)| f64::from(*a) - f64::from(*b)).collect(), f.len() / rows.max(1))
}

/// Raises `shifts[c][o]` to one row's gap_o − gap_c where that is larger.
fn note_shifts(shifts: &mut [Vec<f64>], gap: &[f64]) {
    for (c, row) in shifts.iter_mut().enumerate() {
        for (o, s) in row.iter_mut().enumerate() {
            *s = s.max(gap[o] - gap[c]);
        }
    }
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
    let ticket_net = ticket.to_network().map_err(Error::Invalid)?;
    let hi = test.input_max as f32;
    let (first, d) = gaps(target, ticket, &test.inputs, test.len());
    let mut shifts = vec![vec![f64::NEG_INFINITY; d]; d];
    first.chunks(d.max(1)).for_each(|g| note_shifts(&mut shifts, g));
    let first: Vec<f64> = first.chunks(d.max(1)).map(|g| largest(g).0).collect();
    let mut evaluations = test.len() as u64;
    let mut order: Vec<usize> = (0..test.len()).collect();
    order.sort_by(|&a, &b| first[b].total_cmp(&first[a]).then(a.cmp(&b)));
    let (test_rows_error, mut best_input) =
        order.first().map_or((0.0, vec![0.0; dim]), |&r| (first[r], test.input(r).to_vec()));
    let mut best_error = test_rows_error;
    // One ascent per start and objective (o, s), all in one batch.
    let objectives = 2 * d;
    let mut xs: Vec<f32> =
        starts(test, &order, cfg).iter().flat_map(|x| std::iter::repeat_n(x, objectives).flatten()).copied().collect();
    let rows = xs.len() / dim.max(1);
    // The output weights of g − f's objective per row: s on output o.
    let weights = |sign: f32| -> Vec<f32> {
        (0..rows)
            .flat_map(|r| {
                let (o, s) = objective(r, objectives);
                (0..d).map(move |i| if i == o { sign * s as f32 } else { 0.0 })
            })
            .collect()
    };
    let (w_ticket, w_target) = (weights(1.0), weights(-1.0));
    // Each climb's best point and value of its own objective.
    let mut climbs: Vec<(f64, Vec<f32>)> = vec![(f64::NEG_INFINITY, Vec::new()); rows];
    for step in 0..=cfg.steps {
        let (gap, _) = gaps(target, ticket, &xs, rows);
        evaluations += rows as u64;
        for (r, g) in gap.chunks(d.max(1)).enumerate() {
            note_shifts(&mut shifts, g);
            let (value, _, _) = largest(g);
            if value > best_error {
                best_error = value;
                best_input = xs[r * dim..(r + 1) * dim].to_vec();
            }
            let (o, sign) = objective(r, objectives);
            let v = sign * g[o];
            if v > climbs[r].0 {
                climbs[r] = (v, xs[r * dim..(r + 1) * dim].to_vec());
            }
        }
        if step == cfg.steps || !go_on() {
            break;
        }
        let up = input_gradients(&ticket_net, &xs, &w_ticket);
        let down = input_gradients(target, &xs, &w_target);
        let rate = hi * 0.1 * (1.0 - step as f32 / cfg.steps.max(1) as f32);
        for ((x, a), b) in xs.iter_mut().zip(&up).zip(&down) {
            let slope = a + b;
            if slope != 0.0 {
                *x = (*x + rate * slope.signum()).clamp(0.0, hi);
            }
        }
    }
    // The best climbs polished at the box's vertices.
    let mut ranked: Vec<usize> = (0..rows).collect();
    ranked.sort_by(|&a, &b| climbs[b].0.total_cmp(&climbs[a].0).then(a.cmp(&b)));
    for &r in ranked.iter().take(cfg.starts / 4) {
        if !go_on() {
            break;
        }
        let (x, value, runs) = polish(target, ticket, &climbs[r], objective(r, objectives), hi, &mut shifts);
        evaluations += runs;
        if value > best_error {
            (best_error, best_input) = (value, x);
        }
    }
    Ok(AttackResult { best_error, test_rows_error, input: best_input, margin_shifts: shifts, evaluations })
}

/// Passes of [`polish`]: each moves one coordinate.
const POLISH_PASSES: usize = 8;

/// A climb's end polished at the box's vertices: up to [`POLISH_PASSES`]
/// times, every coordinate set to either edge of the box in turn, and the
/// move that raises s·(g_o − f_o) most kept (a piecewise-linear function
/// is largest at a vertex of one of its pieces, and on these networks
/// most pieces' vertices lie on the box's faces). Returns the point where
/// ‖g − f‖∞ was largest, that value and the forward passes run; every
/// point's gaps raise `shifts` ([`note_shifts`]).
fn polish(
    target: &Network,
    ticket: &SparseNet,
    (start_value, start): &(f64, Vec<f32>),
    (o, sign): (usize, f64),
    hi: f32,
    shifts: &mut [Vec<f64>],
) -> (Vec<f32>, f64, u64) {
    let dim = start.len();
    let (mut x, mut value) = (start.clone(), *start_value);
    let (mut best, mut best_input, mut runs) = (f64::NEG_INFINITY, x.clone(), 0);
    for _ in 0..POLISH_PASSES.min(dim) {
        let mut batch = Vec::with_capacity(2 * dim * dim);
        for i in 0..dim {
            for edge in [0.0, hi] {
                let at = batch.len() + i;
                batch.extend_from_slice(&x);
                batch[at] = edge;
            }
        }
        let (gap, d) = gaps(target, ticket, &batch, 2 * dim);
        runs += 2 * dim as u64;
        let mut moved = None;
        for (t, g) in gap.chunks(d.max(1)).enumerate() {
            note_shifts(shifts, g);
            if sign * g[o] > value {
                (value, moved) = (sign * g[o], Some(t));
            }
            let (error, _, _) = largest(g);
            if error > best {
                (best, best_input) = (error, batch[t * dim..(t + 1) * dim].to_vec());
            }
        }
        let Some(t) = moved else { break };
        x = batch[t * dim..(t + 1) * dim].to_vec();
    }
    (best_input, best, runs)
}

/// Row `r`'s objective: its output and sign, as the batch lays them out.
fn objective(r: usize, objectives: usize) -> (usize, f64) {
    ((r % objectives) / 2, if r % 2 == 0 { 1.0 } else { -1.0 })
}

/// The starting points: `cfg.starts` of them, a quarter the test rows in
/// `order` (largest difference first), a quarter corners of the box, the
/// rest uniform points of it.
fn starts(test: &Dataset, order: &[usize], cfg: &AttackConfig) -> Vec<Vec<f32>> {
    let (dim, hi) = (test.dim, test.input_max as f32);
    let from_rows = (cfg.starts / 4).min(test.len());
    let corners = cfg.starts / 4;
    let mut xs: Vec<Vec<f32>> = order[..from_rows].iter().map(|&r| test.input(r).to_vec()).collect();
    for s in 0..cfg.starts - from_rows {
        let at = (s * dim) as u64;
        let u = |i: usize| 0.5 * (1.0 + uniform_weight(cfg.seed, 0, at + i as u64) as f32);
        xs.push(
            (0..dim)
                .map(|i| {
                    if s < corners {
                        if u(i) < 0.5 {
                            0.0
                        } else {
                            hi
                        }
                    } else {
                        hi * u(i)
                    }
                })
                .collect(),
        );
    }
    xs
}
