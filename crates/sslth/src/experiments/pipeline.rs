//! The whole job for one target: plan, build, certify, and measure when
//! data are at hand.

use crate::construction::stream::{build_streamed as stream, streamable};
use crate::construction::{
    build, merge, plan, BuildConfig, Certificate, LayerPlan, ShardPart, Sizing, StreamedTicket, Ticket,
    TightCertificate, Tolerance,
};
use crate::data::Dataset;
use crate::experiments::eval::{compare, Comparison};
use crate::files::{compact_bytes, compact_bytes_of_choices, full_bytes, write_atomic, write_full_of_choices};
use crate::net::{BasisSpec, Kind, Network};
use crate::ticket::PairChoices;
use crate::ticket::PairMeta;
use crate::ticket::SparseNet;
use crate::ticket::TicketMeta;
use crate::{Error, Result};
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

/// A built ticket with everything measured about it.
#[derive(Debug)]
pub struct Built {
    /// The sizing used.
    pub plans: Vec<LayerPlan>,
    /// The ticket as constructed.
    pub ticket: Ticket,
    /// Its runnable form.
    pub net: SparseNet,
    /// The certified bound.
    pub certificate: Certificate,
    /// The tight bound over the test data's box, with its certified
    /// agreement, if data were given.
    pub tight: Option<TightCertificate>,
    /// Target and ticket on the test data, if data were given.
    pub comparison: Option<Comparison>,
    /// The requested network tolerance when the certificate exceeds it and
    /// the build accepted that ([`BuildConfig::accept_over_eps`]).
    pub over_eps: Option<f64>,
    /// What the ticket file records.
    pub meta: TicketMeta,
    /// Wall-clock time of building (plan included).
    pub build_time: Duration,
    /// Of it, sizing (every plan made).
    pub plan_time: Duration,
    /// Wall-clock time of the certificates.
    pub certify_time: Duration,
    /// Of it, the tight certificate over the data's box.
    pub tight_time: Duration,
    /// Wall-clock time of the evaluation.
    pub eval_time: Duration,
}

/// Plans (see [`plan`]), builds, certifies, and compares the ticket with
/// the target on `test` when given; `input_scale` (raw input × scale =
/// network input) is recorded in the ticket. `show_plan` sees the sizing
/// before the build starts (again if a ticket over `cfg.density` is built
/// again one k lower), `progress` is called once per built row and
/// stops the build ("interrupted") by returning false.
///
/// With [`Tolerance::Network`]`(ε)`, a certificate above ε is an error
/// (nothing is returned to write) unless the configuration accepts it.
///
/// The whole job on the embedded digits, as `sslth build` runs it:
///
/// ```
/// use sslth::construction::{BuildConfig, Sizing};
/// use sslth::experiments::pipeline::build_and_measure;
/// use sslth::net::{LinearWeights, Network};
///
/// let layer = |d_in: usize, d_out: usize| LinearWeights {
///     d_in,
///     d_out,
///     weight: (0..d_in * d_out).map(|i| ((i * 7 % 11) as f32 - 5.0) / 40.0).collect(),
///     bias: None,
/// };
/// let target = Network::mlp(&[layer(64, 16), layer(16, 10)]);
/// let test = sslth::data::load_test("digits").unwrap();
/// let cfg = BuildConfig { sizing: Sizing::K(3), ..BuildConfig::default() };
/// let built = build_and_measure(&target, &cfg, Some(&test), Some(1.0 / 128.0), |_| {}, &|| true).unwrap();
/// let report = built.report(&target, Some("digits"), None);
/// assert_eq!(report.rfss_misses, 0);
/// assert!(report.comparison.unwrap().agreement > 0.9);
/// assert!(report.tight_certificate.unwrap().bound <= report.certificate.bound);
/// ```
pub fn build_and_measure(
    net: &Network,
    cfg: &BuildConfig,
    test: Option<&Dataset>,
    input_scale: Option<f64>,
    show_plan: impl Fn(&[LayerPlan]),
    progress: &(dyn Fn() -> bool + Sync),
) -> Result<Built> {
    let first = |plans: &[LayerPlan]| build(net, plans, cfg.seed, cfg.nonneg_input, progress).ok_or(Error::Interrupted);
    measure(net, cfg, first, test, input_scale, show_plan, progress)
}

/// [`build_and_measure`] from the shares of a sharded build
/// ([`crate::construction::shard`]) built with `cfg`: planned again here,
/// merged into the one-machine ticket, then checked, certified and
/// measured alike.
pub fn merge_and_measure(
    net: &Network,
    cfg: &BuildConfig,
    parts: Vec<ShardPart>,
    test: Option<&Dataset>,
    input_scale: Option<f64>,
    show_plan: impl Fn(&[LayerPlan]),
    progress: &(dyn Fn() -> bool + Sync),
) -> Result<Built> {
    let first = |plans: &[LayerPlan]| {
        merge(net, plans, cfg.seed, cfg.nonneg_input, parts, progress)
            .map_err(Error::Invalid)?
            .ok_or(Error::Interrupted)
    };
    measure(net, cfg, first, test, input_scale, show_plan, progress)
}

/// What both [`build_and_measure`] and [`merge_and_measure`] do: plan,
/// make the first ticket of the plan (`first`: built, or merged), then the
/// density ceiling, the misses, the certificate and the measurements.
fn measure(
    net: &Network,
    cfg: &BuildConfig,
    first: impl FnOnce(&[LayerPlan]) -> Result<Ticket>,
    test: Option<&Dataset>,
    input_scale: Option<f64>,
    show_plan: impl Fn(&[LayerPlan]),
    progress: &(dyn Fn() -> bool + Sync),
) -> Result<Built> {
    if let Some(t) = test {
        t.expect_dim(net.d_in(), "the target").map_err(Error::Argument)?;
    }
    let again = |plans: &[LayerPlan]| build(net, plans, cfg.seed, cfg.nonneg_input, progress).ok_or(Error::Interrupted);
    let (plans, ticket, plan_time, build_time) = plan_and_make(net, cfg, first, again, Ticket::density, show_plan)?;
    let worst = ticket.pairs.iter().map(|p| p.max_weight_error);
    refuse_misses(cfg, &plans, ticket.instances(), worst)?;
    let t1 = Instant::now();
    let certificate = ticket.certificate(net).map_err(Error::Unsupported)?;
    let tight_start = Instant::now();
    let tight =
        test.map(|t| ticket.tight_certificate(net, t.input_max, certificate.bound, cfg.walk_budget)).transpose();
    let mut tight = tight.map_err(Error::Invalid)?;
    let (certify_time, tight_time) = (t1.elapsed(), tight_start.elapsed());
    let over_eps = over_eps(cfg, certificate.bound)?;
    let t2 = Instant::now();
    let sparse = ticket.to_sparse();
    let comparison = test.map(|t| {
        let fx = net.forward_batch(&t.inputs, t.len());
        if let Some(tight) = &mut tight {
            tight.measure_agreement(&fx, t.len());
        }
        compare(&fx, &sparse, t)
    });
    let eval_time = t2.elapsed();
    let meta = ticket.meta(net, certificate.bound, input_scale, test.map(|t| t.name));
    Ok(Built {
        plans,
        ticket,
        net: sparse,
        certificate,
        tight,
        comparison,
        over_eps,
        meta,
        build_time,
        plan_time,
        certify_time,
        tight_time,
        eval_time,
    })
}

/// Plans, makes the first ticket of the plan (`first`), and, when only a
/// density is asked for, makes it again one k lower (`again`) while it
/// keeps more than that density: sizing predicts the kept edges, and the
/// density is a ceiling. Returns the plans, the ticket, the sizing time
/// and the whole time (sizing included).
fn plan_and_make<T, E: From<Error>>(
    net: &Network,
    cfg: &BuildConfig,
    first: impl FnOnce(&[LayerPlan]) -> Result<T, E>,
    again: impl Fn(&[LayerPlan]) -> Result<T, E>,
    density: impl Fn(&T) -> f64,
    show_plan: impl Fn(&[LayerPlan]),
) -> Result<(Vec<LayerPlan>, T, Duration, Duration), E> {
    let t0 = Instant::now();
    let mut plans = plan(net, cfg)?;
    let mut plan_time = t0.elapsed();
    show_plan(&plans);
    let mut ticket = first(&plans)?;
    let ceiling = match cfg.sizing {
        Sizing::Density(d) => d,
        Sizing::K(_) | Sizing::Fixed { .. } => f64::INFINITY,
    };
    while density(&ticket) > ceiling {
        let k = plans[0].size.k;
        if k <= 1 {
            return Err(E::from(Error::Argument(format!(
                "`density` {ceiling} is too low for this target: the k = 1 ticket keeps {:.4}%",
                100.0 * density(&ticket)
            ))));
        }
        let t = Instant::now();
        plans = plan(net, &BuildConfig { sizing: Sizing::K(k - 1), ..cfg.clone() }).map_err(|e| {
            Error::Argument(format!(
                "`density` {ceiling} is too low for this target: the k = {k} ticket keeps {:.4}% and k = {} is \
                 refused ({e})",
                100.0 * density(&ticket),
                k - 1
            ))
        })?;
        plan_time += t.elapsed();
        show_plan(&plans);
        ticket = again(&plans)?;
    }
    Ok((plans, ticket, plan_time, t0.elapsed()))
}

/// Refuses a ticket with missed instances unless the configuration
/// accepts them; `max_errors` is each pair's largest |C − Ĉ±|.
fn refuse_misses(
    cfg: &BuildConfig,
    plans: &[LayerPlan],
    (instances, misses): (u64, u64),
    max_errors: impl Iterator<Item = f64>,
) -> Result<()> {
    if misses == 0 || cfg.accept_misses {
        return Ok(());
    }
    let (i, worst) = max_errors
        .zip(plans)
        .enumerate()
        .map(|(i, (e, plan))| (i, e / plan.weight_eps))
        .fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    let (how, fix) = if plans.iter().any(|p| p.repair) {
        ("even with n raised", "a larger `k`")
    } else {
        ("at the given `n`", "a larger `n`")
    };
    let message = format!(
        "{misses} of {instances} RFSS instances missed their tolerance {how} (worst: layer {i}, {worst:.1}× its \
         tolerance); nothing written ({fix}, or `accept_misses` to keep this ticket)"
    );
    Err(Error::Refused { misses, worst, message })
}

/// With a network tolerance ε, a certified `bound` above it: an error,
/// or, if the configuration accepts it, ε (recorded in the report).
fn over_eps(cfg: &BuildConfig, bound: f64) -> Result<Option<f64>> {
    match cfg.tolerance {
        Tolerance::Network(e) if bound > e && !cfg.accept_over_eps => Err(Error::Refused {
            misses: 0,
            worst: bound,
            message: format!(
                "the certified error {bound:.4e} exceeds `eps` {e}; nothing written (a finer sizing, or \
                 `accept_over_eps` to keep this ticket)"
            ),
        }),
        Tolerance::Network(e) if bound > e => Ok(Some(e)),
        _ => Ok(None),
    }
}

/// A ticket built by [`build_streamed`]: certified, not evaluated (no
/// data), held as choices.
#[derive(Debug)]
pub struct Streamed {
    /// The sizing used.
    pub plans: Vec<LayerPlan>,
    /// The ticket as choices, with its certificate.
    pub ticket: StreamedTicket,
    /// The requested network tolerance when the certificate exceeds it and
    /// the build accepted that.
    pub over_eps: Option<f64>,
    /// What the ticket file records.
    pub meta: TicketMeta,
    /// Wall-clock time of building (plan included, certificate not).
    pub build_time: Duration,
    /// Of it, sizing.
    pub plan_time: Duration,
}

/// Why the streamed build did not give a ticket: it does not apply (build
/// whole), or an error.
enum Halt {
    Whole,
    Error(Error),
}

impl From<Error> for Halt {
    fn from(e: Error) -> Halt {
        Halt::Error(e)
    }
}

/// [`build_and_measure`] without data and without holding the kept edges
/// ([`crate::construction::build_streamed`]): the same plans, ticket,
/// checks and certificate, and (written by [`build_file`]) the same file. `Ok(None)` when some pair could need subset ranks beyond
/// 64 bits ([`crate::construction::stream::streamable`]): build it with
/// [`build_and_measure`].
pub fn build_streamed(
    net: &Network,
    cfg: &BuildConfig,
    input_scale: Option<f64>,
    show_plan: impl Fn(&[LayerPlan]),
    progress: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Streamed>> {
    let make = |plans: &[LayerPlan]| -> Result<StreamedTicket, Halt> {
        if !streamable(plans) {
            return Err(Halt::Whole);
        }
        let made = stream(net, plans, cfg.seed, cfg.nonneg_input, progress).map_err(Error::Invalid)?;
        made.ok_or(Halt::Error(Error::Interrupted))
    };
    let (plans, ticket, plan_time, build_time) =
        match plan_and_make(net, cfg, make, make, StreamedTicket::density, show_plan) {
            Ok(made) => made,
            Err(Halt::Whole) => return Ok(None),
            Err(Halt::Error(e)) => return Err(e),
        };
    let worst = ticket.pairs.iter().map(|p| p.max_weight_error);
    refuse_misses(cfg, &plans, ticket.instances(), worst)?;
    let over_eps = over_eps(cfg, ticket.certificate.bound)?;
    let meta = ticket.meta(net, input_scale);
    // Certified pair by pair inside the build; reported apart, as `Built`.
    let build_time = build_time.saturating_sub(ticket.certify_time);
    Ok(Some(Streamed { plans, ticket, over_eps, meta, build_time, plan_time }))
}

/// A ticket built on no data and written to a file ([`build_file`]): what
/// is reported of it.
#[derive(Debug)]
pub struct FileBuild {
    /// Its report (`file_bytes` set).
    pub report: BuildReport,
    /// The sizing used.
    pub plans: Vec<LayerPlan>,
    /// Each pair's largest |C − Ĉ±|.
    pub max_weight_errors: Vec<f64>,
}

/// The ticket of `net` built on no data and written to `output`
/// (atomically; compact or full), as `sslth build --data none` and
/// `sslth.build_file` make it: streamed ([`build_streamed`]: memory that
/// does not grow with the kept edges), or built whole when it cannot be;
/// the same bytes either way.
pub fn build_file(
    net: &Network,
    cfg: &BuildConfig,
    input_scale: Option<f64>,
    output: &Path,
    compact: bool,
    show_plan: impl Fn(&[LayerPlan]) + Copy,
    progress: &(dyn Fn() -> bool + Sync),
) -> Result<FileBuild> {
    let write = |bytes: &[u8]| -> Result<u64> {
        write_atomic(output, bytes).map_err(|e| Error::write(output, e))?;
        Ok(bytes.len() as u64)
    };
    if let Some(s) = build_streamed(net, cfg, input_scale, show_plan, progress)? {
        let choices: Vec<&PairChoices> = s.ticket.pairs.iter().map(|p| &p.choices).collect();
        let file_bytes = if compact {
            write(&compact_bytes_of_choices(&s.meta, &choices).map_err(Error::Invalid)?)?
        } else {
            write_full_of_choices(output, &s.meta, &choices)?
        };
        let report = s.report(net, Some(file_bytes as usize));
        let max_weight_errors = s.ticket.pairs.iter().map(|p| p.max_weight_error).collect();
        return Ok(FileBuild { report, plans: s.plans, max_weight_errors });
    }
    let built = build_and_measure(net, cfg, None, input_scale, show_plan, progress)?;
    let file_bytes =
        write(&if compact { compact_bytes(&built.net, &built.meta) } else { full_bytes(&built.net, &built.meta) })?;
    let report = built.report(net, None, Some(file_bytes as usize));
    let max_weight_errors = built.ticket.pairs.iter().map(|p| p.max_weight_error).collect();
    Ok(FileBuild { report, plans: built.plans, max_weight_errors })
}

impl Streamed {
    /// What `sslth build --json` reports, as [`Built::report`] does.
    pub fn report(&self, target: &Network, file_bytes: Option<usize>) -> BuildReport {
        let t = &self.ticket;
        let (instances, misses) = t.instances();
        BuildReport {
            data: None,
            target_kind: Kind::of(target),
            target_widths: target.widths(),
            target_weights: target.weight_count(),
            bases: target.structure().map(|s| s.linear.iter().map(|l| l.basis.spec()).collect()).unwrap_or_default(),
            pairs: self.meta.pairs.clone(),
            density: t.density(),
            kept_edges: t.kept_edges(),
            random_edges: t.random_edges(),
            block_edges: t.block_edges(),
            overparameterisation: t.random_edges() as f64 / target.weight_count() as f64,
            rfss_instances: instances,
            rfss_misses: misses,
            certificate: t.certificate.clone(),
            tight_certificate: None,
            accepted_over_eps: self.over_eps,
            comparison: None,
            build_seconds: self.build_time.as_secs_f64(),
            sizing_seconds: self.plan_time.as_secs_f64(),
            certify_seconds: t.certify_time.as_secs_f64(),
            tight_seconds: 0.0,
            eval_seconds: 0.0,
            file_bytes,
            train_seconds: None,
            files: None,
        }
    }
}

impl Built {
    /// Total RFSS instances and those that missed their tolerance.
    pub fn instances(&self) -> (u64, u64) {
        self.ticket.instances()
    }

    /// Overparameterisation m/m_t: random edges over target weights.
    pub fn overparameterisation(&self, target: &Network) -> f64 {
        self.ticket.random_edges() as f64 / target.weight_count() as f64
    }

    /// What `sslth build --json` reports: the build measured against
    /// `target` (on `data`, if named), written as a file of `file_bytes`
    /// (`None`: not written).
    pub fn report(&self, target: &Network, data: Option<&str>, file_bytes: Option<usize>) -> BuildReport {
        let (instances, misses) = self.instances();
        BuildReport {
            data: data.map(String::from),
            target_kind: Kind::of(target),
            target_widths: target.widths(),
            target_weights: target.weight_count(),
            bases: self.ticket.bases.clone(),
            pairs: self.meta.pairs.clone(),
            density: self.ticket.density(),
            kept_edges: self.ticket.kept_edges(),
            random_edges: self.ticket.random_edges(),
            block_edges: self.ticket.block_edges(),
            overparameterisation: self.overparameterisation(target),
            rfss_instances: instances,
            rfss_misses: misses,
            certificate: self.certificate.clone(),
            tight_certificate: self.tight.clone(),
            accepted_over_eps: self.over_eps,
            comparison: self.comparison.clone(),
            build_seconds: self.build_time.as_secs_f64(),
            sizing_seconds: self.plan_time.as_secs_f64(),
            certify_seconds: self.certify_time.as_secs_f64(),
            tight_seconds: self.tight_time.as_secs_f64(),
            eval_seconds: self.eval_time.as_secs_f64(),
            file_bytes,
            train_seconds: None,
            files: None,
        }
    }
}

/// The report of one build (`sslth build --json`, the demo's report.json).
#[derive(Clone, Debug, Serialize)]
pub struct BuildReport {
    /// The data set measured on, if any.
    pub data: Option<String>,
    /// The target's kind.
    pub target_kind: Kind,
    /// The target's widths (channels for CNN and set layers).
    pub target_widths: Vec<usize>,
    /// The target's weights (biases not counted).
    pub target_weights: usize,
    /// Each pair's basis.
    pub bases: Vec<BasisSpec>,
    /// Each pair's sizes as the ticket file records them.
    pub pairs: Vec<PairMeta>,
    /// Kept / random edges.
    pub density: f64,
    /// Edges kept.
    pub kept_edges: u64,
    /// Edges of the random network.
    pub random_edges: u64,
    /// Edges of the pairs' blocks alone.
    pub block_edges: u64,
    /// Random edges / target weights.
    pub overparameterisation: f64,
    /// RFSS instances solved.
    pub rfss_instances: u64,
    /// RFSS instances that missed their tolerance.
    pub rfss_misses: u64,
    /// The certified bound.
    pub certificate: Certificate,
    /// The tight bound over the data's box and its certified agreement
    /// (left out without data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tight_certificate: Option<TightCertificate>,
    /// The network tolerance exceeded, when the build accepted that.
    pub accepted_over_eps: Option<f64>,
    /// Target and ticket on the test rows, if measured.
    pub comparison: Option<Comparison>,
    /// Wall-clock seconds of the build (plan included).
    pub build_seconds: f64,
    /// Of them, sizing (every plan made).
    pub sizing_seconds: f64,
    /// Wall-clock seconds of the certificates.
    pub certify_seconds: f64,
    /// Of them, the tight certificate over the data's box (0 without data).
    pub tight_seconds: f64,
    /// Wall-clock seconds of the evaluation.
    pub eval_seconds: f64,
    /// Bytes of the ticket file written (left out when none was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_bytes: Option<usize>,
    /// Wall-clock seconds of training the target (the demo's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train_seconds: Option<f64>,
    /// Sizes of the files written (the demo's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<FileSizes>,
}

/// Bytes of the files the demo writes.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FileSizes {
    /// The target.
    pub target_bytes: usize,
    /// The full ticket.
    pub ticket_full_bytes: usize,
    /// The compact ticket.
    pub ticket_compact_bytes: usize,
}
