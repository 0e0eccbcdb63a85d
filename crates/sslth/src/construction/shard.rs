//! A build shared among processes or machines: shard I of N builds a
//! fixed share of the rows of the pairs' B, and [`merge`] joins the shares
//! into exactly the [`Ticket`] that [`build()`](super::build()) makes.
//!
//! Every RFSS instance is independent and every random weight regenerates
//! from (seed, stream, index), so a share needs only the plan, which every
//! shard computes alike from the target and the configuration. The work of
//! a round is a list of [`Attempt`]s (a pair at an n); their rows, the
//! first attempt's first, are cut into N contiguous runs of about equal
//! cost (a row draws H = 2n·d_in samples), and shard I builds run I.
//!
//! Repair (a pair with a missed instance is rebuilt with n raised by a
//! quarter) needs the whole pair's misses, so it is a second round: the
//! first round builds every pair at the planned n ([`pending`] of no
//! parts); [`pending`] of the first round's parts names the pairs to build
//! again and at which n, and so on. [`merge`] builds whatever attempt is
//! still missing itself, so one round is enough for a correct ticket and
//! more rounds only move the repair work off the merging machine.

use super::build::{pair_spec, repair_sequence, Step, Ticket};
use super::engine::{assemble, build_pair, build_rows, pair_blocks, RowResult};
use super::sizing::LayerPlan;
use crate::net::Network;
use std::collections::BTreeMap;
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
    ///
    /// ```
    /// use sslth::construction::ShardId;
    ///
    /// assert_eq!(ShardId::parse("1/3"), ShardId::new(1, 3));
    /// assert!(ShardId::parse("3/3").is_err() && ShardId::new(0, 0).is_err());
    /// ```
    pub fn parse(text: &str) -> Result<ShardId, String> {
        let bad = || format!("a shard is I/N with 0 <= I < N (shard I of N, from 0), got {text:?}");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        ShardId::new(index, count).map_err(|_| bad())
    }

    /// Share `index` of `count`, if 0 ≤ index < count.
    pub fn new(index: usize, count: usize) -> Result<ShardId, String> {
        if count == 0 || index >= count {
            return Err(format!("a shard is (I, N) with 0 <= I < N (share I of N, from 0), got ({index}, {count})"));
        }
        Ok(ShardId { index, count })
    }
}

impl std::fmt::Display for ShardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One pair built at one n: the plan's, or a repair's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Attempt {
    /// The pair (target layer) index.
    pub pair: usize,
    /// Its n.
    pub n: usize,
}

/// The rows of one attempt that a shard built.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardPart {
    /// The pair (target layer) index.
    pub pair: usize,
    /// The pair's n when built.
    pub n: usize,
    /// The first row built; the rows follow in order.
    pub first_row: usize,
    /// Each row's kept edges and approximations.
    pub rows: Vec<RowResult>,
}

/// The rows of each attempt of `todo` that `shard` builds (attempts it has
/// no share of left out): all their rows, in order, cut into
/// `shard.count` contiguous runs of about equal cost, a row costing its
/// pair's hidden width 2n·d_in.
pub fn shard_rows(plans: &[LayerPlan], todo: &[Attempt], shard: ShardId) -> Vec<(Attempt, Range<usize>)> {
    let cost = |a: &Attempt| (2 * a.n * plans[a.pair].target.d_in) as u128;
    let rows = |a: &Attempt| plans[a.pair].target.rows();
    let total: u128 = todo.iter().map(|a| cost(a) * rows(a) as u128).sum();
    let (lo, hi) =
        (total * shard.index as u128 / shard.count as u128, total * (shard.index + 1) as u128 / shard.count as u128);
    let mut before = 0u128;
    let mut out = Vec::new();
    for a in todo {
        let (c, rows) = (cost(a), rows(a));
        // Row r belongs to the shard whose run holds its start.
        let first = |at: u128| (at.saturating_sub(before).div_ceil(c) as usize).min(rows);
        let range = first(lo)..first(hi);
        before += c * rows as u128;
        if !range.is_empty() {
            out.push((*a, range));
        }
    }
    out
}

/// Builds `shard`'s share of the attempts `todo` (see [`pending`]): its
/// rows of each. `progress` is called once per built row; `None` when it
/// returned false.
pub fn build_shard(
    plans: &[LayerPlan],
    seed: u64,
    todo: &[Attempt],
    shard: ShardId,
    progress: &(dyn Fn() -> bool + Sync),
) -> Option<Vec<ShardPart>> {
    let mut parts = Vec::new();
    for (a, rows) in shard_rows(plans, todo, shard) {
        let mut spec = pair_spec(&plans[a.pair], a.pair, seed);
        spec.size.n = a.n;
        let first_row = rows.start;
        let built = build_rows(&spec, &pair_blocks(&spec), rows, progress)?;
        parts.push(ShardPart { pair: a.pair, n: a.n, first_row, rows: built });
    }
    Some(parts)
}

/// The parts of one build, by attempt and first row; rows taken out as
/// each attempt is assembled.
struct Shelf(BTreeMap<Attempt, Vec<ShardPart>>);

impl Shelf {
    fn new(parts: Vec<ShardPart>, plans: &[LayerPlan]) -> Result<Shelf, String> {
        let mut shelf = BTreeMap::<Attempt, Vec<ShardPart>>::new();
        for part in parts {
            if part.pair >= plans.len() {
                return Err(format!("a shard holds pair {} but the plan has {} pairs", part.pair, plans.len()));
            }
            shelf.entry(Attempt { pair: part.pair, n: part.n }).or_default().push(part);
        }
        shelf.values_mut().for_each(|v| v.sort_by_key(|p| p.first_row));
        Ok(Shelf(shelf))
    }

    /// Whether any shard built attempt `a`.
    fn has(&self, a: Attempt) -> bool {
        self.0.contains_key(&a)
    }

    /// Missed instances of attempt `a`, if its parts cover every row once.
    fn misses(&self, a: Attempt, rows: usize) -> Result<u64, String> {
        let parts = &self.0[&a];
        let mut next = 0;
        for part in parts {
            if part.first_row != next {
                let (what, at) = if part.first_row < next { ("twice", part.first_row) } else { ("in no shard", next) };
                return Err(format!(
                    "row {at} of pair {} (n = {}) is {what}: the shards are not one build's shares",
                    a.pair, a.n
                ));
            }
            next += part.rows.len();
        }
        if next != rows {
            return Err(format!("pair {} has {rows} rows but the shards hold {next}: a shard is missing", a.pair));
        }
        Ok(parts.iter().flat_map(|p| &p.rows).map(|r| r.misses).sum())
    }

    /// The rows of attempt `a`, in order (after [`Shelf::misses`]).
    fn take(&mut self, a: Attempt) -> Vec<RowResult> {
        self.0.remove(&a).unwrap_or_default().into_iter().flat_map(|p| p.rows).collect()
    }
}

/// The attempts still to build after `parts`: for each pair, the first
/// attempt of its repair sequence (the plan's n, then each larger n while
/// the last one missed and the plan allows repair) that no shard built.
/// With no parts, every pair at the plan's n: the first round.
pub fn pending(plans: &[LayerPlan], parts: Vec<ShardPart>) -> Result<Vec<Attempt>, String> {
    let shelf = Shelf::new(parts, plans)?;
    let mut todo = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        // The sequence as the build walks it, each attempt's misses read
        // from the shelf; the first attempt not on it (counted as missing
        // nothing, to end the walk there) is the one still to build.
        let next = repair_sequence(p, |n, _, _| {
            let a = Attempt { pair: i, n };
            Ok::<_, String>(match shelf.has(a) {
                true => Step::Built(shelf.misses(a, p.target.rows())?, None),
                false => Step::Built(0, Some(a)),
            })
        })?;
        todo.extend(next.flatten());
    }
    Ok(todo)
}

/// Joins the parts of every shard (any rounds, in any order) into the
/// ticket that [`build()`](super::build()) makes of these plans: each pair's
/// repair sequence walked as the build walks it, an attempt no shard built
/// built here. Errors if an attempt's parts are not exactly one cover of
/// its rows, or if no shard built a pair at the plan's n. `Ok(None)` if
/// `progress` stopped a build here.
pub fn merge(
    net: &Network,
    plans: &[LayerPlan],
    seed: u64,
    nonneg_input: bool,
    parts: Vec<ShardPart>,
    progress: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Ticket>, String> {
    let mut shelf = Shelf::new(parts, plans)?;
    let mut pairs = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        let mut spec = pair_spec(p, i, seed);
        let pair = repair_sequence(p, |n, attempt, _| {
            spec.size.n = n;
            let a = Attempt { pair: i, n };
            let pair = if shelf.has(a) {
                shelf.misses(a, p.target.rows())?;
                assemble(&spec, &pair_blocks(&spec), shelf.take(a))
            } else if attempt == 0 {
                return Err(format!("no shard holds pair {i} at the plan's n = {n}: a shard is missing"));
            } else {
                match build_pair(&spec, progress) {
                    Some(pair) => pair,
                    None => return Ok(Step::Interrupted),
                }
            };
            Ok(Step::Built(pair.misses, pair))
        })?;
        let Some(pair) = pair else { return Ok(None) };
        pairs.push(pair);
    }
    Ok(Some(Ticket::of_pairs(net, seed, nonneg_input, pairs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::construction::{build, plan, BuildConfig, Sizing};
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
        let cases = [(2, 4, 3), (1, 1, 3), (1, 2, 3)];
        for ((layers, seed, k), count) in cases.into_iter().flat_map(|s| [1, 2, 3, 5, 40].map(|c| (s, c))) {
            let net = target(layers);
            let cfg = BuildConfig { sizing: Sizing::K(k), ..BuildConfig::for_density(seed, 1.0, 0.01) };
            let plans = plan(&net, &cfg).unwrap();
            let whole = build(&net, &plans, seed, false, &|| true).unwrap();
            repairs += whole.pairs.iter().zip(&plans).filter(|(w, p)| w.size.n != p.size.n).count();
            let shards: Vec<ShardId> = (0..count).map(|index| ShardId { index, count }).collect();
            let first = pending(&plans, Vec::new()).unwrap();
            assert_eq!(first.len(), plans.len());
            // Every row of every pair in exactly one shard.
            for a in &first {
                let mut covered = vec![0; plans[a.pair].target.rows()];
                for &s in &shards {
                    for (b, rows) in shard_rows(&plans, &first, s) {
                        if b == *a {
                            rows.for_each(|r| covered[r] += 1);
                        }
                    }
                }
                assert!(covered.iter().all(|&c| c == 1), "{count} shards, {a:?}: {covered:?}");
            }
            // Merged in any order: the same ticket, repaired here.
            let round = |todo: &[Attempt]| -> Vec<ShardPart> {
                shards.iter().rev().flat_map(|&s| build_shard(&plans, seed, todo, s, &|| true).unwrap()).collect()
            };
            let mut parts = round(&first);
            let merged = merge(&net, &plans, seed, false, parts.clone(), &|| true).unwrap().unwrap();
            assert_eq!(merged, whole, "{count} shards");
            // Or repaired by the shards in further rounds, until nothing
            // is pending; then the merge builds nothing.
            let mut all = parts.clone();
            loop {
                let todo = pending(&plans, all.clone()).unwrap();
                if todo.is_empty() {
                    break;
                }
                assert!(todo.iter().all(|a| a.n > plans[a.pair].size.n));
                all.extend(round(&todo));
            }
            let stopped = merge(&net, &plans, seed, false, all, &|| false).unwrap();
            assert_eq!(stopped, Some(whole.clone()), "{count} shards, repaired in rounds");
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
