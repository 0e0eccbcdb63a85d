//! `sslth predict`: a target or a ticket on the user's own inputs.

use crate::args::check_output;
use clap::Args;
use sslth::files::npy::{self, Matrix};
use sslth::files::runnable::Runnable;
use std::path::PathBuf;

/// Arguments of `sslth predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// A target (MLP, CNN or DeepSets safetensors) or a ticket (full or
    /// compact).
    #[arg(long)]
    pub model: PathBuf,
    /// Inputs: a .npy file of float32 or float64, one row per example
    /// ([rows, inputs], C order; a 1-D array is one example; a CNN's row
    /// is its C×H×W image, [rows, C, H, W] too; a set network takes
    /// [rows, N, features] with any N, or 2-D rows of features × points,
    /// channel-major, docs/FORMAT.md). A PyTorch export of a CNN or set
    /// network, which records no input layout, takes it from a 4-D or 3-D
    /// input; other shapes are refused. Raw values
    /// (pixels) are multiplied by the model's recorded input_scale.
    #[arg(long)]
    pub input: PathBuf,
    /// The inputs are already scaled (the network's own inputs, |x| <= 1):
    /// do not multiply by input_scale.
    #[arg(long)]
    pub scaled: bool,
    /// Output: the logits as a float32 .npy file [rows, outputs].
    #[arg(short, long)]
    pub output: PathBuf,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Runs `sslth predict`.
pub fn run(args: &PredictArgs) -> Result<(), String> {
    if args.output == args.input || args.output == args.model {
        return Err("--output must differ from --model and --input (inputs are never overwritten)".into());
    }
    check_output(&args.output, args.force)?;
    let x = npy::read(&args.input)?;
    let name = args.model.display().to_string();
    // The model records its layout; `predict` checks the input against it.
    let model = Runnable::load(&args.model, None).map_err(|e| e.to_string())?;
    if let Runnable::Target(_, info) = &model {
        crate::note_assumed(&args.model, info, false);
    }
    let (kind, scale) = (model.kind(), model.input_scale());
    let names = (args.input.display().to_string(), name.clone());
    let logits = model.predict(&x.data, x.rows, &x.inner, args.scaled, (&names.0, &names.1))?;
    let cols = logits.len() / x.rows.max(1);
    let out = Matrix { rows: x.rows, cols, data: logits, inner: vec![cols] };
    sslth::files::write_atomic(&args.output, &npy::to_bytes(&out))
        .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
    let how = match (args.scaled, scale) {
        (true, _) => "inputs taken as scaled (--scaled)".to_string(),
        (false, Some(s)) => format!("inputs multiplied by the model's input_scale {s}"),
        (false, None) => "the model records no input_scale: inputs taken as they are".to_string(),
    };
    println!(
        "wrote {} ({} rows x {} logits, float32) from {kind} {name}; {how}",
        args.output.display(),
        out.rows,
        out.cols
    );
    Ok(())
}
