//! Measured quality of a ticket against its target.

use crate::data::Dataset;
use crate::ticket::SparseNet;
use rayon::prelude::*;

/// The target and the ticket side by side on one dataset.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Comparison {
    /// Rows compared.
    pub rows: usize,
    /// Test accuracy of the target.
    pub target_accuracy: f64,
    /// Test accuracy of the ticket's own forward pass.
    pub ticket_accuracy: f64,
    /// Share of rows where both predict the same class.
    pub agreement: f64,
    /// max over rows of ‖f(x) − g(x)‖₂ (output space).
    pub max_error: f64,
    /// mean over rows of ‖f(x) − g(x)‖₂.
    pub mean_error: f64,
}

/// Share of rows of `data` whose largest output (row-major `outputs`) is
/// the label.
pub fn accuracy(outputs: &[f32], data: &Dataset) -> f64 {
    let d = outputs.len() / data.len().max(1);
    let correct =
        (0..data.len()).filter(|&i| argmax(&outputs[i * d..(i + 1) * d]) == usize::from(data.labels[i])).count();
    correct as f64 / data.len().max(1) as f64
}

/// Runs the ticket on every row of `data` beside the target's outputs
/// `fx` on them (row-major).
pub fn compare(fx: &[f32], ticket: &SparseNet, data: &Dataset) -> Comparison {
    let g = ticket.forward_batch(&data.inputs, data.len());
    let d = g.len() / data.len().max(1);
    let per_row: Vec<(bool, bool, bool, f64)> = (0..data.len())
        .into_par_iter()
        .map(|i| {
            let f = &fx[i * d..(i + 1) * d];
            let gi = &g[i * d..(i + 1) * d];
            let err = f.iter().zip(gi).map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2)).sum::<f64>().sqrt();
            let (pf, pg) = (argmax(f), argmax(gi));
            let label = usize::from(data.labels[i]);
            (pf == label, pg == label, pf == pg, err)
        })
        .collect();
    let n = per_row.len().max(1) as f64;
    let share = |pick: fn(&(bool, bool, bool, f64)) -> bool| per_row.iter().filter(|r| pick(r)).count() as f64 / n;
    Comparison {
        rows: per_row.len(),
        target_accuracy: share(|r| r.0),
        ticket_accuracy: share(|r| r.1),
        agreement: share(|r| r.2),
        max_error: per_row.iter().map(|r| r.3).fold(0.0, f64::max),
        mean_error: per_row.iter().map(|r| r.3).sum::<f64>() / n,
    }
}

/// Index of the largest value (the first on ties).
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}
