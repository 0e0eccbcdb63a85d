//! The experiments (`frontier`, `compare`, `verify`, `popup`): the
//! library's calls with the GIL released and Ctrl-C honoured, their typed
//! results turned into Python objects (docs: `sslth.types`).

use crate::nets::Model;
use crate::{lib_error, to_py, value_error};
use pyo3::prelude::*;
use sslth::files::{LoadedTicket, Runnable};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

/// Runs the library's experiment `f` with the GIL released, stopped by
/// Ctrl-C (see [`crate::interruptible`]), and returns its typed result as
/// Python objects.
fn rows<'py, T: serde::Serialize + Send>(
    py: Python<'py>,
    f: impl FnOnce(&(dyn Fn() -> bool + Sync)) -> sslth::Result<T> + Send,
) -> PyResult<Bound<'py, PyAny>> {
    let result = crate::interruptible(py, |go_on| f(&|| go_on.load(Ordering::Relaxed)))?.map_err(lib_error)?;
    to_py(py, &result)
}

/// Tickets of `target` for each input assumption in `inputs` (`"signed"`,
/// `"nonneg"`), scale quantile in `scale_quantiles` (1: the largest
/// weight, the default scale), tolerance in `weight_eps` and subset size
/// in `ks`, each at the n of the measured rule and at every n of `ns`
/// (misses counted, not repaired), measured on `data` (default: the data
/// set the target records) (`sslth frontier`).
///
/// Returns `sslth.types.Frontier`: `rows` (one per ticket built: input
/// assumption, tolerance, k, n per layer, whether n came from the rule,
/// density, kept and random edges per target weight, misses, compact bits
/// per weight beside Theorem 5's floor, accuracies, agreement, errors,
/// build seconds, `on_front`: on the Pareto front of its input assumption
/// and scale quantile in (kept, block random) per weight among the tickets
/// with no miss and at least 99.5% agreement, and `on_accuracy_front`: on
/// the front among the tickets (misses allowed) whose test accuracy is
/// within 0.1 point of the target's; `pandas.DataFrame(result["rows"])` reads
/// them), `target_weights`, and `theory`: per input assumption and
/// tolerance the Theorem 2 and 5 curves as (kept, block random) per
/// target weight for k = 1..32. Rows come in the CLI's order.
#[pyfunction]
#[pyo3(signature = (target, ks=vec![1, 2, 3, 4, 6, 8, 12, 16], ns=vec![], weight_eps=vec![0.01], inputs=vec!["signed".to_string()], scale_quantiles=vec![1.0], seed=0, data=None))]
#[allow(clippy::too_many_arguments)]
fn frontier<'py>(
    py: Python<'py>,
    target: &Model,
    ks: Vec<usize>,
    ns: Vec<usize>,
    weight_eps: Vec<f64>,
    inputs: Vec<String>,
    scale_quantiles: Vec<f64>,
    seed: u64,
    data: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    use sslth::experiments::frontier::{frontier, FrontierConfig};
    let (net, info) = target.target("frontier")?;
    let nonneg_input = FrontierConfig::input_assumptions(&inputs).map_err(lib_error)?;
    let cfg = FrontierConfig { weight_eps, ks, ns, nonneg_input, scale_quantiles, seed };
    cfg.check().map_err(lib_error)?;
    let (_, test) = sslth::data::needed_on(data.as_deref(), info.data.as_deref()).map_err(lib_error)?;
    rows(py, |go_on| frontier(net, &test, &cfg, &|_| {}, go_on))
}

/// A target of widths `arch` trained on `data`, its constructed tickets
/// and edge-popup tickets at the same densities (`sslth compare`).
///
/// Every popup network (each width in `widths` and weight law in `laws`,
/// and the construction's own network) gets the same learning-rate search
/// over `lrs` (`tune_epochs` epochs each, default `popup_epochs`, on nine
/// tenths of the training rows, scored on the last tenth), and every cell
/// runs `seeds` seeds. Returns the rows (`sslth.types.CompareRow`: test
/// accuracy as the mean, `accuracy_sd`, `accuracy_min`, `accuracy_max`).
#[pyfunction]
#[pyo3(signature = (arch, data="digits", target_epochs=20, densities=vec![0.5, 0.3, 0.1, 0.05, 0.01], widths=vec![1, 2, 4], laws=vec!["uniform".to_string(), "signed-constant".to_string()], popup_epochs=20, lrs=vec![0.1, 0.01, 0.001], tune_epochs=None, seeds=3, weight_eps=0.01, popup_max_edges=5_000_000, seed=0))]
#[allow(clippy::too_many_arguments)]
fn compare<'py>(
    py: Python<'py>,
    arch: Vec<usize>,
    data: &str,
    target_epochs: usize,
    densities: Vec<f64>,
    widths: Vec<usize>,
    laws: Vec<String>,
    popup_epochs: usize,
    lrs: Vec<f64>,
    tune_epochs: Option<usize>,
    seeds: usize,
    weight_eps: f64,
    popup_max_edges: u64,
    seed: u64,
) -> PyResult<Bound<'py, PyAny>> {
    use sslth::experiments::compare::{compare, CompareConfig};
    use sslth::weights::WeightLaw;
    if arch.len() < 2 {
        return Err(value_error("arch needs at least an input and an output width"));
    }
    let laws = laws.iter().map(|l| WeightLaw::parse(l)).collect::<Result<_, _>>().map_err(value_error)?;
    let cfg = CompareConfig {
        arch,
        target_epochs,
        densities,
        widths,
        laws,
        popup_epochs,
        lrs,
        tune_epochs: tune_epochs.unwrap_or(popup_epochs),
        seeds,
        weight_eps,
        popup_max_edges,
        seed,
    };
    cfg.check().map_err(lib_error)?;
    let split = sslth::data::load(data).map_err(lib_error)?;
    rows(py, |go_on| {
        let rows = compare(&split, &cfg, &|_| {}, go_on)?;
        Ok(rows.into_iter().map(|r| r.spelt(sslth::Face::Library)).collect::<Vec<_>>())
    })
}

/// Checks a ticket file (`sslth verify`): every kept weight regenerated
/// from the seed and the density.
///
/// With `target` (a path), both certificates are recomputed from the
/// file's kept edges, the tight one over the box of `data` (default: the
/// data the ticket records) with its certified agreement; with `attack`,
/// projected gradient ascent from `starts` points for `steps` steps looks
/// for a larger error; with `radius` (raw input units), each test row's
/// ℓ∞ ball of that radius is certified to get one class from target and
/// ticket (`local_certificates`; only the first `local_rows` rows if
/// given); `walk_budget` caps the certificates'
/// walks back (multiply-adds a group, default 1e11: `sslth verify
/// --walk-budget`). Returns `sslth.types.VerifyReport`; its `passed` is
/// False if anything does not hold (a mismatched weight, a certificate
/// above the recorded one, an attack above the tight bound or a margin shift). Ctrl-C stops
/// an attack at its next step.
#[pyfunction]
#[pyo3(signature = (ticket, target=None, data=None, attack=false, starts=32, steps=40, radius=None, local_rows=None, walk_budget=None))]
#[allow(clippy::too_many_arguments)]
fn verify<'py>(
    py: Python<'py>,
    ticket: PathBuf,
    target: Option<PathBuf>,
    data: Option<String>,
    attack: bool,
    starts: usize,
    steps: usize,
    radius: Option<f64>,
    local_rows: Option<usize>,
    walk_budget: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    use sslth::experiments::attack::AttackConfig;
    use sslth::experiments::verify::{verify_file, DataChecks};
    let checks = DataChecks {
        attack: attack.then_some(AttackConfig { starts, steps, seed: 0 }),
        radius,
        local_rows,
        walk_budget,
    };
    let report = crate::interruptible(py, |go_on| {
        let go_on = || go_on.load(Ordering::Relaxed);
        verify_file(&ticket, target.as_deref(), data.as_deref(), &checks, &go_on)
    })?
    .map_err(lib_error)?;
    to_py(py, &report.1)
}

/// Edge-popup (`sslth popup`): trains scores in a random MLP of the
/// generator (`widths`, default inputs-300-100-classes; `weights`
/// `"uniform"` or `"signed-constant"`) on `data` and keeps the top
/// `density` of each layer. Returns the ticket; its `report`
/// (`sslth.types.PopupReport`, the fields of `sslth popup --json` but the
/// file's) has the test accuracy and training time.
#[pyfunction]
#[pyo3(signature = (data="digits", widths=None, weights="uniform", density=0.5, epochs=20, lr=0.1, momentum=0.9, weight_decay=5e-4, batch=128, logit_scale=None, seed=0))]
#[allow(clippy::too_many_arguments)]
fn popup(
    py: Python<'_>,
    data: &str,
    widths: Option<Vec<usize>>,
    weights: &str,
    density: f64,
    epochs: usize,
    lr: f64,
    momentum: f64,
    weight_decay: f64,
    batch: usize,
    logit_scale: Option<f64>,
    seed: u64,
) -> PyResult<Model> {
    use sslth::experiments::popup::{popup, PopupNetwork, PopupSettings};
    use sslth::weights::WeightLaw;
    let law = WeightLaw::parse(weights).map_err(value_error)?;
    let split = sslth::data::load(data).map_err(lib_error)?;
    let network = PopupNetwork::Chain { widths, law, seed };
    let settings = PopupSettings { density, epochs, lr, momentum, weight_decay, batch, logit_scale };
    let run = crate::interruptible(py, |go_on| popup(&split, &network, &settings, |_| go_on.load(Ordering::Relaxed)))?
        .map_err(lib_error)?;
    let report = to_py(py, &run.report(data))?.unbind();
    let loaded = LoadedTicket { net: run.net, meta: run.meta, compact: false };
    Ok(Model { inner: Runnable::Ticket(Box::new(loaded)), report: Some(report) })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(frontier, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(popup, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    Ok(())
}
