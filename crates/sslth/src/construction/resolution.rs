//! The float32 floor of a plan's tolerances (docs/THEORY.md §3.3): a
//! ticket runs in float32, so a layer's sums resolve no finer than their
//! size allows, and a tolerance below that is refused before sizing.

use super::config::BuildConfig;
use super::engine::PairSize;
use super::sizing::LayerPlan;
use crate::net::Network;

/// The smallest per-coefficient tolerance a layer can honour: its k-sums
/// of products up to `scale` in size, run in float32 as ticket files are,
/// resolve about k·scale·2⁻²⁴ and no finer.
pub fn resolution(size: &PairSize) -> f64 {
    size.k as f64 * size.scale * (-24f64).exp2()
}

/// Refuses a plan whose per-coefficient tolerance is finer than its
/// layer's float32 resolution ([`resolution`]), saying what set the
/// layer's scale under `cfg` (its largest weight, named; a quantile of its
/// weights; or the user's fixed scale): such a tolerance cannot be met,
/// and asking for it would size instances without bound (one corrupted
/// weight of 2.9·10³⁸ once planned n = 508, k = 230).
pub(super) fn check_resolution(net: &Network, plans: &[LayerPlan], cfg: &BuildConfig) -> Result<(), String> {
    let widths = net.widths();
    for (i, p) in plans.iter().enumerate() {
        let res = resolution(&p.size);
        if p.weight_eps >= res {
            continue;
        }
        let c = &p.target;
        let at = c.values.iter().enumerate().fold(0, |b, (t, v)| if v.abs() > c.values[b].abs() { t } else { b });
        let (q, o, j) = (at / (c.d_out * c.d_in), at / c.d_in % c.d_out, at % c.d_in);
        let (c_in, c_out) = (widths[i], widths[i + 1]);
        let name = if o >= c_out {
            "the carried constant".to_string()
        } else if j >= c_in && c.basis == 1 {
            format!("{}.bias[{o}] = {:.4e}", 2 * i, c.values[at])
        } else if j >= c_in {
            format!("layer {i}'s bias[{o}] = {:.4e}", c.values[at])
        } else if c.basis == 1 {
            format!("{}.weight[{o}, {j}] = {:.4e}", 2 * i, c.values[at])
        } else {
            format!("layer {i}'s coefficient C_{q}[{o}, {j}] = {:.4e}", c.values[at])
        };
        let set_by = match (cfg.scale, cfg.scale_quantile.filter(|&q| q < 1.0)) {
            (Some(s), _) => format!("the scale is `scale` = {s}"),
            (None, Some(q)) => format!("the scale is set by the {q} quantile of its weights (the largest is {name})"),
            (None, None) => format!("the scale is set by {name}"),
        };
        return Err(format!(
            "layer {i}: the per-weight tolerance {:.3e} is below float32 resolution at this layer's scale \
             ({} products of size up to {:.3e} resolve only {res:.3e}); {set_by}",
            p.weight_eps, p.size.k, p.size.scale
        ));
    }
    Ok(())
}
