//! A trained target, tickets constructed from it, and tickets found by
//! edge-popup, at the same densities and from the same generator
//! (docs/results/popup-vs-construction.md).

use super::eval::accuracy;
use super::pipeline::build_and_measure;
use super::Progress;
use crate::construction::BuildConfig;
use crate::data::{Dataset, Split};
use crate::files::compact_bytes;
use crate::learn::popup::{self, chain, PopupConfig};
use crate::learn::train::{train, TrainConfig};
use crate::net::Kind;
use crate::ticket::{random_layers, regenerate, RandomLayer};
use crate::weights::WeightLaw;
use crate::{Error, Result};
use serde::Serialize;
use std::time::Instant;

/// What `compare` trains and builds.
#[derive(Clone, Debug)]
pub struct CompareConfig {
    /// The target's widths (an MLP with biases, trained here).
    pub arch: Vec<usize>,
    /// Epochs of the target's training (Adam).
    pub target_epochs: usize,
    /// Densities (fraction of edges KEPT).
    pub densities: Vec<f64>,
    /// Multipliers of the hidden widths of edge-popup's random networks of
    /// the target's shape.
    pub widths: Vec<usize>,
    /// Weight laws of edge-popup's networks of the target's shape.
    pub laws: Vec<WeightLaw>,
    /// Epochs of edge-popup's final run.
    pub popup_epochs: usize,
    /// Learning rates edge-popup's search tries, for every network.
    pub lrs: Vec<f64>,
    /// Epochs of each learning rate's trial in the search.
    pub tune_epochs: usize,
    /// Seeds per cell: `seed`, `seed + 1`, … (random networks, score
    /// initialisation and batch order; the target is trained once).
    pub seeds: usize,
    /// Tolerance of every weight of the constructed tickets.
    pub weight_eps: f64,
    /// Run edge-popup in the construction's own random network only when
    /// it has at most this many edges.
    pub popup_max_edges: u64,
    /// Seed of the target's training and the first seed of every cell.
    pub seed: u64,
}

impl CompareConfig {
    /// Steps `compare` reports: the target, then per density and seed the
    /// construction, popup in its network, and one popup per width and
    /// law.
    pub fn steps(&self) -> u64 {
        (1 + self.densities.len() * self.seeds * (2 + self.widths.len() * self.laws.len())) as u64
    }

    /// Refuses densities outside (0, 1], empty lists, zero widths, epochs
    /// or seeds, and learning rates that are not positive.
    pub fn check(&self) -> Result<()> {
        if self.densities.is_empty() || self.densities.iter().any(|d| !(*d > 0.0 && *d <= 1.0)) {
            return Err(Error::Argument("`densities` must be fractions of edges KEPT, each in (0, 1]".into()));
        }
        if self.widths.is_empty() || self.widths.contains(&0) {
            return Err(Error::Argument("`widths` needs multipliers of at least 1".into()));
        }
        if self.laws.is_empty() {
            return Err(Error::Argument("`laws` needs at least one weight law".into()));
        }
        if self.target_epochs == 0 || self.popup_epochs == 0 || self.tune_epochs == 0 {
            return Err(Error::Argument("`target_epochs`, `popup_epochs` and `tune_epochs` must be at least 1".into()));
        }
        if self.lrs.is_empty() || self.lrs.iter().any(|r| !(*r > 0.0 && r.is_finite())) {
            return Err(Error::Argument("`lrs` needs learning rates > 0".into()));
        }
        if self.seeds == 0 {
            return Err(Error::Argument("`seeds` must be at least 1".into()));
        }
        Ok(())
    }

    /// Refuses data whose rows are not the architecture's input width.
    pub fn check_data(&self, data: &Dataset) -> Result<()> {
        if self.arch[0] != data.dim {
            return Err(Error::Argument(format!(
                "the architecture takes {} inputs but the data have {}",
                self.arch[0], data.dim
            )));
        }
        Ok(())
    }
}

/// One method at one density, over the seeds that ran.
#[derive(Clone, Debug, Serialize)]
pub struct CompareRow {
    /// `target`, `construction`, `popup in the construction's network` or
    /// `popup ×m width`.
    pub method: String,
    /// Weight law of the random network (none for the target and the
    /// construction).
    pub law: Option<String>,
    /// The density asked (none for the target).
    pub asked_density: Option<f64>,
    /// Kept / random edges, mean over the runs (NaN when none ran).
    pub density: f64,
    /// Edges of the random network (mean over the runs, rounded).
    pub random_edges: u64,
    /// Edges kept (mean over the runs, rounded).
    pub kept_edges: u64,
    /// Kept edges per target weight (mean).
    pub kept_per_target_weight: f64,
    /// Runs (seeds) measured.
    pub runs: usize,
    /// Test accuracy, mean over the runs.
    pub test_accuracy: f64,
    /// Sample standard deviation of the test accuracy (0 for one run).
    pub accuracy_sd: f64,
    /// Lowest test accuracy of the runs.
    pub accuracy_min: f64,
    /// Highest test accuracy of the runs.
    pub accuracy_max: f64,
    /// Wall-clock seconds, mean (a constructed ticket's include the
    /// target's training; a popup's its learning-rate search).
    pub seconds: f64,
    /// Bytes of the compact ticket file (mean, rounded).
    pub compact_bytes: Option<usize>,
    /// What else to know about the row: per seed, the chosen learning rate
    /// or the construction's k and agreement, and any failure; parameters
    /// named as the library names them, between backticks, until
    /// [`CompareRow::spelt`] spells them for a face.
    pub note: String,
}

impl CompareRow {
    /// The row with the parameter names of its note spelt for `face`
    /// (`--popup-max-edges` for the CLI, `popup_max_edges` for Python).
    pub fn spelt(mut self, face: crate::Face) -> CompareRow {
        self.note = crate::error::spell(&self.note, face);
        self
    }
}

/// One measured network of a cell.
struct Run {
    density: f64,
    random_edges: u64,
    kept_edges: u64,
    accuracy: f64,
    seconds: f64,
    compact: usize,
    /// The construction's k and agreement, or popup's learning rate.
    detail: String,
}

/// The row of `runs` (failures, one line each, go to the note).
fn cell(
    method: &str,
    law: Option<WeightLaw>,
    d: Option<f64>,
    weights: f64,
    runs: &[Run],
    failed: &[String],
) -> CompareRow {
    let n = runs.len();
    let mean = |f: &dyn Fn(&Run) -> f64| if n == 0 { f64::NAN } else { runs.iter().map(f).sum::<f64>() / n as f64 };
    let acc = mean(&|r| r.accuracy);
    let sd = match n {
        0 => f64::NAN,
        1 => 0.0,
        _ => (runs.iter().map(|r| (r.accuracy - acc).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt(),
    };
    let (min, max) = runs.iter().fold((f64::NAN, f64::NAN), |(lo, hi), r| (lo.min(r.accuracy), hi.max(r.accuracy)));
    let details: Vec<&str> = runs.iter().map(|r| r.detail.as_str()).collect();
    let mut note = details.join("; ");
    for f in failed {
        note += &format!("{}{f}", if note.is_empty() { "" } else { "; " });
    }
    let kept = mean(&|r| r.kept_edges as f64);
    CompareRow {
        method: method.into(),
        law: law.map(|l| l.name().into()),
        asked_density: d,
        density: mean(&|r| r.density),
        random_edges: if n == 0 { 0 } else { mean(&|r| r.random_edges as f64).round() as u64 },
        kept_edges: if n == 0 { 0 } else { kept.round() as u64 },
        kept_per_target_weight: kept / weights,
        runs: n,
        test_accuracy: acc,
        accuracy_sd: sd,
        accuracy_min: min,
        accuracy_max: max,
        seconds: mean(&|r| r.seconds),
        compact_bytes: (n > 0).then(|| mean(&|r| r.compact as f64).round() as usize),
        note,
    }
}

/// Trains the target on `split.train`, then per density and seed builds
/// its ticket, runs edge-popup in that ticket's random network and in
/// random networks of the target's shape (hidden widths × each of
/// `cfg.widths`, each of `cfg.laws`), every popup network after the same
/// learning-rate search, and measures every one on `split.test`; one row
/// per method and density, its accuracy the mean and spread over the
/// seeds. `progress` gets [`CompareConfig::steps`] steps and a note per
/// failed construction; `go_on` is asked after every training batch and
/// built row, and returning false stops the whole run ("interrupted").
pub fn compare(
    split: &Split,
    cfg: &CompareConfig,
    progress: &dyn Fn(Progress<'_>),
    go_on: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<CompareRow>> {
    cfg.check()?;
    cfg.check_data(&split.train)?;
    let (target, target_run) = train_target(split, cfg, go_on)?;
    let weights = target.weight_count() as f64;
    let target_secs = target_run.seconds;
    let mut rows = vec![CompareRow { compact_bytes: None, ..cell("target", None, None, weights, &[target_run], &[]) }];
    progress(Progress::Step);
    let (fit, held) = split_off_tenth(&split.train);
    let popup = TunedPopup { split, fit, held, cfg, go_on };
    let seeds: Vec<u64> = (0..cfg.seeds as u64).map(|i| cfg.seed + i).collect();
    for &d in &cfg.densities {
        let at = Density { d, seeds: &seeds, weights, target_secs };
        rows.extend(constructed(&target, &popup, &at, progress)?);
        rows.extend(widened(&popup, &at, progress)?);
    }
    Ok(rows)
}

/// The target of `cfg.arch` trained on `split` (Adam), with its row.
fn train_target(
    split: &Split,
    cfg: &CompareConfig,
    go_on: &(dyn Fn() -> bool + Sync),
) -> Result<(crate::net::Network, Run)> {
    let tcfg = TrainConfig {
        kind: Kind::Mlp,
        arch: cfg.arch.clone(),
        pool: 0,
        kernel: 3,
        bias: true,
        epochs: cfg.target_epochs,
        seed: cfg.seed,
        lr: 1e-2,
        batch: 64,
    };
    let start = Instant::now();
    let target = train(&split.train, &tcfg, |_, _, _, _| go_on())?;
    let run = Run {
        density: 1.0,
        random_edges: 0,
        kept_edges: target.weight_count() as u64,
        accuracy: accuracy(&target.forward_batch(&split.test.inputs, split.test.len()), &split.test),
        seconds: start.elapsed().as_secs_f64(),
        compact: 0,
        detail: format!("trained with Adam, {} epochs", cfg.target_epochs),
    };
    Ok((target, run))
}

/// One density's cells: the density, its seeds, and what every cell's
/// row needs of the target.
struct Density<'a> {
    d: f64,
    seeds: &'a [u64],
    weights: f64,
    target_secs: f64,
}

/// Edge-popup with the learning-rate search every popup network gets.
///
/// Edge-popup's default learning rate (0.1) suits Kaiming-scale layers at
/// moderate density; the construction's layers are far larger (on digits
/// B is on ±4.2 where Kaiming gives ±0.044), and at low density even
/// Kaiming-scale networks need a smaller rate. So each rate of `cfg.lrs`
/// trains `cfg.tune_epochs` epochs on the first nine tenths of the
/// training rows (`fit`) and is scored on the last tenth (`held`); the
/// best (ties to the earlier) then trains `cfg.popup_epochs` epochs on all
/// of them. The time reported includes the search.
struct TunedPopup<'a> {
    split: &'a Split,
    fit: Dataset,
    held: Dataset,
    cfg: &'a CompareConfig,
    go_on: &'a (dyn Fn() -> bool + Sync),
}

impl TunedPopup<'_> {
    fn run(&self, layers: Vec<RandomLayer>, bias: bool, seed: u64, density: f64) -> Result<Run> {
        let (cfg, go_on) = (self.cfg, self.go_on);
        let make = |lr, epochs| PopupConfig {
            layers: layers.clone(),
            bias,
            density,
            epochs,
            seed,
            lr,
            momentum: 0.9,
            weight_decay: 5e-4,
            batch: 128,
            logit_scale: None,
        };
        let start = Instant::now();
        let (mut lr, mut best) = (cfg.lrs[0], -1.0);
        for &candidate in &cfg.lrs {
            let pcfg = make(candidate, cfg.tune_epochs);
            let masks = popup::train(&self.fit, &pcfg, |_, _, _, _| go_on())?;
            let net = regenerate(&popup::ticket_meta(&pcfg, &masks, &self.fit), &masks);
            let acc = accuracy(&net.forward_batch(&self.held.inputs, self.held.len()), &self.held);
            if acc > best {
                (best, lr) = (acc, candidate);
            }
        }
        let (train_rows, test) = (&self.split.train, &self.split.test);
        let pcfg = make(lr, cfg.popup_epochs);
        let masks = popup::train(train_rows, &pcfg, |_, _, _, _| go_on())?;
        let seconds = start.elapsed().as_secs_f64();
        let meta = popup::ticket_meta(&pcfg, &masks, train_rows);
        let net = regenerate(&meta, &masks);
        Ok(Run {
            density: meta.density,
            random_edges: meta.random_edges,
            kept_edges: meta.kept_edges,
            accuracy: accuracy(&net.forward_batch(&test.inputs, test.len()), test),
            seconds,
            compact: compact_bytes(&net, &meta).len(),
            detail: format!("lr {lr}"),
        })
    }
}

/// The constructed tickets at one density, and edge-popup in their very
/// networks (where those are small enough): two rows.
fn constructed(
    target: &crate::net::Network,
    popup: &TunedPopup<'_>,
    at: &Density<'_>,
    progress: &dyn Fn(Progress<'_>),
) -> Result<[CompareRow; 2]> {
    const IN_CONSTRUCTION: &str = "popup in the construction's network";
    let (cfg, test, d) = (popup.cfg, &popup.split.test, at.d);
    let (mut built_runs, mut inside_runs) = (Vec::new(), Vec::new());
    let (mut built_failed, mut inside_failed) = (Vec::new(), Vec::new());
    let mut inside_law = None;
    for &seed in at.seeds {
        let bcfg = BuildConfig::for_density(seed, d, cfg.weight_eps);
        match build_and_measure(target, &bcfg, Some(test), Some(test.scale), |_| {}, popup.go_on) {
            Ok(built) => {
                let c = built.comparison.as_ref().expect("measured");
                built_runs.push(Run {
                    density: built.ticket.density(),
                    random_edges: built.ticket.random_edges(),
                    kept_edges: built.ticket.kept_edges(),
                    accuracy: c.ticket_accuracy,
                    seconds: at.target_secs + built.build_time.as_secs_f64(),
                    compact: compact_bytes(&built.net, &built.meta).len(),
                    detail: format!("k {} agreement {:.2}%", built.meta.pairs[0].k, 100.0 * c.agreement),
                });
                progress(Progress::Step);
                let edges = built.ticket.random_edges();
                if edges <= cfg.popup_max_edges {
                    let layers = random_layers(&built.meta);
                    inside_law = Some(layers[0].law);
                    inside_runs.push(popup.run(layers, built.meta.bias, built.meta.seed, d)?);
                } else {
                    inside_failed.push(format!(
                        "seed {seed} not run: {edges} edges, above `popup_max_edges` {}",
                        cfg.popup_max_edges
                    ));
                }
                progress(Progress::Step);
            }
            Err(_) if !(popup.go_on)() => return Err(Error::Interrupted),
            Err(e) => {
                progress(Progress::Note(&format!("density {d}, seed {seed}: construction: {e}")));
                built_failed.push(format!("seed {seed} not built: {e}"));
                inside_failed.push(format!("seed {seed} not built"));
                progress(Progress::Step);
                progress(Progress::Step);
            }
        }
    }
    Ok([
        cell("construction", None, Some(d), at.weights, &built_runs, &built_failed),
        cell(IN_CONSTRUCTION, inside_law, Some(d), at.weights, &inside_runs, &inside_failed),
    ])
}

/// Edge-popup at one density in random networks of the target's shape
/// made wider (each of `cfg.widths`), for each weight law: one row each.
fn widened(popup: &TunedPopup<'_>, at: &Density<'_>, progress: &dyn Fn(Progress<'_>)) -> Result<Vec<CompareRow>> {
    let cfg = popup.cfg;
    let mut rows = Vec::new();
    for &m in &cfg.widths {
        let mut widths = cfg.arch.clone();
        let last = widths.len() - 1;
        widths[1..last].iter_mut().for_each(|w| *w *= m);
        let name = widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("-");
        for &law in &cfg.laws {
            let mut runs = Vec::new();
            for &seed in at.seeds {
                runs.push(popup.run(chain(&widths, law), false, seed, at.d)?);
                progress(Progress::Step);
            }
            let mut row = cell(&format!("popup ×{m} width"), Some(law), Some(at.d), at.weights, &runs, &[]);
            row.note = format!("{name}; {}", row.note);
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The first nine tenths of `data` and the last tenth, as two data sets.
fn split_off_tenth(data: &Dataset) -> (Dataset, Dataset) {
    let cut = data.len() - data.len() / 10;
    let part = |range: std::ops::Range<usize>| Dataset {
        inputs: data.inputs[range.start * data.dim..range.end * data.dim].to_vec(),
        labels: data.labels[range.clone()].to_vec(),
        ..data.clone()
    };
    (part(0..cut), part(cut..data.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A note names a parameter once, in the library's words, and each
    /// face reads it in its own.
    #[test]
    fn notes_are_spelt_for_each_face() {
        let row =
            |note: &str| CompareRow { note: note.into(), ..cell("popup ×1 width", None, Some(0.1), 1.0, &[], &[]) };
        let note = "seed 0 not run: 9 edges, above `popup_max_edges` 5";
        assert_eq!(row(note).spelt(crate::Face::Cli).note, "seed 0 not run: 9 edges, above --popup-max-edges 5");
        assert_eq!(row(note).spelt(crate::Face::Library).note, "seed 0 not run: 9 edges, above popup_max_edges 5");
    }
}
