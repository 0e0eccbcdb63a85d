//! Sharded builds from Python, as the CLI's `build --shard I/N [--after]`
//! and `merge`: one share as the bytes of its shard file, and shares
//! merged into the one-machine ticket. python/sslth/dask.py runs the
//! shares as tasks on a Dask cluster.

use crate::nets::{build_config, to_py, Model};
use crate::{lib_error, value_error};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyBytes;
use sslth::construction::ShardId;
use sslth::experiments::shard::{build_shard_file, checked, read_shard, Shard};
use std::sync::atomic::Ordering;

/// Shard files given as bytes, each named by its place for errors.
fn read_all(shards: &[PyBackedBytes]) -> sslth::Result<Vec<(Shard, String)>> {
    shards
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let name = format!("shard bytes #{i}");
            Ok((read_shard(b, &name).map_err(sslth::Error::Invalid)?, name))
        })
        .collect()
}

/// Builds share `shard` = (I, N) of a build of `target` with the options
/// of `build` (the next round after the shard files `after`, all earlier
/// rounds, if given): the shard file's bytes and a report dict.
#[pyfunction]
#[pyo3(signature = (target, shard, after=Vec::new(), k=None, density=None, weight_eps=None, eps=None, nonneg_input=false, seed=0, scale=None, n=None, accept_over_eps=false, accept_misses=false))]
#[allow(clippy::too_many_arguments)]
fn build_shard<'py>(
    py: Python<'py>,
    target: &Model,
    shard: (usize, usize),
    after: Vec<PyBackedBytes>,
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
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyAny>)> {
    let (net, _) = target.target("build_shard")?;
    let cfg = build_config(k, density, weight_eps, eps, nonneg_input, seed, scale, n, accept_over_eps, accept_misses)?;
    let id = ShardId::parse(&format!("{}/{}", shard.0, shard.1)).map_err(value_error)?;
    let (bytes, report) = crate::interruptible(py, |go_on| {
        build_shard_file(net, &cfg, id, read_all(&after)?, |_| {}, &|| go_on.load(Ordering::Relaxed))
    })?
    .map_err(lib_error)?;
    Ok((PyBytes::new(py, &bytes), to_py(py, &report)?))
}

/// Merges the shard files `shards` (bytes: every share of every round of
/// one build of `target`) into the ticket `build` makes with the same
/// options, measured on `data` as `build` measures.
#[pyfunction]
#[pyo3(signature = (target, shards, data=None))]
fn merge(py: Python<'_>, target: &Model, shards: Vec<PyBackedBytes>, data: Option<String>) -> PyResult<Model> {
    let (net, info) = target.target("merge")?;
    let data = data.or_else(|| info.data.clone()).filter(|d| d != "none");
    let split = data.as_deref().map(sslth::data::load).transpose().map_err(lib_error)?;
    let test = split.as_ref().map(|s| &s.test);
    let built = crate::interruptible(py, |go_on| {
        let (cfg, parts) = checked(net, read_all(&shards)?, None)?;
        let go_on = || go_on.load(Ordering::Relaxed);
        sslth::experiments::pipeline::merge_and_measure(net, &cfg, parts, test, info.input_scale, |_| {}, &go_on)
    })?
    .map_err(lib_error)?;
    Model::built(built, net, data.as_deref())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(build_shard, m)?)?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    Ok(())
}
