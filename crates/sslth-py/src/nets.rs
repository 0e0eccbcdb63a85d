//! Targets and tickets: load any file, make a target from a PyTorch
//! `state_dict`, build a ticket, run either on numpy rows, save, export
//! to PyTorch; and the experiments (`popup`, `frontier`, `compare`) as
//! rows of dicts.

use crate::{lib_error, value_error};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use sslth::construction::{BuildConfig, BuildOptions};
use sslth::data::InputShape;
use sslth::experiments::pipeline::build_and_measure;
use sslth::files::{compact_bytes, full_bytes, target, write_atomic, LoadedTicket, Runnable};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

/// A serialisable value as Python objects (dicts, lists, numbers).
pub(crate) fn to_py<'py>(py: Python<'py>, v: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(v).map_err(value_error)?;
    py.import("json")?.call_method1("loads", (text,))
}

/// What `Model.__reduce__` gives pickle: the function that rebuilds a
/// model, and its arguments (file bytes, build report).
type Reduced<'py> = (Bound<'py, PyAny>, (Bound<'py, PyBytes>, Option<String>));

/// A target or a ticket, loaded or built, ready to run.
#[pyclass(module = "sslth._sslth")]
pub struct Model {
    inner: Runnable,
    /// What the build reported, for tickets built here.
    report: Option<String>,
}

impl Model {
    /// The file bytes of the target, or of the ticket (full or `compact`).
    fn file_bytes(&self, compact: bool) -> PyResult<Vec<u8>> {
        if let Runnable::Target(net, info) = &self.inner {
            if compact {
                return Err(value_error("a target has no compact form; save it with compact=False"));
            }
            return Ok(target::file_bytes(net, info));
        }
        let t = self.ticket()?;
        Ok(if compact { compact_bytes(&t.net, &t.meta) } else { full_bytes(&t.net, &t.meta) })
    }

    fn ticket(&self) -> PyResult<std::borrow::Cow<'_, LoadedTicket>> {
        self.inner.ticket().map_err(value_error)
    }
}

#[pymethods]
impl Model {
    /// `target`, `ticket` or `compact ticket`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    /// Values per input row.
    #[getter]
    fn d_in(&self) -> usize {
        self.inner.d_in()
    }

    /// Raw input × this = network input, if recorded.
    #[getter]
    fn input_scale(&self) -> Option<f64> {
        self.inner.input_scale()
    }

    /// Outputs (float32 logits `[rows, classes]`) for `x`, any array-like:
    /// rows `[rows, d_in]`, images `[rows, C, H, W]`, or sets
    /// `[rows, N, features]` (any N). Raw inputs (pixels as the data set
    /// holds them) are multiplied by `input_scale`; `scaled=True` says they
    /// already were (the CLI's `predict --scaled`). A C-contiguous float32
    /// array is read in place; anything else is converted to one first.
    /// Non-finite values are refused. Several threads may call one model.
    #[pyo3(signature = (x, scaled=false))]
    fn forward<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        scaled: bool,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        // `ascontiguousarray` returns a C-contiguous float32 array as it is.
        let x = py
            .import("numpy")?
            .call_method1("ascontiguousarray", (x, "float32"))
            .map_err(|e| value_error(format!("x is not an array of numbers ({})", e.value(py))))?;
        let x: PyReadonlyArrayDyn<'py, f32> = x.extract()?;
        let shape = x.shape().to_vec();
        if shape.is_empty() {
            return Err(value_error("x needs a first axis of rows"));
        }
        let rows = shape[0];
        let data = x.as_slice()?;
        let inner = &self.inner;
        let logits = py
            .detach(|| inner.predict(data, rows, &shape[1..], scaled, ("the input", "the model")))
            .map_err(value_error)?;
        let cols = logits.len() / rows.max(1);
        Ok(numpy::ndarray::Array2::from_shape_vec((rows, cols), logits).expect("rows × cols").into_pyarray(py))
    }

    /// The ticket's file metadata (docs/FORMAT.md) as a dict.
    #[getter]
    fn meta<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.inner.meta().ok_or_else(|| value_error("a target, not a ticket"))?)
    }

    /// The build's report (plan, density, edges, misses, certificate,
    /// comparison on test rows) for a ticket built here, else `None`.
    #[getter]
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.report.as_ref().map(|r| py.import("json")?.call_method1("loads", (r,))).transpose()
    }

    /// Writes the ticket (full, or `compact`) or the target (with its
    /// whole architecture) to `path`, atomically; refuses an existing file
    /// unless `force`.
    #[pyo3(signature = (path, compact=false, force=false))]
    fn save(&self, path: PathBuf, compact: bool, force: bool) -> PyResult<()> {
        let bytes = self.file_bytes(compact)?;
        refuse_existing(&path, force)?;
        write_atomic(&path, &bytes).map_err(|e| lib_error(sslth::Error::write(&path, e)))
    }

    /// The bytes `save` writes: the ticket (full, or `compact`) or the
    /// target; `sslth.loads` reads them back.
    #[pyo3(signature = (compact=false))]
    fn to_bytes<'py>(&self, py: Python<'py>, compact: bool) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.file_bytes(compact)?))
    }

    /// Pickles as its file bytes (a ticket compact if it was read
    /// compact, else full; the target) and its build report.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Reduced<'py>> {
        let compact = match &self.inner {
            Runnable::Streamed(_) => true,
            Runnable::Ticket(t) => t.compact,
            Runnable::Target(..) => false,
        };
        let unpickle = py.import("sslth._sslth")?.getattr("_unpickle")?;
        Ok((unpickle, (self.to_bytes(py, compact)?, self.report.clone())))
    }

    /// A `torch.nn.Module` that computes this target or ticket: the same
    /// layer kinds (a ticket's pairs as two layers, its pruned edges zero
    /// in dense weights), built by `sslth.torch_interop` from the
    /// network's architecture (docs/FORMAT.md, "A ticket in PyTorch").
    fn to_torch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let net = match &self.inner {
            Runnable::Target(net, _) => net.clone(),
            _ => self.ticket()?.net.to_network().map_err(value_error)?,
        };
        let (arch, tensors) = net.architecture();
        let d = PyDict::new(py);
        for (name, shape, values) in tensors {
            let a = numpy::ndarray::ArrayD::from_shape_vec(shape, values).expect("shape matches");
            d.set_item(name, a.into_pyarray(py))?;
        }
        let arch = serde_json::to_string(&arch).expect("architecture serialises");
        py.import("sslth.torch_interop")?.call_method1("module_from_architecture", (arch, d))
    }

    /// The ticket as masked dense tensors in PyTorch naming, for an
    /// `nn.Sequential` of Linear/Conv2d(circular)/set layers and ReLU
    /// (docs/FORMAT.md).
    fn to_state_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let t = self.ticket()?;
        let d = PyDict::new(py);
        for (name, shape, values) in t.net.to_state_dict().map_err(value_error)? {
            let a = numpy::ndarray::ArrayD::from_shape_vec(shape, values).expect("shape matches");
            d.set_item(name, a.into_pyarray(py))?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        match &self.inner {
            Runnable::Target(n, _) => format!("<sslth target {:?} {:?}>", sslth::net::Kind::of(n), n.widths()),
            Runnable::Ticket(_) | Runnable::Streamed(_) => {
                let m = self.inner.meta().expect("a ticket");
                let kind = self.inner.kind();
                format!("<sslth {kind} of {:?}: {} of {} edges kept>", m.target_widths, m.kept_edges, m.random_edges)
            }
        }
    }
}

/// `(C, H, W)` is an image, `(N, F)` a set of N points of F features.
fn input_shape(layout: Option<Vec<usize>>) -> PyResult<Option<InputShape>> {
    layout
        .map(|dims| {
            InputShape::from_dims(&dims).ok_or_else(|| {
                value_error(format!("input_shape {dims:?} is neither (C, H, W) for images nor (N, F) for sets"))
            })
        })
        .transpose()
}

/// Reads a target or a ticket (any kind and version) from a safetensors
/// file; `input_shape` sizes a CNN or set target whose file records none.
/// A dense compact ticket of subset streams stays streamed (`forward`
/// never holds its kept edges; `save` and `to_state_dict` read it whole).
#[pyfunction]
#[pyo3(signature = (path, input_shape=None))]
fn load(py: Python<'_>, path: PathBuf, input_shape: Option<Vec<usize>>) -> PyResult<Model> {
    let shape = self::input_shape(input_shape)?;
    let inner = py.detach(|| Runnable::load(&path, shape)).map_err(lib_error)?;
    Ok(Model { inner, report: None })
}

/// A target or ticket from the bytes of its file (`Model.to_bytes`, a
/// file read into memory).
#[pyfunction]
fn loads(py: Python<'_>, data: &[u8]) -> PyResult<Model> {
    let inner = py.detach(|| Runnable::from_bytes(data, "the bytes")).map_err(lib_error)?;
    Ok(Model { inner, report: None })
}

/// What `Model.__reduce__` gives pickle: the model of these bytes with
/// its report.
#[pyfunction]
fn _unpickle(py: Python<'_>, data: &[u8], report: Option<String>) -> PyResult<Model> {
    Ok(Model { report, ..loads(py, data)? })
}

/// A target from a PyTorch `state_dict` as `{name: ndarray}` (float32 or
/// float64); `input_shape` (the data's layout) is checked against the
/// target's; `architecture`, the JSON of docs/FORMAT.md's architecture
/// (what `sslth.from_torch` reads from a module), says how the tensors
/// are used (without it only a `Linear`/ReLU `nn.Sequential` is read).
#[pyfunction]
#[pyo3(signature = (state_dict, input_shape=None, input_scale=None, architecture=None))]
fn target_from_state_dict(
    state_dict: &Bound<'_, PyDict>,
    input_shape: Option<Vec<usize>>,
    input_scale: Option<f64>,
    architecture: Option<String>,
) -> PyResult<Model> {
    let mut tensors = Vec::new();
    for (k, v) in state_dict.iter() {
        let name: String = k.extract()?;
        let arr = v.call_method1("astype", ("float32",)).map_err(|_| {
            value_error(format!("state_dict[{name:?}] is not an array (call .numpy() on torch tensors)"))
        })?;
        let arr: PyReadonlyArrayDyn<'_, f32> = arr.extract()?;
        tensors.push((name, arr.shape().to_vec(), arr.as_array().iter().copied().collect()));
    }
    let mut md = HashMap::new();
    if let Some(s) = input_scale {
        md.insert("input_scale".to_string(), s.to_string());
    }
    if let Some(a) = architecture {
        md.insert("architecture".to_string(), a);
    }
    let (net, info) = target::from_tensors(tensors, &md, self::input_shape(input_shape)?).map_err(lib_error)?;
    Ok(Model { inner: Runnable::Target(net, info), report: None })
}

/// Builds a ticket of `target` (see `sslth build`): `k` or `density`
/// sizes it, `weight_eps` or `eps` sets the tolerance; it is measured on
/// the test rows of `data` (default: the data set the target records;
/// `"none"`: not measured). The ticket records its target's input scale
/// (none for an export), so that both take the same inputs.
#[pyfunction]
#[pyo3(signature = (target, k=None, density=None, weight_eps=None, eps=None, nonneg_input=false, seed=0, scale=None, n=None, accept_over_eps=false, accept_misses=false, data=None))]
#[allow(clippy::too_many_arguments)]
fn build(
    py: Python<'_>,
    target: &Model,
    k: Option<usize>,
    density: Option<f64>,
    weight_eps: Option<f64>,
    eps: Option<f64>,
    nonneg_input: bool,
    seed: u64,
    scale: Option<f64>,
    n: Option<usize>,
    accept_over_eps: bool,
    accept_misses: bool,
    data: Option<String>,
) -> PyResult<Model> {
    let (net, info) = target.target("build")?;
    let cfg = build_config(k, density, weight_eps, eps, nonneg_input, seed, scale, n, accept_over_eps, accept_misses)?;
    let data = data.or_else(|| info.data.clone()).filter(|d| d != "none");
    let test = data.as_deref().map(sslth::data::load_test).transpose().map_err(lib_error)?;
    let input_scale = info.input_scale;
    let built = crate::interruptible(py, |go_on| {
        build_and_measure(net, &cfg, test.as_ref(), input_scale, |_| {}, &|| go_on.load(Ordering::Relaxed))
    })?
    .map_err(lib_error)?;
    Model::built(built, net, data.as_deref())
}

/// The ticket of `target` built on no data and written to `path`, full or
/// `compact`, with the options of `build` (`sslth build --data none`):
/// streamed, so that its memory does not grow with the kept edges (targets
/// of 10⁸ weights), and the same bytes as `build(..., data="none")` saved
/// to `path`. Returns the report dict.
#[pyfunction]
#[pyo3(signature = (target, path, compact=false, force=false, k=None, density=None, weight_eps=None, eps=None, nonneg_input=false, seed=0, scale=None, n=None, accept_over_eps=false, accept_misses=false))]
#[allow(clippy::too_many_arguments)]
fn build_file<'py>(
    py: Python<'py>,
    target: &Model,
    path: PathBuf,
    compact: bool,
    force: bool,
    k: Option<usize>,
    density: Option<f64>,
    weight_eps: Option<f64>,
    eps: Option<f64>,
    nonneg_input: bool,
    seed: u64,
    scale: Option<f64>,
    n: Option<usize>,
    accept_over_eps: bool,
    accept_misses: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (net, info) = target.target("build_file")?;
    let cfg = build_config(k, density, weight_eps, eps, nonneg_input, seed, scale, n, accept_over_eps, accept_misses)?;
    refuse_existing(&path, force)?;
    let input_scale = info.input_scale;
    let built = crate::interruptible(py, |go_on| {
        let go_on = || go_on.load(Ordering::Relaxed);
        sslth::experiments::pipeline::build_file(net, &cfg, input_scale, &path, compact, |_| {}, &go_on)
    })?
    .map_err(lib_error)?;
    to_py(py, &built.report)
}

/// `FileExistsError` for an existing `path` unless `force`: nothing the
/// user gave is overwritten unasked.
fn refuse_existing(path: &std::path::Path, force: bool) -> PyResult<()> {
    if path.exists() && !force {
        let exists = format!("{} exists; pass force=True to replace it", path.display());
        return Err(pyo3::exceptions::PyFileExistsError::new_err(exists));
    }
    Ok(())
}

/// The build options of [`build`] (and of a sharded build) as the
/// library's configuration, with the CLI's refusals.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_config(
    k: Option<usize>,
    density: Option<f64>,
    weight_eps: Option<f64>,
    eps: Option<f64>,
    nonneg_input: bool,
    seed: u64,
    scale: Option<f64>,
    n: Option<usize>,
    accept_over_eps: bool,
    accept_misses: bool,
) -> PyResult<BuildConfig> {
    let options =
        BuildOptions { seed, k, n, density, weight_eps, eps, nonneg_input, scale, accept_over_eps, accept_misses };
    options.config().map_err(lib_error)
}

impl Model {
    /// The target inside, for `what` (a function that takes targets).
    pub(crate) fn target(&self, what: &str) -> PyResult<(&sslth::net::Network, &target::TargetInfo)> {
        match &self.inner {
            Runnable::Target(net, info) => Ok((net, info)),
            _ => Err(value_error(format!("{what} takes a target, not a ticket"))),
        }
    }

    /// A built (or merged) ticket with its report.
    pub(crate) fn built(
        built: sslth::experiments::pipeline::Built,
        net: &sslth::net::Network,
        data: Option<&str>,
    ) -> PyResult<Model> {
        let report = serde_json::to_string(&built.report(net, data, None)).map_err(value_error)?;
        let loaded = LoadedTicket { net: built.net, meta: built.meta, compact: false };
        Ok(Model { inner: Runnable::Ticket(Box::new(loaded)), report: Some(report) })
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Model>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(target_from_state_dict, m)?)?;
    m.add_function(wrap_pyfunction!(build, m)?)?;
    m.add_function(wrap_pyfunction!(build_file, m)?)?;
    m.add_function(wrap_pyfunction!(loads, m)?)?;
    m.add_function(wrap_pyfunction!(_unpickle, m)?)?;
    Ok(())
}

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

/// `sslth frontier`: tickets of `target` for each input assumption
/// (`inputs`: "signed", "nonneg"), tolerance and k, at the measured rule's
/// n and at each n of `ns`, measured on `data` (default: the data set the
/// target records); returns a dict with `rows` (`on_front` marks the
/// Pareto front), `target_weights` and `theory` (the paper's curves).
#[pyfunction]
#[pyo3(signature = (target, ks=vec![1, 2, 3, 4, 6, 8, 12, 16], ns=vec![], weight_eps=vec![0.01], inputs=vec!["signed".to_string()], seed=0, data=None))]
#[allow(clippy::too_many_arguments)]
fn frontier<'py>(
    py: Python<'py>,
    target: &Model,
    ks: Vec<usize>,
    ns: Vec<usize>,
    weight_eps: Vec<f64>,
    inputs: Vec<String>,
    seed: u64,
    data: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    use sslth::experiments::frontier::{frontier, FrontierConfig};
    let Runnable::Target(net, info) = &target.inner else {
        return Err(value_error("frontier takes a target, not a ticket"));
    };
    let nonneg_input = inputs
        .iter()
        .map(|i| match i.as_str() {
            "signed" => Ok(false),
            "nonneg" => Ok(true),
            other => Err(value_error(format!("inputs must be signed or nonneg, got {other:?}"))),
        })
        .collect::<PyResult<Vec<bool>>>()?;
    let cfg = FrontierConfig { weight_eps, ks, ns, nonneg_input, seed };
    cfg.check().map_err(lib_error)?;
    let name =
        data.or_else(|| info.data.clone()).ok_or_else(|| value_error("the target records no data set; give data"))?;
    let test = sslth::data::load_test(&name).map_err(lib_error)?;
    rows(py, |go_on| frontier(net, &test, &cfg, &|_| {}, go_on))
}

/// `sslth compare`: a target trained on `data`, constructed tickets and
/// edge-popup tickets at the same densities, every popup network after the
/// same learning-rate search, over `seeds` seeds; returns the rows (test
/// accuracy as mean, standard deviation, min and max).
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
    cfg.check_data(&split.train).map_err(value_error)?;
    rows(py, |go_on| compare(&split, &cfg, &|_| {}, go_on))
}

/// `sslth verify`: a ticket file against its regenerated random network;
/// with `target`, both certificates recomputed from its kept edges (the
/// tight one over the box of `data`, default the data the ticket records),
/// and with `attack` an attack on the tight one. Returns the report (its
/// `passed` says whether everything checked holds).
#[pyfunction]
#[pyo3(signature = (ticket, target=None, data=None, attack=false, starts=32, steps=40))]
fn verify<'py>(
    py: Python<'py>,
    ticket: PathBuf,
    target: Option<PathBuf>,
    data: Option<String>,
    attack: bool,
    starts: usize,
    steps: usize,
) -> PyResult<Bound<'py, PyAny>> {
    use sslth::experiments::attack::AttackConfig;
    let cfg = attack.then_some(AttackConfig { starts, steps, seed: 0 });
    let report = crate::interruptible(py, |go_on| {
        let go_on = || go_on.load(Ordering::Relaxed);
        sslth::experiments::verify::verify_file(&ticket, target.as_deref(), data.as_deref(), cfg.as_ref(), &go_on)
    })?
    .map_err(lib_error)?;
    to_py(py, &report.1)
}

/// `sslth popup`: edge-popup in a random MLP of the generator (`widths`,
/// default inputs-300-100-classes; `weights` "uniform" or
/// "signed-constant") on `data`; returns the ticket (a `Model` with a
/// report of its test accuracy and training time).
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
    let report = serde_json::json!({
        "data": data,
        "density": run.meta.density,
        "kept_edges": run.meta.kept_edges,
        "random_edges": run.meta.random_edges,
        "test_accuracy": run.test_accuracy,
        "train_seconds": run.train_time.as_secs_f64(),
    });
    let loaded = LoadedTicket { net: run.net, meta: run.meta, compact: false };
    Ok(Model { inner: Runnable::Ticket(Box::new(loaded)), report: Some(report.to_string()) })
}

pub(crate) fn register_experiments(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(frontier, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(popup, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    Ok(())
}
