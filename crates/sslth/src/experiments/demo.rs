//! The main job from nothing (`sslth demo`): on the embedded digits (as
//! images, or as point sets for DeepSets), train a small target of one
//! [`Kind`], build its ticket at a density, and measure it; the target's
//! and both tickets' file bytes come back with the report.

use super::eval::accuracy;
use super::pipeline::{build_and_measure, BuildReport, Built, FileSizes};
use crate::construction::{BuildConfig, LayerPlan};
use crate::data::Split;
use crate::files::{compact_bytes, full_bytes, target};
use crate::learn::train::{architecture, train, TrainConfig};
use crate::net::{Kind, Network};
use crate::Result;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What the demo trains and builds.
#[derive(Clone, Debug)]
pub struct DemoConfig {
    /// mlp (64-32-10), cnn (1-8-16:10) or deepsets (3-32-32:10 on the
    /// digits as point sets).
    pub kind: Kind,
    /// Seed of the training and of the random network.
    pub seed: u64,
    /// Density of the ticket (kept / all edges of the random network).
    pub density: f64,
    /// Tolerance of every weight; `None`: 0.01 for mlp, 0.001 otherwise.
    pub weight_eps: Option<f64>,
}

/// Everything the demo made and measured.
#[derive(Debug)]
pub struct Demo {
    /// How the target was trained.
    pub train: TrainConfig,
    /// The trained target.
    pub target: Network,
    /// Wall-clock time of training.
    pub train_time: Duration,
    /// The target file's bytes (metadata: data, input scale, seed, test
    /// accuracy).
    pub target_bytes: Vec<u8>,
    /// The ticket, certified and measured on the test rows.
    pub built: Built,
    /// The full ticket file's bytes.
    pub full: Vec<u8>,
    /// The compact ticket file's bytes.
    pub compact: Vec<u8>,
    /// The build's report with the training time and the file sizes.
    pub report: BuildReport,
}

impl DemoConfig {
    /// The data the demo trains on: the digits as point sets for
    /// DeepSets, as images otherwise.
    pub fn data(&self) -> Split {
        if self.kind == Kind::Deepsets {
            crate::data::digit_sets()
        } else {
            crate::data::digits()
        }
    }

    /// How the demo trains its target on `split`. Set networks learn slower
    /// (the mean couples the points): 200 epochs take the digit-sets target
    /// from 62% to 85% test accuracy; 50 for the others.
    pub fn train_config(&self, split: &Split) -> Result<TrainConfig> {
        let (arch, pool) = architecture(self.kind, None, &split.train)?;
        let epochs = if self.kind == Kind::Deepsets { 200 } else { 50 };
        Ok(TrainConfig {
            kind: self.kind,
            arch,
            pool,
            kernel: 3,
            bias: true,
            epochs,
            seed: self.seed,
            lr: 1e-2,
            batch: 64,
        })
    }
}

/// Runs the demo on `split` (see [`DemoConfig::data`]). `on_batch` is called after every training batch,
/// `show_plan` sees the sizing, `on_row` is called per built row (false
/// stops the build).
pub fn demo(
    cfg: &DemoConfig,
    split: &Split,
    on_batch: &dyn Fn(),
    show_plan: impl Fn(&[LayerPlan]),
    on_row: &(dyn Fn() -> bool + Sync),
) -> Result<Demo> {
    let tcfg = cfg.train_config(split)?;
    let t0 = Instant::now();
    let target = train(&split.train, &tcfg, |_, _, _, _| {
        on_batch();
        true
    })?;
    let train_time = t0.elapsed();
    let test_acc = accuracy(&target.forward_batch(&split.test.inputs, split.test.len()), &split.test);
    let target_meta = HashMap::from([
        ("format".to_string(), "sslth-target".to_string()),
        ("data".to_string(), split.test.name.to_string()),
        ("input_scale".to_string(), split.test.scale.to_string()),
        ("seed".to_string(), cfg.seed.to_string()),
        ("test_accuracy".to_string(), test_acc.to_string()),
    ]);
    let shape = (tcfg.kind != Kind::Mlp).then_some(split.train.shape);
    let target_bytes = target::to_safetensors(&target, shape, target_meta);
    let weight_eps = cfg.weight_eps.unwrap_or(if cfg.kind == Kind::Mlp { 0.01 } else { 0.001 });
    let bcfg = BuildConfig::for_density(cfg.seed, cfg.density, weight_eps);
    let built = build_and_measure(&target, &bcfg, Some(&split.test), Some(split.test.scale), show_plan, on_row)?;
    let full = full_bytes(&built.net, &built.meta);
    let compact = compact_bytes(&built.net, &built.meta);
    let mut report = built.report(&target, Some(split.test.name), Some(full.len()));
    report.train_seconds = Some(train_time.as_secs_f64());
    report.files = Some(FileSizes {
        target_bytes: target_bytes.len(),
        ticket_full_bytes: full.len(),
        ticket_compact_bytes: compact.len(),
    });
    Ok(Demo { train: tcfg, target, train_time, target_bytes, built, full, compact, report })
}
