//! The whole job for one target: plan, build, certify, measure (issue 4).

use crate::data::Dataset;
use crate::eval::{compare, Comparison};
use crate::model::Mlp;
use crate::sparse::SparseNet;
use crate::ticket::{build, plan, BuildConfig, Certificate, LayerPlan, Ticket, TicketMeta};
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
    /// Target and ticket on the test data.
    pub comparison: Comparison,
    /// What the ticket file records.
    pub meta: TicketMeta,
    /// Wall-clock time of building (plan included).
    pub build_time: Duration,
    /// Wall-clock time of the certificate.
    pub certify_time: Duration,
    /// Wall-clock time of the evaluation.
    pub eval_time: Duration,
}

/// Plans (see [`plan`]); `show_plan` sees the sizing before the build
/// starts, `progress` is called once per built row.
pub fn build_and_measure(
    mlp: &Mlp,
    cfg: &BuildConfig,
    test: &Dataset,
    show_plan: impl FnOnce(&[LayerPlan]),
    progress: &(dyn Fn() + Sync),
) -> Result<Built, String> {
    test.expect_dim(mlp.layers[0].d_in, "the target")?;
    let t0 = Instant::now();
    let plans = plan(mlp, cfg)?;
    show_plan(&plans);
    let ticket = build(mlp, &plans, cfg.seed, cfg.nonneg_input, progress);
    let build_time = t0.elapsed();
    let t1 = Instant::now();
    let certificate = ticket.certificate(mlp);
    let certify_time = t1.elapsed();
    let t2 = Instant::now();
    let net = ticket.to_sparse();
    let comparison = compare(mlp, &net, test);
    let eval_time = t2.elapsed();
    let meta = ticket.meta(mlp, certificate.bound, Some(test.scale));
    Ok(Built { plans, ticket, net, certificate, comparison, meta, build_time, certify_time, eval_time })
}

impl Built {
    /// Total RFSS instances and those that missed their tolerance.
    pub fn instances(&self) -> (u64, u64) {
        (self.ticket.pairs.iter().map(|p| p.instances).sum(), self.ticket.pairs.iter().map(|p| p.misses).sum())
    }

    /// Overparameterisation m/m_t: random edges over target weights.
    pub fn overparameterisation(&self, mlp: &Mlp) -> f64 {
        self.ticket.random_edges() as f64 / mlp.weight_count() as f64
    }
}
