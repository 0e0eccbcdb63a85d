//! Edge-popup as one call (`sslth popup`): scores trained in a random
//! network (a chain of the generator's layers, or a constructed ticket's
//! own random network), the ticket they select, and its test accuracy.

use super::eval::accuracy;
use crate::data::Split;
use crate::learn::popup::{chain, ticket_meta, train, PopupConfig};
use crate::ticket::{random_layers, regenerate, SparseNet, TicketMeta};
use crate::weights::WeightLaw;
use crate::{Error, Result};
use std::time::{Duration, Instant};

/// Where edge-popup searches.
#[derive(Clone, Debug)]
pub enum PopupNetwork {
    /// A random MLP of the generator: `widths` (default: inputs-300-100-
    /// classes of the data) with weights of `law`, from `seed`.
    Chain {
        /// Widths d_0-…-d_ℓ.
        widths: Option<Vec<usize>>,
        /// Kaiming uniform or signed constant.
        law: WeightLaw,
        /// Seed of the random network.
        seed: u64,
    },
    /// The random network of a constructed dense ticket (its metadata).
    Like(Box<TicketMeta>),
}

/// Edge-popup's training settings (see [`PopupConfig`]).
#[derive(Clone, Debug)]
pub struct PopupSettings {
    /// Fraction of each layer's edges KEPT, in (0, 1].
    pub density: f64,
    /// Passes over the training rows.
    pub epochs: usize,
    /// SGD's learning rate.
    pub lr: f64,
    /// SGD's momentum.
    pub momentum: f64,
    /// Weight decay on the scores.
    pub weight_decay: f64,
    /// Rows per batch.
    pub batch: usize,
    /// The factor the logits are read at; `None`: the default.
    pub logit_scale: Option<f64>,
}

/// A ticket found by edge-popup.
#[derive(Debug)]
pub struct PopupRun {
    /// The configuration trained.
    pub config: PopupConfig,
    /// What its file records.
    pub meta: TicketMeta,
    /// The ticket, runnable.
    pub net: SparseNet,
    /// Test accuracy.
    pub test_accuracy: f64,
    /// Test rows it was measured on.
    pub test_rows: usize,
    /// Wall-clock time of training.
    pub train_time: Duration,
}

/// What an edge-popup run reports (`sslth popup --json`, the `report` of
/// Python's `sslth.popup` ticket).
#[derive(Clone, Debug, serde::Serialize)]
pub struct PopupReport {
    /// The data set trained and measured on.
    pub data: String,
    /// Widths of the random network searched.
    pub widths: Vec<usize>,
    /// Law of its random weights.
    pub law: WeightLaw,
    /// Kept / random edges.
    pub density: f64,
    /// Edges kept.
    pub kept_edges: u64,
    /// Edges of the random network.
    pub random_edges: u64,
    /// Passes over the training rows.
    pub epochs: usize,
    /// Wall-clock seconds of training.
    pub train_seconds: f64,
    /// Accuracy on the test rows.
    pub test_accuracy: f64,
    /// Test rows measured on.
    pub test_rows: usize,
}

impl PopupRun {
    /// The run's report; `data` names the data set it ran on.
    pub fn report(&self, data: &str) -> PopupReport {
        PopupReport {
            data: data.to_string(),
            widths: self.meta.target_widths.clone(),
            law: self.config.layers[0].law,
            density: self.meta.density,
            kept_edges: self.meta.kept_edges,
            random_edges: self.meta.random_edges,
            epochs: self.config.epochs,
            train_seconds: self.train_time.as_secs_f64(),
            test_accuracy: self.test_accuracy,
            test_rows: self.test_rows,
        }
    }
}

/// Trains edge-popup's scores on `split.train` in `network` and measures
/// the selected ticket on `split.test`; `on_batch` gets each batch's loss
/// and stops the training ("interrupted") by returning false.
pub fn popup(
    split: &Split,
    network: &PopupNetwork,
    s: &PopupSettings,
    mut on_batch: impl FnMut(f32) -> bool,
) -> Result<PopupRun> {
    let (layers, bias, seed) = match network {
        PopupNetwork::Like(meta) => {
            if meta.version != 1 {
                return Err(Error::Invalid("not a constructed dense ticket (version 1)".into()));
            }
            (random_layers(meta), meta.bias, meta.seed)
        }
        PopupNetwork::Chain { widths, law, seed } => {
            let classes = usize::from(*split.train.labels.iter().max().unwrap_or(&0)) + 1;
            let widths = widths.clone().unwrap_or_else(|| vec![split.train.dim, 300, 100, classes]);
            (chain(&widths, *law), false, *seed)
        }
    };
    let config = PopupConfig {
        layers,
        bias,
        density: s.density,
        epochs: s.epochs,
        seed,
        lr: s.lr,
        momentum: s.momentum,
        weight_decay: s.weight_decay,
        batch: s.batch,
        logit_scale: s.logit_scale,
    };
    if let Some(f) = s.logit_scale.filter(|f| !(*f > 0.0 && f.is_finite())) {
        return Err(Error::Argument(format!("`logit_scale` must be a finite number > 0, got {f}")));
    }
    let start = Instant::now();
    let masks = train(&split.train, &config, |_, _, _, loss| on_batch(loss))?;
    let train_time = start.elapsed();
    let meta = ticket_meta(&config, &masks, &split.train);
    let net = regenerate(&meta, &masks);
    let test_accuracy = accuracy(&net.forward_batch(&split.test.inputs, split.test.len()), &split.test);
    Ok(PopupRun { config, meta, net, test_accuracy, test_rows: split.test.len(), train_time })
}
