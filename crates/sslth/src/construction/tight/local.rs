//! Local certificates (docs/THEORY.md §6.2): for each test row, a bound
//! over the ℓ∞ ball of radius r around it (within the data's box) rather
//! than over the whole box. The same propagation gives the target's
//! outputs over the ball; where the target's top class c keeps a positive
//! margin over every other output o on the whole ball, and so does the
//! ticket's (`Reach::beats_all`: the target's margin above 2β, β the
//! ball's bound on ‖f − g‖∞, or the ticket's margin walked back),
//! target and ticket give class c on every input of the ball.

use super::{propagate, InputBox};
use crate::construction::layers::augmented_layers;
use crate::data::Dataset;
use crate::net::Network;
use rayon::prelude::*;

/// What the local certificates of a ticket certify on a data set's rows.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LocalCertificates {
    /// The balls' radius, in raw input units (as the data's files hold
    /// values: grey levels for images).
    pub radius: f64,
    /// The same radius in the networks' input units (raw × the data's
    /// scale).
    pub scaled_radius: f64,
    /// Test rows whose whole ball is certified to get the same class from
    /// target and ticket.
    pub certified: usize,
    /// Test rows.
    pub rows: usize,
    /// `certified` / `rows`.
    pub share: f64,
    /// The median over the rows of their balls' bound on ‖f − g‖∞.
    pub median_bound: f64,
    /// Wall time of all rows' certificates.
    pub seconds: f64,
    /// Each row's verdict (certified or not), in row order; not written
    /// out.
    #[serde(skip)]
    pub per_row: Vec<bool>,
}

/// Certifies the ball of raw radius `radius` around each row of `test`
/// for a ticket whose pairs compute `approx` against `net` (see the
/// module docs), each row's walks within `walk_budget`
/// ([`super::DEFAULT_WALK_BUDGET`]). `go_on` is asked after each row;
/// false stops with `None`.
pub fn certify_rows(
    net: &Network,
    nonneg_input: bool,
    approx: &[(&[f64], &[f64])],
    test: &Dataset,
    radius: f64,
    walk_budget: u64,
    go_on: &(dyn Fn() -> bool + Sync),
) -> Result<Option<LocalCertificates>, String> {
    if !(radius.is_finite() && radius >= 0.0) {
        return Err(format!("`radius` must be a finite number >= 0, got {radius}"));
    }
    test.expect_dim(net.d_in(), "the target")?;
    let start = std::time::Instant::now();
    let layers = augmented_layers(net, nonneg_input)?;
    let classes = test.inputs.get(..test.dim).map_or(0, |row| net.forward_batch(row, 1).len());
    let scaled = radius * test.scale;
    let rows: Vec<Option<(bool, f64)>> = (0..test.len())
        .into_par_iter()
        .map(|r| {
            let ball = InputBox::ball(test.input(r), scaled, test.input_max);
            let reach = propagate(net, &layers, approx, &ball, walk_budget)?;
            if reach.outputs.0.len() != classes {
                return Err(format!("{} output bounds for {classes} outputs", reach.outputs.0.len()));
            }
            let lo = &reach.outputs.0;
            let top = (0..lo.len()).max_by(|&a, &b| lo[a].total_cmp(&lo[b]));
            let certified = top.is_some_and(|c| reach.beats_all(c, &ball));
            Ok(go_on().then_some((certified, reach.bound)))
        })
        .collect::<Result<_, String>>()?;
    let Some(rows) = rows.into_iter().collect::<Option<Vec<_>>>() else { return Ok(None) };
    let certified = rows.iter().filter(|r| r.0).count();
    let mut bounds: Vec<f64> = rows.iter().map(|r| r.1).collect();
    bounds.sort_by(f64::total_cmp);
    Ok(Some(LocalCertificates {
        radius,
        scaled_radius: scaled,
        certified,
        rows: rows.len(),
        share: certified as f64 / rows.len().max(1) as f64,
        median_bound: bounds.get(bounds.len() / 2).copied().unwrap_or(0.0),
        seconds: start.elapsed().as_secs_f64(),
        per_row: rows.iter().map(|r| r.0).collect(),
    }))
}
