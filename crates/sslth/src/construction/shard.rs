//! A build shared among processes or machines: shard I of N builds a
//! fixed share of the rows of every pair's B, and [`merge`] joins the
//! shares into exactly the [`Ticket`] that [`build`](super::build) makes.
//!
//! Every RFSS instance is independent and every random weight regenerates
//! from (seed, stream, index), so a share needs only the plan, which every
//! shard computes alike from the target and the configuration. The rows of
//! all pairs, pair 0's first, are cut into N contiguous runs of about equal
//! cost (a row of pair i draws H_i = 2n_i·d_in samples); shard I builds run
//! I at the planned n. Repair (a pair with a missed instance is rebuilt
//! with a larger n) needs the whole pair's misses, so it happens in
//! [`merge`], on one machine, exactly as in [`build`](super::build).

use super::build::{pair_spec, repaired, Ticket};
use super::engine::{assemble, build_rows, pair_blocks, RowResult};
use super::sizing::LayerPlan;
use crate::net::Network;
use std::ops::Range;

/// Shard `index` of `count` (0-based: 0 ≤ index < count).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShardId {
    /// Which share, from 0.
    pub index: usize,
    /// How many shares.
    pub count: usize,
}

impl ShardId {
    /// Parses `I/N` (0 ≤ I < N), as `sslth build --shard` takes it.
    pub fn parse(text: &str) -> Result<ShardId, String> {
        let bad = || format!("--shard takes I/N with 0 <= I < N (shard I of N, from 0), got {text:?}");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(ShardId { index, count })
    }
}

impl std::fmt::Display for ShardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The rows of one pair's B that a shard built, at the planned n.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardPart {
    /// The pair (target layer) index.
    pub pair: usize,
    /// The pair's n when built (the plan's).
    pub n: usize,
    /// The first row built; the rows follow in order.
    pub first_row: usize,
    /// Each row's kept edges and approximations.
    pub rows: Vec<RowResult>,
}

/// The rows of each pair that `shard` builds (empty ranges for pairs it
/// has no share of): the concatenation of all pairs' rows cut into
/// `shard.count` contiguous runs of about equal cost, a row of pair i
/// costing its hidden width H_i.
pub fn shard_rows(plans: &[LayerPlan], shard: ShardId) -> Vec<Range<usize>> {
    let cost = |p: &LayerPlan| (2 * p.size.n * p.target.d_in) as u128;
    let total: u128 = plans.iter().map(|p| cost(p) * p.target.rows() as u128).sum();
    let (lo, hi) =
        (total * shard.index as u128 / shard.count as u128, total * (shard.index + 1) as u128 / shard.count as u128);
    let mut before = 0u128;
    plans
        .iter()
        .map(|p| {
            let (c, rows) = (cost(p), p.target.rows());
            // Row r belongs to the shard whose run holds its start.
            let first = |at: u128| (at.saturating_sub(before).div_ceil(c) as usize).min(rows);
            let range = first(lo)..first(hi);
            before += c * rows as u128;
            range
        })
        .collect()
}

/// Builds `shard`'s share of the planned ticket: its rows of every pair at
/// the planned n, with no repair. `progress` is called once per built row;
/// `None` when it returned false.
pub fn build_shard(
    plans: &[LayerPlan],
    seed: u64,
    shard: ShardId,
    progress: &(dyn Fn() -> bool + Sync),
) -> Option<Vec<ShardPart>> {
    let mut parts = Vec::new();
    for (i, (p, rows)) in plans.iter().zip(shard_rows(plans, shard)).enumerate() {
        if rows.is_empty() {
            continue;
        }
        let spec = pair_spec(p, i, seed);
        let first_row = rows.start;
        let built = build_rows(&spec, &pair_blocks(&spec), rows, progress)?;
        parts.push(ShardPart { pair: i, n: p.size.n, first_row, rows: built });
    }
    Some(parts)
}

/// Joins the parts of every shard (in any order) into the ticket that
/// [`build`](super::build) makes of these plans: each pair assembled from
/// its rows, then repaired where it missed, here. Errors if the parts are
/// not exactly one cover of every pair's rows at the planned n. `Ok(None)`
/// if `progress` stopped a repair.
pub fn merge(
    net: &Network,
    plans: &[LayerPlan],
    seed: u64,
    nonneg_input: bool,
    mut parts: Vec<ShardPart>,
    progress: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Ticket>, String> {
    parts.sort_by_key(|p| (p.pair, p.first_row));
    let mut pairs = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        let mut rows: Vec<RowResult> = Vec::with_capacity(p.target.rows());
        for part in parts.iter_mut().filter(|q| q.pair == i) {
            if part.n != p.size.n {
                return Err(format!("a shard built pair {i} with n = {} but the plan has n = {}", part.n, p.size.n));
            }
            if part.first_row != rows.len() {
                let (what, at) =
                    if part.first_row < rows.len() { ("twice", part.first_row) } else { ("in no shard", rows.len()) };
                return Err(format!("row {at} of pair {i} is {what}: the shards are not one build's shares"));
            }
            rows.append(&mut part.rows);
        }
        if rows.len() != p.target.rows() {
            return Err(format!(
                "pair {i} has {} rows but the shards hold {}: a shard is missing",
                p.target.rows(),
                rows.len()
            ));
        }
        let spec = pair_spec(p, i, seed);
        let pair = assemble(&spec, &pair_blocks(&spec), rows);
        match repaired(&spec, p, pair, progress) {
            Some(pair) => pairs.push(pair),
            None => return Ok(None),
        }
    }
    if let Some(extra) = parts.iter().find(|q| q.pair >= plans.len()) {
        return Err(format!("a shard holds pair {} but the plan has {} pairs", extra.pair, plans.len()));
    }
    Ok(Some(Ticket::of_pairs(net, seed, nonneg_input, pairs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::construction::{build, plan, BuildConfig};
    use crate::net::LinearWeights;

    /// A 7-6-3 target, or its first layer alone.
    fn target(layers: usize) -> Network {
        let draw = |n: usize, s: u64| -> Vec<f32> {
            (0..n).map(|i| (0.4 * crate::weights::uniform_weight(9, s, i as u64)) as f32).collect()
        };
        let mut l = vec![
            LinearWeights { d_in: 7, d_out: 6, weight: draw(42, 1), bias: Some(draw(6, 2)) },
            LinearWeights { d_in: 6, d_out: 3, weight: draw(18, 3), bias: Some(draw(3, 4)) },
        ];
        l.truncate(layers);
        Network::mlp(&l)
    }

    #[test]
    fn shares_cover_every_row_once_and_merge_to_the_one_machine_build() {
        let mut repairs = 0;
        // (layers, seed, k): the last two repair a pair (seen in testing).
        let cases = [(2, 4, 3), (1, 0, 3), (1, 1, 2)];
        for ((layers, seed, k), count) in cases.into_iter().flat_map(|s| [1, 2, 3, 5, 40].map(|c| (s, c))) {
            let net = target(layers);
            let cfg = BuildConfig { k: Some(k), ..BuildConfig::for_density(seed, 1.0, 0.01) };
            let plans = plan(&net, &cfg).unwrap();
            let whole = build(&net, &plans, seed, false, &|| true).unwrap();
            repairs += whole.pairs.iter().zip(&plans).filter(|(w, p)| w.size.n != p.size.n).count();
            let shards: Vec<ShardId> = (0..count).map(|index| ShardId { index, count }).collect();
            // Every row of every pair in exactly one shard.
            for (i, p) in plans.iter().enumerate() {
                let mut covered = vec![0; p.target.rows()];
                for &s in &shards {
                    shard_rows(&plans, s)[i].clone().for_each(|r| covered[r] += 1);
                }
                assert!(covered.iter().all(|&c| c == 1), "{count} shards, pair {i}: {covered:?}");
            }
            // Merged in any order: the same ticket.
            let mut parts: Vec<ShardPart> =
                shards.iter().rev().flat_map(|&s| build_shard(&plans, seed, s, &|| true).unwrap()).collect();
            let merged = merge(&net, &plans, seed, false, parts.clone(), &|| true).unwrap().unwrap();
            assert_eq!(merged, whole, "{count} shards");
            if count > 1 {
                // A shard left out, or given twice, is refused.
                let dropped: Vec<ShardPart> = parts[1..].to_vec();
                let e = merge(&net, &plans, seed, false, dropped, &|| true).unwrap_err();
                assert!(e.contains("missing") || e.contains("in no shard"), "{e}");
                parts.push(parts[0].clone());
                let e = merge(&net, &plans, seed, false, parts, &|| true).unwrap_err();
                assert!(e.contains("twice"), "{e}");
            }
        }
        // Some of these pairs were repaired (rebuilt with a larger n), in
        // merge as in the one-machine build.
        assert!(repairs > 0);
    }

    #[test]
    fn shard_ids_parse_and_refuse_what_is_not_one() {
        assert_eq!(ShardId::parse("2/5"), Ok(ShardId { index: 2, count: 5 }));
        for bad in ["5/5", "1/0", "a/2", "3", "-1/2"] {
            assert!(ShardId::parse(bad).unwrap_err().contains("I/N"), "{bad}");
        }
    }
}
