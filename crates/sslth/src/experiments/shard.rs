//! Shard files: one share of a sharded build ([`crate::construction::shard`])
//! as `sslth build --shard I/N` writes it and `sslth merge` reads it
//! (docs/FORMAT.md, "Shard files").
//!
//! A safetensors file whose metadata hold `format` = `sslth-shard`,
//! `version` 2, `shard` (`I/N`), `round` (1 for the plan's n, then one
//! more per repair round), `config` (the build's options as JSON),
//! `plan_digest` (FNV-1a of the plan: every pair's n, k, scale, tolerance,
//! repair and sides, and every target coefficient, so that a share of
//! another target or another sizing is refused) and `parts` (JSON: per
//! part t, its pair, n, first row and row count). Part t's tensors:
//! `t.kept` (U32, kept B edges per row), `t.hidden` (U32) and `t.value`
//! (F32) of those edges row after row, `t.pos` and `t.neg` (F64, rows ×
//! d_in: Ĉ⁺ and Ĉ⁻), `t.instances` and `t.misses` (U64 per row) and
//! `t.max_err` (F64 per row).

use crate::construction::engine::RowResult;
use crate::construction::{
    build_shard, pending, plan, shard_rows, Attempt, BuildConfig, LayerPlan, ShardId, ShardPart,
};
use crate::files::digest::Fnv;
use crate::files::safetensors::serialize_typed;
use crate::net::Network;
use crate::{Error, Result};
use safetensors::{Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// `format` of a shard file.
pub const SHARD: &str = "sslth-shard";

/// What `sslth build --shard` reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ShardReport {
    /// `I/N`.
    pub shard: String,
    /// 1 for the plan's n, then one more per repair round.
    pub round: usize,
    /// The attempts (pair, n) of this round, all shards together; empty
    /// when nothing is left to repair.
    pub attempts: Vec<Attempt>,
    /// B rows built, over all pairs.
    pub rows: usize,
    /// RFSS instances solved.
    pub rfss_instances: u64,
    /// Of which missed their tolerance (repaired at the merge).
    pub rfss_misses: u64,
    /// Kept B edges.
    pub kept_edges: u64,
    /// Wall-clock seconds of planning and building.
    pub build_seconds: f64,
    /// Bytes of the shard file.
    pub file_bytes: usize,
}

/// One share read back.
#[derive(Clone, Debug)]
pub struct Shard {
    /// Which share.
    pub id: ShardId,
    /// Its round: 1 for the plan's n, then one more per repair round.
    pub round: usize,
    /// The build's options.
    pub config: BuildConfig,
    /// The plan's digest.
    pub plan_digest: String,
    /// Its rows.
    pub parts: Vec<ShardPart>,
}

/// The digest a shard file records of the plan it was built from.
pub fn plan_digest(plans: &[LayerPlan]) -> String {
    let mut f = Fnv::new();
    for p in plans {
        for v in [p.size.n as u64, p.size.k as u64, p.size.scale.to_bits(), p.weight_eps.to_bits(), u64::from(p.repair)]
        {
            f.eat(&v.to_le_bytes());
        }
        p.nonneg.iter().for_each(|&b| f.eat(&[u8::from(b)]));
        let c = &p.target;
        for v in [c.basis, c.pointwise, c.d_out, c.d_in] {
            f.eat(&(v as u64).to_le_bytes());
        }
        c.values.iter().for_each(|v| f.eat(&v.to_bits().to_le_bytes()));
    }
    f.hex()
}

/// Plans `net` with `cfg` and builds `shard`'s share of the next round
/// after the shards `earlier` (none: the first round, every pair at the
/// plan's n; else the repairs [`pending`] after them, which must be whole
/// rounds of this build) and returns the shard file's bytes with a report;
/// `show_rows` sees how many rows the share has before they are built, and
/// `progress` is called after each.
pub fn build_shard_file(
    net: &Network,
    cfg: &BuildConfig,
    shard: ShardId,
    earlier: Vec<(Shard, String)>,
    show_rows: impl Fn(usize),
    progress: &(dyn Fn() -> bool + Sync),
) -> Result<(Vec<u8>, ShardReport)> {
    let t0 = Instant::now();
    let plans = plan(net, cfg)?;
    let digest = plan_digest(&plans);
    let round = earlier.iter().map(|(s, _)| s.round).max().unwrap_or(0) + 1;
    let parts = if earlier.is_empty() { Vec::new() } else { checked(net, earlier, Some(cfg))?.1 };
    let todo = pending(&plans, parts).map_err(Error::Invalid)?;
    show_rows(shard_rows(&plans, &todo, shard).iter().map(|(_, r)| r.len()).sum());
    let parts = build_shard(&plans, cfg.seed, &todo, shard, progress).ok_or(Error::Interrupted)?;
    let build_seconds = t0.elapsed().as_secs_f64();
    let bytes = shard_bytes(shard, round, cfg, &digest, &parts);
    let rows = parts.iter().flat_map(|p| &p.rows);
    let report = ShardReport {
        shard: shard.to_string(),
        round,
        attempts: todo,
        rows: parts.iter().map(|p| p.rows.len()).sum(),
        rfss_instances: rows.clone().map(|r| r.instances).sum(),
        rfss_misses: rows.clone().map(|r| r.misses).sum(),
        kept_edges: rows.map(|r| r.kept.len() as u64).sum(),
        build_seconds,
        file_bytes: bytes.len(),
    };
    Ok((bytes, report))
}

/// The bytes of a shard file (see the module docs).
pub fn shard_bytes(id: ShardId, round: usize, config: &BuildConfig, plan_digest: &str, parts: &[ShardPart]) -> Vec<u8> {
    fn le<T: Copy, const N: usize>(v: impl Iterator<Item = T>, f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
        v.flat_map(f).collect()
    }
    let mut tensors = Vec::new();
    for (t, p) in parts.iter().enumerate() {
        let rows = &p.rows;
        let edges: usize = rows.iter().map(|r| r.kept.len()).sum();
        let flat = |f: fn(&RowResult) -> &Vec<f64>| le(rows.iter().flat_map(f).copied(), f64::to_le_bytes);
        let width = rows.first().map_or(0, |r| r.pos.len());
        tensors.extend([
            (
                format!("{t}.kept"),
                Dtype::U32,
                vec![rows.len()],
                le(rows.iter().map(|r| r.kept.len() as u32), u32::to_le_bytes),
            ),
            (
                format!("{t}.hidden"),
                Dtype::U32,
                vec![edges],
                le(rows.iter().flat_map(|r| r.kept.iter().map(|e| e.0)), u32::to_le_bytes),
            ),
            (
                format!("{t}.value"),
                Dtype::F32,
                vec![edges],
                le(rows.iter().flat_map(|r| r.kept.iter().map(|e| e.1)), f32::to_le_bytes),
            ),
            (format!("{t}.pos"), Dtype::F64, vec![rows.len(), width], flat(|r| &r.pos)),
            (format!("{t}.neg"), Dtype::F64, vec![rows.len(), width], flat(|r| &r.neg)),
            (
                format!("{t}.instances"),
                Dtype::U64,
                vec![rows.len()],
                le(rows.iter().map(|r| r.instances), u64::to_le_bytes),
            ),
            (format!("{t}.misses"), Dtype::U64, vec![rows.len()], le(rows.iter().map(|r| r.misses), u64::to_le_bytes)),
            (
                format!("{t}.max_err"),
                Dtype::F64,
                vec![rows.len()],
                le(rows.iter().map(|r| r.max_err), f64::to_le_bytes),
            ),
        ]);
    }
    let index: Vec<serde_json::Value> = parts
        .iter()
        .map(|p| serde_json::json!({"pair": p.pair, "n": p.n, "first_row": p.first_row, "rows": p.rows.len()}))
        .collect();
    let metadata = HashMap::from([
        ("format".to_string(), SHARD.to_string()),
        ("version".to_string(), "2".to_string()),
        ("shard".to_string(), id.to_string()),
        ("round".to_string(), round.to_string()),
        ("config".to_string(), serde_json::to_string(config).expect("serialises")),
        ("plan_digest".to_string(), plan_digest.to_string()),
        ("parts".to_string(), serde_json::to_string(&index).expect("serialises")),
    ]);
    serialize_typed(tensors, metadata)
}

/// Reads a shard file's bytes; `name` names it in errors.
pub fn read_shard(bytes: &[u8], name: &str) -> Result<Shard, String> {
    let bad = |what: String| format!("{name} is not a valid shard file: {what}");
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
    let meta = header.metadata().clone().unwrap_or_default();
    let get = |key: &str| meta.get(key).ok_or_else(|| bad(format!("no '{key}' in its metadata")));
    if get("format").ok().map(String::as_str) != Some(SHARD) {
        return Err(format!("{name} is not an sslth shard (sslth build --shard and sslth.build_shard write them)"));
    }
    if get("version")? != "2" {
        let v = get("version")?;
        return Err(bad(format!(
            "version {v} is not 2 (shards of version 1 hold the options before sizing was one \
                                choice; build them again)"
        )));
    }
    let id = ShardId::parse(get("shard")?).map_err(bad)?;
    let round: usize = get("round")?.parse().ok().filter(|&r| r >= 1).ok_or_else(|| bad("a bad round".into()))?;
    let config: BuildConfig = serde_json::from_str(get("config")?).map_err(|e| bad(e.to_string()))?;
    let index: Vec<HashMap<String, usize>> = serde_json::from_str(get("parts")?).map_err(|e| bad(e.to_string()))?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
    let mut parts = Vec::new();
    for (t, entry) in index.iter().enumerate() {
        let field = |k: &str| entry.get(k).copied().ok_or_else(|| bad(format!("part {t} has no '{k}'")));
        let rows = field("rows")?;
        let tensor = |suffix: &str, dtype: Dtype, len: Option<usize>| -> Result<Vec<u8>, String> {
            let v = st.tensor(&format!("{t}.{suffix}")).map_err(|e| bad(e.to_string()))?;
            if v.dtype() != dtype || len.is_some_and(|l| v.data().len() != l * dtype.bitsize() / 8) {
                return Err(bad(format!("tensor {t}.{suffix} has the wrong type or length")));
            }
            Ok(v.data().to_vec())
        };
        let words =
            |b: Vec<u8>| -> Vec<u32> { b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect() };
        let longs =
            |b: Vec<u8>| -> Vec<u64> { b.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect() };
        let reals =
            |b: Vec<u8>| -> Vec<f64> { b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect() };
        let kept = words(tensor("kept", Dtype::U32, Some(rows))?);
        let edges: usize = kept.iter().map(|&k| k as usize).sum();
        let hidden = words(tensor("hidden", Dtype::U32, Some(edges))?);
        let values: Vec<f32> = tensor("value", Dtype::F32, Some(edges))?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        let (pos, neg) = (reals(tensor("pos", Dtype::F64, None)?), reals(tensor("neg", Dtype::F64, None)?));
        let width = pos.len().checked_div(rows).unwrap_or(0);
        if pos.len() != rows * width || neg.len() != pos.len() {
            return Err(bad(format!("part {t}'s approximations do not have {rows} rows")));
        }
        let instances = longs(tensor("instances", Dtype::U64, Some(rows))?);
        let misses = longs(tensor("misses", Dtype::U64, Some(rows))?);
        let max_err = reals(tensor("max_err", Dtype::F64, Some(rows))?);
        let mut at = 0;
        let rows = (0..rows)
            .map(|r| {
                let k = kept[r] as usize;
                let row = RowResult {
                    kept: hidden[at..at + k].iter().copied().zip(values[at..at + k].iter().copied()).collect(),
                    pos: pos[r * width..(r + 1) * width].to_vec(),
                    neg: neg[r * width..(r + 1) * width].to_vec(),
                    instances: instances[r],
                    misses: misses[r],
                    max_err: max_err[r],
                };
                at += k;
                row
            })
            .collect();
        parts.push(ShardPart { pair: field("pair")?, n: field("n")?, first_row: field("first_row")?, rows });
    }
    Ok(Shard { id, round, config, plan_digest: get("plan_digest")?.clone(), parts })
}

/// The build options and all parts of `shards` (each with its file name),
/// after checking that they are whole rounds of one build of `net`: the
/// same options (`cfg`'s, if given), a plan digest equal to this target's,
/// and in each round every share of its N once.
pub fn checked(
    net: &Network,
    shards: Vec<(Shard, String)>,
    cfg: Option<&BuildConfig>,
) -> Result<(BuildConfig, Vec<ShardPart>)> {
    let invalid = Error::Invalid;
    let (first, first_name) = shards.first().ok_or_else(|| Error::Argument("no shard files given".into()))?;
    let config = cfg.unwrap_or(&first.config).clone();
    let mut rounds: BTreeMap<usize, Vec<Option<&str>>> = BTreeMap::new();
    for (s, name) in &shards {
        if s.config != config {
            return Err(invalid(match cfg {
                Some(_) => format!("{name} was built with other options than these"),
                None => format!("{name} is a share of another build than {first_name} (other options)"),
            }));
        }
        let seen = rounds.entry(s.round).or_insert_with(|| vec![None; s.id.count]);
        if seen.len() != s.id.count {
            return Err(invalid(format!("{name} is shard {} but round {} has {} shards", s.id, s.round, seen.len())));
        }
        if let Some(other) = seen[s.id.index].replace(name) {
            return Err(invalid(format!("{other} and {name} are both shard {} of round {}", s.id, s.round)));
        }
    }
    for (round, seen) in &rounds {
        if let Some(missing) = seen.iter().position(Option::is_none) {
            return Err(invalid(format!("shard {missing}/{} of round {round} is missing", seen.len())));
        }
    }
    if let Some(round) = (1..=rounds.len()).find(|r| !rounds.contains_key(r)) {
        return Err(invalid(format!(
            "round {round} is missing (the shards hold rounds {:?})",
            rounds.keys().collect::<Vec<_>>()
        )));
    }
    let digest = plan_digest(&plan(net, &config)?);
    if let Some((_, name)) = shards.iter().find(|(s, _)| s.plan_digest != digest) {
        return Err(invalid(format!("{name} was built from another target (its plan differs from this target's)")));
    }
    Ok((config, shards.into_iter().flat_map(|(s, _)| s.parts).collect()))
}

/// Reads the shard files at `paths`, each with its name for errors.
pub fn read_shard_files(paths: &[std::path::PathBuf]) -> Result<Vec<(Shard, String)>> {
    paths
        .iter()
        .map(|path| {
            let name = path.display().to_string();
            let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
            Ok((read_shard(&bytes, &name).map_err(Error::Invalid)?, name))
        })
        .collect()
}
