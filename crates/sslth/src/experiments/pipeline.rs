//! The whole job for one target: plan, build, certify, and measure when
//! data are at hand.

use crate::construction::{build, plan, BuildConfig, Certificate, LayerPlan, Ticket, Tolerance};
use crate::data::Dataset;
use crate::experiments::eval::{compare, Comparison};
use crate::net::Network;
use crate::ticket::SparseNet;
use crate::ticket::TicketMeta;
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
    /// Target and ticket on the test data, if data were given.
    pub comparison: Option<Comparison>,
    /// The requested network tolerance when the certificate exceeds it and
    /// the build accepted that ([`BuildConfig::accept_over_eps`]).
    pub over_eps: Option<f64>,
    /// What the ticket file records.
    pub meta: TicketMeta,
    /// Wall-clock time of building (plan included).
    pub build_time: Duration,
    /// Wall-clock time of the certificate.
    pub certify_time: Duration,
    /// Wall-clock time of the evaluation.
    pub eval_time: Duration,
}

/// Plans (see [`plan`]), builds, certifies, and compares the ticket with
/// the target on `test` when given; `input_scale` (raw input × scale =
/// network input) is recorded in the ticket. `show_plan` sees the sizing
/// before the build starts, `progress` is called once per built row.
///
/// With [`Tolerance::Network`]`(ε)`, a certificate above ε is an error
/// (nothing is returned to write) unless the configuration accepts it.
pub fn build_and_measure(
    net: &Network,
    cfg: &BuildConfig,
    test: Option<&Dataset>,
    input_scale: Option<f64>,
    show_plan: impl FnOnce(&[LayerPlan]),
    progress: &(dyn Fn() + Sync),
) -> Result<Built, String> {
    if let Some(t) = test {
        t.expect_dim(net.d_in(), "the target")?;
    }
    let t0 = Instant::now();
    let plans = plan(net, cfg)?;
    show_plan(&plans);
    let ticket = build(net, &plans, cfg.seed, cfg.nonneg_input, progress);
    let build_time = t0.elapsed();
    let t1 = Instant::now();
    let certificate = ticket.certificate(net)?;
    let certify_time = t1.elapsed();
    let mut over_eps = None;
    if let Tolerance::Network(e) = cfg.tolerance {
        if certificate.bound > e {
            if !cfg.accept_over_eps {
                return Err(format!(
                    "the certified error {:.4e} exceeds --eps {e}; nothing written (a finer sizing, or \
                     --accept-over-eps to keep this ticket)",
                    certificate.bound
                ));
            }
            over_eps = Some(e);
        }
    }
    let t2 = Instant::now();
    let sparse = ticket.to_sparse();
    let comparison = test.map(|t| compare(net, &sparse, t));
    let eval_time = t2.elapsed();
    let meta = ticket.meta(net, certificate.bound, input_scale, test.map(|t| t.name));
    Ok(Built {
        plans,
        ticket,
        net: sparse,
        certificate,
        comparison,
        over_eps,
        meta,
        build_time,
        certify_time,
        eval_time,
    })
}

impl Built {
    /// Total RFSS instances and those that missed their tolerance.
    pub fn instances(&self) -> (u64, u64) {
        (self.ticket.pairs.iter().map(|p| p.instances).sum(), self.ticket.pairs.iter().map(|p| p.misses).sum())
    }

    /// Overparameterisation m/m_t: random edges over target weights.
    pub fn overparameterisation(&self, target: &Network) -> f64 {
        self.ticket.random_edges() as f64 / target.weight_count() as f64
    }
}
