//! Sharded builds from Python, as the CLI's `build --shard I/N [--after]`
//! and `merge`: one share as the bytes of its shard file, and shares
//! merged into the one-machine ticket. python/sslth/dask.py runs the
//! shares as tasks on a Dask cluster.

use crate::nets::{build_config, Model};
use crate::{lib_error, to_py, value_error};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict};
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

/// Builds share `shard = (I, N)` (0 <= I < N) of a build of `target`
/// with the `options` of `build` (`sslth build --shard I/N`).
///
/// The rows of the pairs are cut into N runs of equal cost; share I builds
/// run I. Returns `(shard_bytes, report)`: the bytes of the shard file
/// (docs/FORMAT.md) and `sslth.types.ShardReport` (`round`, `attempts`
/// built as `{"pair", "n"}`, `rows`, `rfss_instances`, `rfss_misses`,
/// `kept_edges`, `build_seconds`, `file_bytes`). With `after` (the bytes
/// of every shard of all earlier rounds) it builds the next round: the
/// pairs that missed, again at a larger n, as a one-machine build repairs
/// them; a round with nothing to repair has no `attempts`. `merge` joins
/// the shares; `sslth.dask.build` runs them on a Dask cluster.
#[pyfunction]
#[pyo3(signature = (target, shard, *, after=Vec::new(), **options))]
fn build_shard<'py>(
    py: Python<'py>,
    target: &Model,
    shard: (usize, usize),
    after: Vec<PyBackedBytes>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyAny>)> {
    let (net, _) = target.target("build_shard")?;
    let cfg = build_config("build_shard", options)?;
    let id = ShardId::new(shard.0, shard.1).map_err(value_error)?;
    let (bytes, report) = crate::interruptible(py, |go_on| {
        build_shard_file(net, &cfg, id, read_all(&after)?, |_| {}, &|| go_on.load(Ordering::Relaxed))
    })?
    .map_err(lib_error)?;
    Ok((PyBytes::new(py, &bytes), to_py(py, &report)?))
}

/// The ticket `build` makes, from the shard files `shards` (bytes of
/// every share of every round of one build of `target`, any order;
/// `sslth merge`): byte for byte the same file once saved. Pairs still to
/// repair after the last round are built here. `data` as in `build`.
#[pyfunction]
#[pyo3(signature = (target, shards, data=None))]
fn merge(py: Python<'_>, target: &Model, shards: Vec<PyBackedBytes>, data: Option<String>) -> PyResult<Model> {
    let (net, info) = target.target("merge")?;
    let measured = sslth::data::measured_on(data.as_deref(), info.data.as_deref()).map_err(lib_error)?;
    let (data, test) = measured.unzip();
    let built = crate::interruptible(py, |go_on| {
        let (cfg, parts) = checked(net, read_all(&shards)?, None)?;
        let go_on = || go_on.load(Ordering::Relaxed);
        sslth::experiments::pipeline::merge_and_measure(
            net,
            &cfg,
            parts,
            test.as_ref(),
            info.input_scale,
            |_| {},
            &go_on,
        )
    })?
    .map_err(lib_error)?;
    Model::built(py, built, net, data.as_deref())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(build_shard, m)?)?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    Ok(())
}
