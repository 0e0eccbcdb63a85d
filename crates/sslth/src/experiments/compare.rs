//! A trained target, tickets constructed from it, and tickets found by
//! edge-popup, at the same densities and from the same generator
//! (docs/results/popup-vs-construction.md).

use super::eval::accuracy;
use super::pipeline::build_and_measure;
use super::Progress;
use crate::construction::{BuildConfig, Tolerance};
use crate::data::{Dataset, Split};
use crate::files::compact_bytes;
use crate::learn::popup::{self, chain, PopupConfig};
use crate::learn::train::{train, TrainConfig};
use crate::net::Kind;
use crate::ticket::{random_layers, regenerate, RandomLayer, TicketMeta};
use crate::weights::WeightLaw;
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
    /// Epochs of edge-popup.
    pub popup_epochs: usize,
    /// Tolerance of every weight of the constructed tickets.
    pub weight_eps: f64,
    /// Run edge-popup in the construction's own random network only when
    /// it has at most this many edges.
    pub popup_max_edges: u64,
    /// Seed of every random network, training and batch order.
    pub seed: u64,
}

impl CompareConfig {
    /// Steps `compare` reports: the target, then per density the
    /// construction, popup in its network, and one popup per width.
    pub fn steps(&self) -> u64 {
        (1 + self.densities.len() * (2 + self.widths.len())) as u64
    }

    /// Refuses densities outside (0, 1], empty lists, zero widths or epochs.
    pub fn check(&self) -> Result<(), String> {
        if self.densities.is_empty() || self.densities.iter().any(|d| !(*d > 0.0 && *d <= 1.0)) {
            return Err("--densities must be fractions of edges KEPT, each in (0, 1]".into());
        }
        if self.widths.is_empty() || self.widths.contains(&0) {
            return Err("--widths needs multipliers of at least 1".into());
        }
        if self.target_epochs == 0 || self.popup_epochs == 0 {
            return Err("--target-epochs and --popup-epochs must be at least 1".into());
        }
        Ok(())
    }

    /// Refuses data whose rows are not the architecture's input width.
    pub fn check_data(&self, data: &Dataset) -> Result<(), String> {
        if self.arch[0] != data.dim {
            return Err(format!("the architecture takes {} inputs but the data have {}", self.arch[0], data.dim));
        }
        Ok(())
    }
}

/// One measured network.
#[derive(Clone, Debug, Serialize)]
pub struct CompareRow {
    /// `target`, `construction`, `popup in the construction's network` or
    /// `popup ×m width`.
    pub method: String,
    /// The density asked (none for the target).
    pub asked_density: Option<f64>,
    /// Kept / random edges (NaN when not built).
    pub density: f64,
    /// Edges of the random network.
    pub random_edges: u64,
    /// Edges kept.
    pub kept_edges: u64,
    /// Kept edges per target weight.
    pub kept_per_target_weight: f64,
    /// Test accuracy.
    pub test_accuracy: f64,
    /// Wall-clock seconds (a constructed ticket's include the target's
    /// training; a tuned popup's its learning-rate search).
    pub seconds: f64,
    /// Bytes of the compact ticket file.
    pub compact_bytes: Option<usize>,
    /// What else to know about the row.
    pub note: String,
}

/// A popup run: its ticket's metadata, test accuracy, seconds, compact
/// bytes and learning rate.
struct PopupRun {
    meta: TicketMeta,
    accuracy: f64,
    seconds: f64,
    compact: usize,
    lr: f64,
}

/// Trains the target on `split.train`, then per density builds its ticket,
/// runs edge-popup in that ticket's random network and in random networks
/// of the target's shape (hidden widths × each of `cfg.widths`), and
/// measures every one on `split.test`. `progress` gets
/// [`CompareConfig::steps`] steps and a note per failed construction;
/// `go_on` is asked after every training batch and built row, and
/// returning false stops the whole run ("interrupted").
pub fn compare(
    split: &Split,
    cfg: &CompareConfig,
    progress: &dyn Fn(Progress<'_>),
    go_on: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<CompareRow>, String> {
    cfg.check()?;
    cfg.check_data(&split.train)?;
    // The target.
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
    let target_secs = start.elapsed().as_secs_f64();
    let weights = target.weight_count() as u64;
    let target_acc = accuracy(&target.forward_batch(&split.test.inputs, split.test.len()), &split.test);
    let mut rows = vec![CompareRow {
        method: "target".into(),
        asked_density: None,
        density: 1.0,
        random_edges: 0,
        kept_edges: weights,
        kept_per_target_weight: 1.0,
        test_accuracy: target_acc,
        seconds: target_secs,
        compact_bytes: None,
        note: format!("trained with Adam, {} epochs", cfg.target_epochs),
    }];
    progress(Progress::Step);

    // Edge-popup's defaults (learning rate 0.1) suit Kaiming-scale layers;
    // the construction's are far larger (on digits B is on ±4.2 where
    // Kaiming gives ±0.044), and there it stays at chance (7.5% on digits
    // at density 0.1; 95.8% at learning rate 0.01). There the rate is chosen from
    // 0.1, 0.01 and 0.001 by test accuracy on the last tenth of the
    // training rows after training on the rest (the time reported includes
    // that search).
    let (fit, held) = split_off_tenth(&split.train);
    let popup = |layers: Vec<RandomLayer>, bias, seed, density, tune: bool| -> Result<PopupRun, String> {
        let make = |lr| PopupConfig {
            layers: layers.clone(),
            bias,
            density,
            epochs: cfg.popup_epochs,
            seed,
            lr,
            momentum: 0.9,
            weight_decay: 5e-4,
            batch: 128,
            logit_scale: None,
        };
        let start = Instant::now();
        let mut lr = 0.1;
        if tune {
            let mut best = -1.0;
            for candidate in [0.1, 0.01, 0.001] {
                let pcfg = make(candidate);
                let masks = popup::train(&fit, &pcfg, |_, _, _, _| go_on())?;
                let net = regenerate(&popup::ticket_meta(&pcfg, &masks, &fit), &masks);
                let acc = accuracy(&net.forward_batch(&held.inputs, held.len()), &held);
                if acc > best {
                    (best, lr) = (acc, candidate);
                }
            }
        }
        let pcfg = make(lr);
        let masks = popup::train(&split.train, &pcfg, |_, _, _, _| go_on())?;
        let seconds = start.elapsed().as_secs_f64();
        let meta = popup::ticket_meta(&pcfg, &masks, &split.train);
        let net = regenerate(&meta, &masks);
        let acc = accuracy(&net.forward_batch(&split.test.inputs, split.test.len()), &split.test);
        let compact = compact_bytes(&net, &meta).len();
        Ok(PopupRun { meta, accuracy: acc, seconds, compact, lr })
    };
    let popup_row = |method: String, d: f64, r: PopupRun, note: String| CompareRow {
        method,
        asked_density: Some(d),
        density: r.meta.density,
        random_edges: r.meta.random_edges,
        kept_edges: r.meta.kept_edges,
        kept_per_target_weight: r.meta.kept_edges as f64 / weights as f64,
        test_accuracy: r.accuracy,
        seconds: r.seconds,
        compact_bytes: Some(r.compact),
        note,
    };
    let missing = |method: &str, d: f64, random_edges: u64, note: String| CompareRow {
        method: method.into(),
        asked_density: Some(d),
        density: f64::NAN,
        random_edges,
        kept_edges: 0,
        kept_per_target_weight: f64::NAN,
        test_accuracy: f64::NAN,
        seconds: f64::NAN,
        compact_bytes: None,
        note,
    };
    const IN_CONSTRUCTION: &str = "popup in the construction's network";
    for &d in &cfg.densities {
        // The constructed ticket, and edge-popup in its very network.
        let bcfg = BuildConfig {
            seed: cfg.seed,
            density: d,
            tolerance: Tolerance::Weight(cfg.weight_eps),
            n_k: None,
            k: None,
            nonneg_input: false,
            scale: None,
            accept_over_eps: false,
            accept_misses: false,
        };
        match build_and_measure(&target, &bcfg, Some(&split.test), Some(split.test.scale), |_| {}, go_on) {
            Ok(built) => {
                let c = built.comparison.as_ref().expect("measured");
                let k = built.meta.pairs[0].k;
                rows.push(CompareRow {
                    method: "construction".into(),
                    asked_density: Some(d),
                    density: built.ticket.density(),
                    random_edges: built.ticket.random_edges(),
                    kept_edges: built.ticket.kept_edges(),
                    kept_per_target_weight: built.ticket.kept_edges() as f64 / weights as f64,
                    test_accuracy: c.ticket_accuracy,
                    seconds: target_secs + built.build_time.as_secs_f64(),
                    compact_bytes: Some(compact_bytes(&built.net, &built.meta).len()),
                    note: format!("k = {k}, agreement with the target {:.2}%", 100.0 * c.agreement),
                });
                progress(Progress::Step);
                let edges = built.ticket.random_edges();
                if edges <= cfg.popup_max_edges {
                    let r = popup(random_layers(&built.meta), built.meta.bias, built.meta.seed, d, true)?;
                    let note = format!("learning rate {} (tuned)", r.lr);
                    rows.push(popup_row(IN_CONSTRUCTION.into(), d, r, note));
                } else {
                    let note = format!("not run: {edges} edges, above --popup-max-edges {}", cfg.popup_max_edges);
                    rows.push(missing(IN_CONSTRUCTION, d, edges, note));
                }
                progress(Progress::Step);
            }
            Err(_) if !go_on() => return Err("interrupted".into()),
            Err(e) => {
                progress(Progress::Note(&format!("density {d}: construction: {e}")));
                for method in ["construction", IN_CONSTRUCTION] {
                    rows.push(missing(method, d, 0, format!("not built: {e}")));
                    progress(Progress::Step);
                }
            }
        }
        // Edge-popup in random networks of the target's shape, wider.
        for &m in &cfg.widths {
            let mut widths = cfg.arch.clone();
            let last = widths.len() - 1;
            widths[1..last].iter_mut().for_each(|w| *w *= m);
            let r = popup(chain(&widths, WeightLaw::Uniform), false, cfg.seed, d, false)?;
            let name = widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("-");
            rows.push(popup_row(format!("popup ×{m} width"), d, r, name));
            progress(Progress::Step);
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
