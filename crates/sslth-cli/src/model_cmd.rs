//! `sslth train` and `sslth eval`: targets and their accuracy.

use crate::args::{check_output, parse_arch, Arch};
use crate::progress;
use clap::Args;
use sslth::data;
use sslth::learn::train::{train, TrainConfig};
use sslth::net::Kind;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `sslth train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Dataset: digits (embedded), mnist (its IDX files' folder with
    /// --data-dir, or mnist:DIR) or fashion-mnist (Debian package
    /// dataset-fashion-mnist, or fashion-mnist:DIR).
    #[arg(long, default_value = "digits")]
    pub data: sslth::data::DataSet,
    /// What to train: mlp (dense), cnn (circular 3×3 convolutions, global
    /// average pooling, dense head) or deepsets (set layers, mean pooling,
    /// dense head; train it on --data digit-sets).
    #[arg(long, default_value = "mlp", value_parser = crate::args::named::<Kind>(&Kind::NAMES))]
    pub model: Kind,
    /// Channel widths, input first; for cnn and deepsets a ':' marks the
    /// pooling, the widths after it being the dense head's. Default:
    /// 64-32-10 (mlp), C-8-16:10 (cnn on C-channel images), 3-32-32:10
    /// (deepsets on 3-feature sets).
    #[arg(long, value_parser = parse_arch)]
    pub arch: Option<Arch>,
    /// Kernel size of the convolutions (odd; --model cnn only; default 3).
    #[arg(long)]
    pub kernel: Option<usize>,
    /// Give every layer a bias.
    #[arg(long)]
    pub bias: bool,
    /// Passes over the training set.
    #[arg(long, default_value_t = 50)]
    pub epochs: usize,
    /// Seed of the initial weights and of the batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-2)]
    pub lr: f64,
    /// Rows per batch.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch: u64,
    /// Output file (safetensors, PyTorch nn.Sequential layout); never
    /// overwritten unless --force.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `sslth eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// A target (MLP safetensors) or a ticket file.
    #[arg(long)]
    pub model: PathBuf,
    /// Dataset whose test rows are scored: digits or fashion-mnist.
    /// Default: the one the model records (sslth train and sslth build
    /// write it), else digits.
    #[arg(long)]
    pub data: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `sslth train`.
pub fn run_train(args: &TrainArgs) -> Result<(), String> {
    check_output(&args.output, args.force)?;
    let split = args.data.load().map_err(|e| e.to_string())?;
    let kind = args.model;
    if args.kernel.is_some() && kind != sslth::net::Kind::Cnn {
        return Err(format!("--kernel sets a convolution's size: --model {} has none", args.model.name()));
    }
    let (arch, pool) =
        sslth::learn::train::architecture(kind, args.arch.as_ref(), &split.train).map_err(crate::cli_error)?;
    let cfg = TrainConfig {
        kind,
        arch,
        pool,
        kernel: args.kernel.unwrap_or(3),
        bias: args.bias,
        epochs: args.epochs,
        seed: args.seed,
        lr: args.lr,
        batch: args.batch as usize,
    };
    let batches = split.train.len().div_ceil(cfg.batch) as u64;
    let pb = progress::bar(batches * cfg.epochs as u64, "training", args.json);
    let start = Instant::now();
    let net = train(&split.train, &cfg, |_, _, _, loss| {
        pb.inc(1);
        pb.set_message(format!("loss {loss:.3}"));
        true
    })
    .map_err(crate::cli_error)?;
    pb.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    let test_acc =
        sslth::experiments::eval::accuracy(&net.forward_batch(&split.test.inputs, split.test.len()), &split.test);
    let train_acc =
        sslth::experiments::eval::accuracy(&net.forward_batch(&split.train.inputs, split.train.len()), &split.train);
    let meta = HashMap::from([
        ("format".to_string(), "sslth-target".to_string()),
        ("data".to_string(), args.data.to_string()),
        ("input_scale".to_string(), split.train.scale.to_string()),
        ("seed".to_string(), args.seed.to_string()),
        ("epochs".to_string(), args.epochs.to_string()),
        ("test_accuracy".to_string(), test_acc.to_string()),
    ]);
    let shape = (cfg.kind != sslth::net::Kind::Mlp).then_some(split.train.shape);
    sslth::files::write_atomic(&args.output, &sslth::files::target::to_safetensors(&net, shape, meta))
        .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
    if args.json {
        let v = serde_json::json!({"output": args.output, "train_accuracy": train_acc, "test_accuracy": test_acc, "seconds": secs, "weights": net.weight_count(), "kind": cfg.kind});
        println!("{v}");
    } else {
        println!(
            "trained {} {} ({} weights) on {} for {} epochs in {secs:.1} s\ntrain accuracy {:.2}% ({} rows), test accuracy {:.2}% ({} rows)\nwrote {}",
            args.model.name(),
            cfg.arch.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("-"),
            net.weight_count(),
            args.data,
            args.epochs,
            100.0 * train_acc,
            split.train.len(),
            100.0 * test_acc,
            split.test.len(),
            args.output.display()
        );
    }
    Ok(())
}

/// Runs `sslth eval` on a target.
pub fn run_eval(args: &EvalArgs) -> Result<(), String> {
    let name = args.model.display().to_string();
    let recorded = sslth::files::runnable::recorded_data(&args.model);
    let data_name = args.data.clone().or(recorded).unwrap_or_else(|| "digits".into());
    let test = &data::load_test(&data_name).map_err(|e| e.to_string())?;
    let model = sslth::files::runnable::Runnable::load(&args.model, Some(test.shape)).map_err(|e| e.to_string())?;
    if let sslth::files::runnable::Runnable::Target(_, info) = &model {
        crate::note_assumed(&args.model, info, false);
    }
    test.expect_dim(model.d_in(), &name)?;
    let outputs = model.forward_batch(&test.inputs, test.len()).map_err(|e| format!("{name}: {e}"))?;
    let kind = model.kind();
    let acc = sslth::experiments::eval::accuracy(&outputs, test);
    let rows = test.len();
    if args.json {
        println!(
            "{}",
            serde_json::json!({"model": args.model, "kind": kind, "data": data_name, "test_accuracy": acc, "rows": rows})
        );
    } else {
        println!("{name} ({kind}): test accuracy {:.2}% on {data_name} ({rows} test rows)", 100.0 * acc);
    }
    Ok(())
}
