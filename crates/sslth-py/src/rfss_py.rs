//! `sslth.rfss`: the exact RFSS solver on numpy arrays, and the paper's
//! bounds (docs/THEORY.md §2–§5).

use crate::value_error;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use rfss::theory::{check_args, check_gamma, check_positive};
use rfss::{Answer, Budget, Instance, Mode, Status};
use std::time::Duration;

/// Instances solved between two checks for Ctrl-C in a batch.
const CHUNK: usize = 1 << 16;

fn mode(name: &str) -> PyResult<Mode> {
    name.parse::<Mode>().map_err(value_error)
}

/// A refusal of the bounds' domain checks as `ValueError`, parameters
/// named as Python names them.
fn spelt(message: String) -> PyErr {
    value_error(sslth::error::spell(&message, sslth::Face::Library))
}

/// Status as a code: 1 found, 0 none (proved), −1 unknown (budget).
fn code(s: Status) -> i8 {
    match s {
        Status::Found => 1,
        Status::None => 0,
        Status::Unknown => -1,
    }
}

/// One instance: `(status, subset, sum, gap, optimal)`.
#[pyfunction]
#[pyo3(signature = (samples, k, target, eps, mode="within", max_nodes=None, time_limit=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn rfss_solve<'py>(
    py: Python<'py>,
    samples: PyReadonlyArray1<'py, f64>,
    k: usize,
    target: f64,
    eps: f64,
    mode: &str,
    max_nodes: Option<u64>,
    time_limit: Option<f64>,
) -> PyResult<(&'static str, Bound<'py, PyArray1<i64>>, f64, f64, bool)> {
    let mode = self::mode(mode)?;
    if let Some(t) = time_limit.filter(|t| !(*t > 0.0 && t.is_finite())) {
        return Err(value_error(format!("time_limit must be a finite number of seconds > 0, got {t}")));
    }
    let budget = Budget { max_nodes, time_limit: time_limit.map(Duration::from_secs_f64) };
    let inst = Instance::new(samples.as_slice()?.to_vec(), k, target, eps).map_err(value_error)?;
    let a: Answer = py.detach(|| rfss::Solver::new(budget).solve(&inst, mode)).map_err(value_error)?;
    let subset: Vec<i64> = a.subset.iter().map(|&i| i as i64).collect();
    Ok((a.status.name(), subset.into_pyarray(py), a.sum, a.gap, a.optimal))
}

/// Many instances of one (n, k, ε): rows of `samples` with their targets,
/// solved in parallel with the GIL released, in chunks between which
/// Ctrl-C is honoured. Returns `(status codes, subsets [m, k] with −1
/// where none is returned, sums, gaps, optimal)`.
#[pyfunction]
#[pyo3(signature = (samples, k, targets, eps, mode="within", threads=None))]
#[allow(clippy::type_complexity)]
fn rfss_solve_batch<'py>(
    py: Python<'py>,
    samples: PyReadonlyArray2<'py, f64>,
    k: usize,
    targets: PyReadonlyArray1<'py, f64>,
    eps: f64,
    mode: &str,
    threads: Option<usize>,
) -> PyResult<(
    Bound<'py, PyArray1<i8>>,
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
)> {
    let mode = self::mode(mode)?;
    let view = samples.as_array();
    let (m, n) = view.dim();
    let flat = samples.as_slice().map_err(|_| value_error("samples must be a C-contiguous [m, n] array"))?;
    let targets = targets.as_slice()?;
    if targets.len() != m {
        return Err(value_error(format!("{} targets for {m} rows of samples", targets.len())));
    }
    if threads == Some(0) {
        return Err(value_error("threads must be at least 1"));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| value_error(format!("cannot start {threads:?} threads: {e}")))?;
    let mut status = vec![0i8; m];
    let mut subsets = vec![-1i64; m * k];
    let (mut sums, mut gaps, mut optimal) = (vec![0.0f64; m], vec![0.0f64; m], vec![false; m]);
    // Chunk by chunk with the GIL released: the instances made, solved
    // (rfss::solve_batch) and written into the outputs in parallel; Ctrl-C
    // is checked between chunks.
    for start in (0..m).step_by(CHUNK) {
        let end = (start + CHUNK).min(m);
        let out = (
            &mut status[start..end],
            &mut subsets[start * k..end * k],
            &mut sums[start..end],
            &mut gaps[start..end],
            &mut optimal[start..end],
        );
        let rows = Rows { samples: flat, n, k, targets, eps, mode, range: start..end };
        py.detach(|| pool.install(|| solve_rows(&rows, out))).map_err(value_error)?;
        py.check_signals()?;
    }
    let subsets = numpy::ndarray::Array2::from_shape_vec((m, k), subsets).expect("m × k entries");
    Ok((
        status.into_pyarray(py),
        subsets.into_pyarray(py),
        sums.into_pyarray(py),
        gaps.into_pyarray(py),
        optimal.into_pyarray(py),
    ))
}

/// Rows `range` of a batch: `samples` holds `n` per row, each row's
/// instance takes `k` of them towards its target.
struct Rows<'a> {
    samples: &'a [f64],
    n: usize,
    k: usize,
    targets: &'a [f64],
    eps: f64,
    mode: Mode,
    range: std::ops::Range<usize>,
}

/// The batch's output columns for some rows: status codes, subsets (k per
/// row), sums, gaps, optimal.
type Columns<'a> = (&'a mut [i8], &'a mut [i64], &'a mut [f64], &'a mut [f64], &'a mut [bool]);

/// Solves `rows` on the current rayon pool (rfss::solve_batch) and writes
/// each answer into `out`, in parallel.
fn solve_rows(rows: &Rows<'_>, out: Columns<'_>) -> Result<(), String> {
    use rayon::prelude::*;
    let Rows { samples, n, k, targets, eps, mode, .. } = *rows;
    let items = rows
        .range
        .clone()
        .into_par_iter()
        .map(|r| {
            let inst = Instance::new(samples[r * n..(r + 1) * n].to_vec(), k, targets[r], eps);
            inst.map(|i| (i, mode)).map_err(|e| format!("row {r}: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let answers = rfss::solve_batch(&items, Budget::default());
    let (st, sub, su, ga, op) = out;
    answers
        .into_par_iter()
        .zip(st.par_iter_mut())
        .zip(sub.par_chunks_mut(k.max(1)))
        .zip(su.par_iter_mut().zip(ga.par_iter_mut()).zip(op.par_iter_mut()))
        .try_for_each(|(((a, st), sub), ((su, ga), op))| {
            let a = a.map_err(|e| e.to_string())?;
            *st = code(a.status);
            if a.subset.len() == k {
                sub.iter_mut().zip(&a.subset).for_each(|(s, &i)| *s = i as i64);
            }
            (*su, *ga, *op) = (a.sum, a.gap, a.optimal);
            Ok(())
        })
}

/// Theorem 2's n = c·log2(k/ε)/H2(k/n).
#[pyfunction]
#[pyo3(signature = (k, eps, c=1.0))]
fn theorem2_n(k: usize, eps: f64, c: f64) -> PyResult<u64> {
    check_args(k, eps, &[("c", c)]).map_err(spelt)?;
    Ok(rfss::theory::theorem2_n(k, eps, c))
}

/// Corollary 1's n = c_amp·log2²(k/ε)/H2(k/n).
#[pyfunction]
#[pyo3(signature = (k, eps, c_amp=1.0))]
fn corollary1_n(k: usize, eps: f64, c_amp: f64) -> PyResult<u64> {
    check_args(k, eps, &[("c_amp", c_amp)]).map_err(spelt)?;
    Ok(rfss::theory::corollary1_n(k, eps, c_amp))
}

/// Corollary 2's n and whether its condition on k holds.
#[pyfunction]
#[pyo3(signature = (k, eps, c_amp=1.0))]
fn corollary2_n(k: usize, eps: f64, c_amp: f64) -> PyResult<(u64, bool)> {
    check_args(k, eps, &[("c_amp", c_amp)]).map_err(spelt)?;
    Ok(rfss::theory::corollary2_n(k, eps, c_amp))
}

/// Theorem 5's lower bound n = (d²/2)·log2(k/ε)/H2(k/n).
#[pyfunction]
#[pyo3(signature = (k, eps, d=1))]
fn theorem5_n(k: usize, eps: f64, d: usize) -> PyResult<u64> {
    check_args(k, eps, &[("d", d as f64)]).map_err(spelt)?;
    Ok(rfss::theory::theorem5_n(k, eps, d))
}

/// Theorem 4's hidden width (in stacked spaces) of a network of `layers`
/// layers over `spaces` spaces, with a basis of `basis_size` elements and
/// operator norm `basis_norm`.
#[pyfunction]
#[pyo3(signature = (layers, spaces, basis_size, basis_norm, gamma, eps, c_amp=1.0))]
#[allow(clippy::too_many_arguments)]
fn theorem4_n(
    layers: usize,
    spaces: usize,
    basis_size: usize,
    basis_norm: f64,
    gamma: f64,
    eps: f64,
    c_amp: f64,
) -> PyResult<f64> {
    let counts = [("layers", layers as f64), ("spaces", spaces as f64), ("basis_size", basis_size as f64)];
    check_positive(&[("eps", eps), ("c_amp", c_amp), ("basis_norm", basis_norm)]).map_err(spelt)?;
    check_positive(&counts).and_then(|_| check_gamma("gamma", gamma)).map_err(spelt)?;
    Ok(rfss::theory::theorem4_n(layers, spaces, basis_size, basis_norm, gamma, eps, c_amp))
}

/// Theorem 3's sizing per layer of `widths`: dicts with d_in, d_out, n, k,
/// hidden, params, kept.
#[pyfunction]
#[pyo3(signature = (widths, eps, gamma_prime, c_amp=1.0))]
fn theorem3<'py>(
    py: Python<'py>,
    widths: Vec<usize>,
    eps: f64,
    gamma_prime: f64,
    c_amp: f64,
) -> PyResult<Bound<'py, PyAny>> {
    if widths.len() < 2 || widths.contains(&0) {
        return Err(value_error("widths needs at least an input and an output width, each at least 1"));
    }
    check_positive(&[("eps", eps), ("c_amp", c_amp)]).map_err(spelt)?;
    check_gamma("gamma_prime", gamma_prime).map_err(spelt)?;
    crate::to_py(py, &rfss::theory::theorem3(&widths, eps, gamma_prime, c_amp))
}

/// The paper's formulas at once (`sslth rfss bounds --json`): Theorem 2's,
/// Corollaries 1 and 2's and Theorem 5's n for `k` and `eps`, the
/// first-moment prediction per sample law (at `target`), and with `n` (or
/// `density` k/n) the ratio log2(k/ε)/H2(k/n) and expected good subsets;
/// with `widths`, Theorem 3 at `gamma_prime`; with `network` (a target),
/// Theorem 4 for each of its layers. Returns `sslth.types.Bounds`.
#[pyfunction]
#[pyo3(signature = (k, eps, n=None, density=None, c=1.0, c_amp=1.0, d=1, target=0.0, widths=None, gamma_prime=0.25, network=None))]
#[allow(clippy::too_many_arguments)]
fn bounds<'py>(
    py: Python<'py>,
    k: usize,
    eps: f64,
    n: Option<usize>,
    density: Option<f64>,
    c: f64,
    c_amp: f64,
    d: usize,
    target: f64,
    widths: Option<Vec<usize>>,
    gamma_prime: f64,
    network: Option<PyRef<'py, crate::nets::Model>>,
) -> PyResult<Bound<'py, PyAny>> {
    use sslth::experiments::bounds::{bounds, BoundsQuery};
    let network = network.as_ref().map(|m| m.target("bounds")).transpose()?.map(|(net, _)| net);
    let query = BoundsQuery { k, eps, n, density, c, c_amp, d, target, widths, gamma_prime, basis: None, network };
    crate::to_py(py, &bounds(&query).map_err(crate::lib_error)?)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bounds, m)?)?;
    m.add_function(wrap_pyfunction!(rfss_solve, m)?)?;
    m.add_function(wrap_pyfunction!(rfss_solve_batch, m)?)?;
    m.add_function(wrap_pyfunction!(theorem2_n, m)?)?;
    m.add_function(wrap_pyfunction!(corollary1_n, m)?)?;
    m.add_function(wrap_pyfunction!(corollary2_n, m)?)?;
    m.add_function(wrap_pyfunction!(theorem5_n, m)?)?;
    m.add_function(wrap_pyfunction!(theorem4_n, m)?)?;
    m.add_function(wrap_pyfunction!(theorem3, m)?)?;
    Ok(())
}
