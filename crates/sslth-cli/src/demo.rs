//! `sslth demo`: the main job from nothing. On the embedded digits: train a small target (a dense MLP by
//! default, a CNN with `--model cnn`, a DeepSets network on the digits as
//! point sets with `--model deepsets`), build a ticket at 10% density,
//! print one table, and write the target, the ticket and a JSON report into
//! one folder.

use crate::progress;
use clap::Args;
use sslth::experiments::demo::{demo, DemoConfig};
use sslth::net::Kind;
use sslth_report::text;
use std::path::{Path, PathBuf};

/// Arguments of `sslth demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Folder for target.safetensors, ticket.safetensors,
    /// ticket.compact.safetensors and report.json. Created if missing; an
    /// earlier demo's files there are replaced (the command says so), and a
    /// folder holding anything else is refused.
    #[arg(long, default_value = "sslth-demo")]
    out: PathBuf,
    /// Seed of the target's training and of the random network.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Density of the ticket (kept / all edges of the random network).
    #[arg(long, default_value_t = 0.1)]
    density: f64,
    /// Tolerance of every weight. Default 0.01 for mlp; 0.001 for cnn and
    /// deepsets, whose targets carry larger weights on smaller inputs.
    #[arg(long)]
    weight_eps: Option<f64>,
    /// The target: mlp (64-32-10), cnn (1-8-16:10, circular 3×3
    /// convolutions) or deepsets (3-32-32:10 on the digits as point sets).
    #[arg(long, default_value = "mlp", value_parser = crate::args::named::<Kind>(&Kind::NAMES))]
    model: Kind,
    /// Print the JSON report instead of the table.
    #[arg(long)]
    json: bool,
}

const FILES: [&str; 4] = ["target.safetensors", "ticket.safetensors", "ticket.compact.safetensors", "report.json"];

/// The demo writes only its own files: it refuses a folder with others.
/// Returns how many of its files an earlier demo left there (replaced).
fn prepare_folder(dir: &Path) -> Result<usize, String> {
    if dir.exists() {
        let mut earlier = 0;
        let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if !FILES.contains(&name.as_str()) {
                return Err(format!(
                    "{} holds {name}, which the demo did not write; choose another --out",
                    dir.display()
                ));
            }
            earlier += 1;
        }
        Ok(earlier)
    } else {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(0)
    }
}

/// Runs the demo.
pub fn run(args: &DemoArgs) -> Result<(), String> {
    let earlier = prepare_folder(&args.out)?;
    let write = |name: &str, bytes: &[u8]| {
        let p = args.out.join(name);
        sslth::files::write_atomic(&p, bytes).map_err(|e| format!("cannot write {}: {e}", p.display()))
    };
    let cfg = DemoConfig { kind: args.model, seed: args.seed, density: args.density, weight_eps: args.weight_eps };
    let split = cfg.data();
    let tcfg = cfg.train_config(&split).map_err(crate::cli_error)?;
    let train_pb = progress::bar((split.train.len().div_ceil(tcfg.batch) * tcfg.epochs) as u64, "training", args.json);
    let build_pb = progress::bar(0, "building", true);
    let run = demo(
        &cfg,
        &split,
        &|| train_pb.inc(1),
        |plans| {
            train_pb.finish_and_clear();
            progress::show(&build_pb, args.json);
            build_pb.set_length(plans.iter().map(|p| p.target.rows() as u64).sum());
        },
        &|| {
            build_pb.inc(1);
            true
        },
    )
    .map_err(crate::cli_error)?;
    build_pb.finish_and_clear();
    write("target.safetensors", &run.target_bytes)?;
    write("ticket.safetensors", &run.full)?;
    write("ticket.compact.safetensors", &run.compact)?;
    let text =
        serde_json::to_string_pretty(&serde_json::to_value(&run.report).expect("serialisable")).expect("serialisable");
    write("report.json", text.as_bytes())?;
    if args.json {
        println!("{text}");
        return Ok(());
    }

    let digits = "the embedded UCI digits".to_string();
    let (what, data) = match run.train.kind {
        sslth::net::Kind::Mlp => ("a 64-32-10 ReLU MLP", digits),
        sslth::net::Kind::Cnn => {
            ("a CNN (circular 3x3 convolutions 1-8-16, global average pooling, dense 16-10)", digits)
        }
        sslth::net::Kind::Deepsets => (
            "a DeepSets network (set layers 3-32-32, mean pooling, dense 32-10)",
            format!("{digits}, each as a set of {} lit pixels", sslth::data::SET_POINTS),
        ),
    };
    println!(
        "sslth demo: {what}, trained on {data} ({} train / {} test rows, inputs scaled to |x| <= 1), seed {}",
        split.train.len(),
        split.test.len(),
        args.seed
    );
    let rows = summary_rows(&run, args.density);
    print!("{}", text::table(&["", "target", "ticket"], &rows));
    println!(
        "errors are Euclidean norms of the 10 output logits unless marked l_inf. The certified error bounds them for \
         every input of norm <= 1, proved from the target's and the ticket's weights (docs/THEORY.md §6); the tight one \
         bounds the largest logit error for every image of valid pixels (§6.2), so on the certified share of test rows \
         (and any input with as wide a margin) the ticket provably predicts the target's class; the measured error is what \
         the test rows show."
    );
    let replaced = if earlier > 0 { "; replaced an earlier demo's files" } else { "" };
    println!("wrote {} ({}){replaced}", args.out.display(), FILES.join(", "));
    Ok(())
}

/// The demo's table: target against ticket, one quantity a row.
fn summary_rows(run: &sslth::experiments::demo::Demo, asked_density: f64) -> Vec<Vec<String>> {
    let (built, target, train_time) = (&run.built, &run.target, run.train_time);
    let (target_bytes, full, compact) = (&run.target_bytes, &run.full, &run.compact);
    let c = built.comparison.as_ref().expect("the demo measures on the digits test rows");
    let tight = built.tight.as_ref().expect("the demo certifies over the digits' box");
    let (instances, misses) = built.instances();
    let pct = |x: f64| format!("{:.2}%", 100.0 * x);
    let kib = |n: usize| format!("{:.1} KiB", n as f64 / 1024.0);
    vec![
        vec!["test accuracy".into(), pct(c.target_accuracy), pct(c.ticket_accuracy)],
        vec!["agreement with the target (test rows)".into(), "".into(), pct(c.agreement)],
        vec![
            "weights / kept edges".into(),
            format!("{}", target.weight_count()),
            format!("{}", built.ticket.kept_edges()),
        ],
        vec![
            "kept edges per target weight (the ticket's sparsity)".into(),
            "".into(),
            format!("{:.1}", built.ticket.kept_edges() as f64 / target.weight_count() as f64),
        ],
        vec!["edges of the random network".into(), "".into(), format!("{}", built.ticket.random_edges())],
        vec![
            "density (kept / random edges; --density is a ceiling)".into(),
            "".into(),
            format!("{} (at most {} asked)", pct(built.ticket.density()), pct(asked_density)),
        ],
        vec!["overparameterisation m/m_t".into(), "".into(), format!("{:.1}", built.overparameterisation(target))],
        vec!["RFSS instances solved (one per weight and input sign)".into(), "".into(), instances.to_string()],
        vec![
            format!("weights outside their tolerance (weight eps {:.0e})", built.plans[0].weight_eps),
            "".into(),
            misses.to_string(),
        ],
        vec![
            "certified error (upper bound), sup over |x| <= 1".into(),
            "".into(),
            format!("{:.3e}", built.certificate.bound),
        ],
        vec!["tight certified error, max over the pixel box (l_inf)".into(), "".into(), format!("{:.3e}", tight.bound)],
        vec![
            "certified agreement (target margins > certified margin shifts)".into(),
            "".into(),
            pct(tight.certified_agreement.unwrap_or(0.0)),
        ],
        vec![
            "measured error max / mean (test rows)".into(),
            "".into(),
            format!("{:.3e} / {:.3e}", c.max_error, c.mean_error),
        ],
        vec![
            "time: train / build / certify / evaluate".into(),
            text::duration(train_time),
            format!(
                "{} / {} / {}",
                text::duration(built.build_time),
                text::duration(built.certify_time),
                text::duration(built.eval_time)
            ),
        ],
        vec![
            "file size (full / compact)".into(),
            kib(target_bytes.len()),
            format!("{} / {}", kib(full.len()), kib(compact.len())),
        ],
    ]
}
