//! Targets and tickets: load any file, make a target from a PyTorch
//! `state_dict`, build a ticket, run either on numpy rows, save, export
//! to PyTorch.

use crate::{lib_error, to_py, value_error};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use sslth::construction::{BuildConfig, BuildOptions};
use sslth::data::InputShape;
use sslth::experiments::pipeline::build_and_measure;
use sslth::files::{compact_bytes, full_bytes, target, write_atomic, LoadedTicket, Runnable};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

/// What `Model.__reduce__` gives pickle: the function that rebuilds a
/// model, and its arguments (file bytes, build report).
type Reduced<'py> = (Bound<'py, PyAny>, (Bound<'py, PyBytes>, Option<Py<PyAny>>));

/// A target or a ticket, loaded or built, ready to run.
#[pyclass(module = "sslth._sslth")]
pub struct Model {
    pub(crate) inner: Runnable,
    /// What the build reported (a dict made once), for tickets built here.
    pub(crate) report: Option<Py<PyAny>>,
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

    /// The ticket's file metadata (docs/FORMAT.md) as a dict; `ValueError`
    /// for a target.
    #[getter]
    fn meta<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.inner.meta().ok_or_else(|| value_error("a target, not a ticket"))?)
    }

    /// The build's report for a ticket built here (`sslth.types.BuildReport`,
    /// or `PopupReport` for `popup`'s), else `None`: a copy of its own on
    /// each access, so changing one changes nothing else.
    #[getter]
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let deepcopy = py.import("copy")?.getattr("deepcopy")?;
        self.report.as_ref().map(|r| deepcopy.call1((r,))).transpose()
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
        Ok((unpickle, (self.to_bytes(py, compact)?, self.report.as_ref().map(|r| r.clone_ref(py)))))
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
        let arch = to_py(py, &arch)?;
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
fn _unpickle(py: Python<'_>, data: &[u8], report: Option<Py<PyAny>>) -> PyResult<Model> {
    Ok(Model { report, ..loads(py, data)? })
}

/// A target from a `state_dict` of numpy arrays or torch tensors
/// (`{name: array}`, float32 or float64).
///
/// Without `architecture` only a `Linear`/ReLU `nn.Sequential`
/// (`{i}.weight` `[out, in]`, `{i}.bias`) is read: a state_dict does not
/// say a convolution's padding or stride, a pooling or an activation, so
/// convolution and set tensors are refused; import such a model with
/// `sslth.from_torch`. `architecture` (a dict, docs/FORMAT.md
/// "Architecture") says every layer; `input_shape` (`(C, H, W)` or
/// `(N, F)`) is checked against the target's input; `input_scale` (raw
/// input times it is the network's input) is recorded in tickets.
#[pyfunction]
#[pyo3(signature = (state_dict, input_shape=None, input_scale=None, architecture=None))]
fn target_from_state_dict(
    state_dict: &Bound<'_, PyDict>,
    input_shape: Option<Vec<usize>>,
    input_scale: Option<f64>,
    architecture: Option<&Bound<'_, PyAny>>,
) -> PyResult<Model> {
    let mut tensors = Vec::new();
    for (k, v) in state_dict.iter() {
        let name: String = k.extract()?;
        // A torch tensor is read through its numpy view.
        let v = if v.hasattr("detach")? {
            v.call_method0("detach")?.call_method0("cpu")?.call_method0("numpy")?
        } else {
            v
        };
        let arr = v
            .call_method1("astype", ("float32",))
            .map_err(|_| value_error(format!("state_dict[{name:?}] is not an array of numbers")))?;
        let arr: PyReadonlyArrayDyn<'_, f32> = arr.extract()?;
        tensors.push((name, arr.shape().to_vec(), arr.as_array().iter().copied().collect()));
    }
    let mut md = HashMap::new();
    if let Some(s) = input_scale {
        md.insert("input_scale".to_string(), s.to_string());
    }
    if let Some(a) = architecture {
        // The file format's metadata holds the architecture as JSON.
        let a: serde_json::Value = pythonize::depythonize(a)
            .map_err(|e| value_error(format!("architecture is not a dict of the format: {e}")))?;
        md.insert("architecture".to_string(), a.to_string());
    }
    let (net, info) = target::from_tensors(tensors, &md, self::input_shape(input_shape)?).map_err(lib_error)?;
    Ok(Model { inner: Runnable::Target(net, info), report: None })
}

/// Builds a ticket of `target` inside a random network (`sslth build`).
///
/// `options` (`sslth.types.BuildOptions`): `weight_eps` (each weight's
/// tolerance) or `eps` (a bound on the network's error over the unit
/// ball); `k` (the subset size of every RFSS instance, with `n` a fixed
/// sample count for every layer) or `density` (the fraction of edges KEPT,
/// at most; default 0.1); `subsets` (`"fewest"`, the default: each weight
/// keeps the fewest random edges within tolerance, 1 to 2k; `"fixed"`: k
/// where k serve, as in the paper); `seed` (of the random network, default
/// 0); `nonneg_input` (inputs are never negative: the first layer has no
/// negative side); `scale` (one fixed scale of every random layer) or
/// `scale_quantile` (each layer's scale set by that quantile of its
/// |weights| instead of the largest); `walk_budget` (how much the tight
/// certificate may walk back); `accept_over_eps`, `accept_misses` (keep a
/// ticket over its tolerance instead of raising `BuildRefused`). An
/// unknown option is a `TypeError`.
///
/// Every weight is within its tolerance: an RFSS instance that misses
/// makes the build raise that layer's n and rebuild it. The ticket is
/// measured on the test rows of `data` (default: the data set the
/// target's file records; `"none"`: not measured). Its `report`
/// (`sslth.types.BuildReport`) holds the plan, density, kept and random
/// edges, misses, the certificate and, with data, accuracy, agreement and
/// the tight certificate over the data's box. The ticket records its
/// target's input scale. The same options give the same file as
/// `sslth build`.
#[pyfunction]
#[pyo3(signature = (target, *, data=None, **options))]
fn build(py: Python<'_>, target: &Model, data: Option<String>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Model> {
    let (net, info) = target.target("build")?;
    let cfg = build_config("build", options)?;
    let measured = sslth::data::measured_on(data.as_deref(), info.data.as_deref()).map_err(lib_error)?;
    let (data, test) = measured.unzip();
    let input_scale = info.input_scale;
    let built = crate::interruptible(py, |go_on| {
        build_and_measure(net, &cfg, test.as_ref(), input_scale, |_| {}, &|| go_on.load(Ordering::Relaxed))
    })?
    .map_err(lib_error)?;
    Model::built(py, built, net, data.as_deref())
}

/// Builds the ticket of `target` on no data and writes it to `path`
/// (full, or `compact`), with the `options` of `build` (`sslth build
/// --data none`).
///
/// The ticket is held as its instances' choices rather than its kept
/// edges while it is built and written, so memory does not grow with them
/// (a target of 10^8 weights); the file's bytes are those of
/// `build(target, data="none", **options).save(path, compact=compact)`.
/// An existing `path` needs `force=True`. Returns the report
/// (`sslth.types.BuildReport`).
#[pyfunction]
#[pyo3(signature = (target, path, *, compact=false, force=false, **options))]
fn build_file<'py>(
    py: Python<'py>,
    target: &Model,
    path: PathBuf,
    compact: bool,
    force: bool,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (net, info) = target.target("build_file")?;
    let cfg = build_config("build_file", options)?;
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

/// The keyword `options` of `build`, `build_file` and `build_shard`,
/// read straight into the library's [`BuildOptions`] (serde): an unknown
/// name is a `TypeError`, as for any Python function.
pub(crate) fn build_config(what: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<BuildConfig> {
    let read = |d: &Bound<'_, PyDict>| pythonize::depythonize::<BuildOptions>(d);
    let options = match options.map(|d| (d, read(d))) {
        None => BuildOptions::default(),
        Some((_, Ok(options))) => options,
        Some((d, Err(e))) => {
            // Name the option of the wrong type: read each alone.
            for (key, value) in d.iter() {
                let one = PyDict::new(d.py());
                one.set_item(&key, value)?;
                if let Err(e) = read(&one) {
                    let e = e.to_string().replace("TypeError: ", "");
                    return Err(PyTypeError::new_err(format!("{what}(): option {key}: {e}")));
                }
            }
            return Err(PyTypeError::new_err(format!("{what}(): {e}").replace("unknown field", "unknown option")));
        }
    };
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
        py: Python<'_>,
        built: sslth::experiments::pipeline::Built,
        net: &sslth::net::Network,
        data: Option<&str>,
    ) -> PyResult<Model> {
        let report = to_py(py, &built.report(net, data, None))?.unbind();
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
