//! `sslth verify` as one call: a ticket file checked against its
//! regenerated random network and, given its target, its certificate
//! recomputed from the kept edges alone; given data too, the tight
//! certificate over the data's box, and an attack on it.

use crate::construction::certificate::{
    certify_layer, check_target, finish_certificate, target_norm, LayerCertificate,
};
use crate::construction::{
    as_pairs, augmented_layers, certify, certify_box, certify_rows, checked_approximations, LocalCertificates,
    TargetLayer, TightCertificate, DEFAULT_WALK_BUDGET,
};
use crate::data::Dataset;
use crate::experiments::attack::{attack, AttackConfig, AttackResult};
use crate::files::{
    header_metadata, read_ticket, target, verify, weights_digest, CompactStreams, LoadedTicket, PairVisitor, PairWalk,
    RowBlock, Verification, DIGEST_KEY,
};
use crate::ticket::TicketMeta;
use crate::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

/// What verifying a ticket found.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    /// The kept weights and density against the random network.
    #[serde(flatten)]
    pub verification: Verification,
    /// The certificate recomputed from the kept edges against the target.
    pub recomputed_certificate: Option<f64>,
    /// The certificate the file records.
    pub recorded_certificate: Option<f64>,
    /// Whether the weights the file gives (a compact file's regenerated
    /// from its seed, scales and masks) have the digest it records; `None`
    /// for a file that records none (written before digests).
    pub digest_matches: Option<bool>,
    /// The tight certificate recomputed from the kept edges over the
    /// data's box, with its certified agreement on the test rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tight_certificate: Option<TightCertificate>,
    /// What an attack on the tight certificate found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack: Option<AttackResult>,
    /// Certificates on a ball around each test row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_certificates: Option<LocalCertificates>,
    /// Whether everything checked holds ([`VerifyReport::holds`]).
    pub passed: bool,
}

impl VerifyReport {
    /// Whether everything checked holds: no mismatched weight, the density
    /// the metadata say, the recorded weights digest, (with a target) a
    /// recomputed certificate no larger than the recorded one (up to
    /// summation order), and (with an attack) no error found above the
    /// tight bound nor margin shift above the certificate's (up to
    /// [`crate::experiments::attack::ATTACK_SLACK`]).
    pub fn holds(&self) -> bool {
        let holds = match (self.recomputed_certificate, self.recorded_certificate) {
            (Some(b), Some(recorded)) => b <= recorded * (1.0 + 1e-9),
            _ => true,
        };
        let unbroken = match (&self.attack, &self.tight_certificate) {
            (Some(a), Some(t)) => a.within(t),
            _ => true,
        };
        self.verification.mismatches == 0
            && self.verification.density_matches
            && self.digest_matches != Some(false)
            && holds
            && unbroken
    }
}

/// What a ticket's kept edges certify against its target.
struct Recertified {
    ball: f64,
    tight: Option<TightCertificate>,
    attack: Option<AttackResult>,
    local: Option<LocalCertificates>,
}

/// What verifying does on the data beyond the tight certificate.
#[derive(Clone, Copy, Debug, Default)]
pub struct DataChecks {
    /// Attack the tight certificate.
    pub attack: Option<AttackConfig>,
    /// Certify the ℓ∞ ball of this radius (raw input units) around each
    /// test row ([`certify_rows`]).
    pub radius: Option<f64>,
    /// Certify only the first this many test rows' balls (default all).
    pub local_rows: Option<usize>,
    /// How much walking back the tight and local certificates may do
    /// (default [`DEFAULT_WALK_BUDGET`]).
    pub walk_budget: Option<u64>,
}

/// The certificate recomputed from a ticket's kept edges against the
/// target in `target_path`, after checking that the ticket is one of it;
/// with `data`, the tight certificate over its box too (with the certified
/// agreement on its rows), attacked and certified locally as `checks` say.
fn recertify(
    t: &LoadedTicket,
    target_path: &Path,
    data: Option<&Dataset>,
    checks: &DataChecks,
    go_on: &(dyn Fn() -> bool + Sync),
) -> Result<Recertified> {
    let (net, _) = target::load(target_path, None)?;
    let not_of = |e: String| Error::Invalid(format!("not a ticket of {}: {e}", target_path.display()));
    let approx = checked_approximations(&net, &t.net, &t.meta).map_err(not_of)?;
    let refs = as_pairs(&approx);
    let ball = certify(&net, t.meta.nonneg_input, &refs).map_err(Error::Unsupported)?.bound;
    let (mut tight, mut attacked, mut local) = (None, None, None);
    if let Some(d) = data {
        d.expect_dim(net.d_in(), "the target").map_err(Error::Argument)?;
        let budget = checks.walk_budget.unwrap_or(DEFAULT_WALK_BUDGET);
        let mut c = certify_box(&net, t.meta.nonneg_input, &refs, d.input_max, ball, budget).map_err(Error::Invalid)?;
        c.measure_agreement(&net.forward_batch(&d.inputs, d.len()), d.len());
        tight = Some(c);
        if let Some(cfg) = &checks.attack {
            attacked = Some(attack(&net, &t.net, d, cfg, go_on)?);
        }
        if let Some(r) = checks.radius {
            let first = checks.local_rows.map(|n| d.first(n));
            let d = first.as_ref().unwrap_or(d);
            let rows = certify_rows(&net, t.meta.nonneg_input, &refs, d, r, budget, go_on).map_err(Error::Argument)?;
            local = Some(rows.ok_or(Error::Interrupted)?);
        }
    }
    Ok(Recertified { ball, tight, attack: attacked, local })
}

/// Reads and verifies the ticket at `ticket_path`, and recomputes its
/// certificate against `target_path` if given (a ticket with no recorded
/// certificate, found by edge-popup, is refused then). With a target, the
/// tight certificate too over the box of the data named `data` (default:
/// the data the ticket records, if any), with the certified agreement on
/// its test rows, and what `checks` ask: an attack on it, which `go_on`
/// stops early by returning false (the best attack so far is reported),
/// and local certificates.
pub fn verify_file(
    ticket_path: &Path,
    target_path: Option<&Path>,
    data: Option<&str>,
    checks: &DataChecks,
    go_on: &(dyn Fn() -> bool + Sync),
) -> Result<(TicketMeta, VerifyReport)> {
    // A compact ticket of subset streams with nothing to measure on data
    // is read pair by pair, never holding its kept edges.
    if checks.attack.is_none() && checks.radius.is_none() {
        if let Some(streams) = CompactStreams::read(ticket_path)? {
            if data.or(streams.meta.data.as_deref()).is_none() || target_path.is_none() {
                return verify_streams(ticket_path, streams, target_path);
            }
        }
    }
    let t = read_ticket(ticket_path)?;
    let verification = verify(&t);
    let recorded = header_metadata(ticket_path).and_then(|m| m.get(DIGEST_KEY).cloned());
    let digest_matches = recorded.map(|d| d == weights_digest(&t.net));
    let name = data.or(t.meta.data.as_deref());
    if (checks.attack.is_some() || checks.radius.is_some()) && (name.is_none() || target_path.is_none()) {
        return Err(Error::Argument(
            "an attack or a `radius` needs the target (`target`) and data (`data`, or data the ticket records)".into(),
        ));
    }
    let test = match (name, target_path) {
        (Some(n), Some(_)) => Some(crate::data::load_test(n)?),
        _ => None,
    };
    let data = test.as_ref();
    let recertified = match target_path {
        Some(p) => {
            t.meta.certified_error.ok_or_else(|| {
                Error::Argument(format!(
                    "{} records no certificate: it was found by sslth popup, not constructed from a target",
                    ticket_path.display()
                ))
            })?;
            Some(recertify(&t, p, data, checks, go_on)?)
        }
        None => None,
    };
    let (ball, tight, attack, local) =
        recertified.map_or((None, None, None, None), |r| (Some(r.ball), r.tight, r.attack, r.local));
    let mut report = VerifyReport {
        verification,
        recomputed_certificate: ball,
        recorded_certificate: t.meta.certified_error,
        digest_matches,
        tight_certificate: tight,
        attack,
        local_certificates: local,
        passed: false,
    };
    report.passed = report.holds();
    Ok((t.meta, report))
}

/// [`verify_file`] of a compact ticket read as subset streams: the same
/// report (no tight certificate or attack: no data), computed pair by pair
/// and row block by row block. The certificate is recomputed from the
/// same kept edges in the same order as from a ticket read whole.
fn verify_streams(
    ticket_path: &Path,
    streams: CompactStreams,
    target_path: Option<&Path>,
) -> Result<(TicketMeta, VerifyReport)> {
    let meta = &streams.meta;
    if target_path.is_some() && meta.certified_error.is_none() {
        return Err(Error::Argument(format!(
            "{} records no certificate: it was found by sslth popup, not constructed from a target",
            ticket_path.display()
        )));
    }
    let target = match target_path {
        Some(p) => {
            let (net, _) = target::load(p, None)?;
            check_target(meta, &net).map_err(|e| Error::Invalid(format!("not a ticket of {}: {e}", p.display())))?;
            Some(net)
        }
        None => None,
    };
    let layers = target.as_ref().map(|net| augmented_layers(net, meta.nonneg_input)).transpose();
    let layers = layers.map_err(Error::Unsupported)?;
    let mut v = Recompute { layers: layers.as_deref(), kept: 0, pair: None, done: Vec::new() };
    let digest = streams.walk(&mut v, true).map_err(Error::Invalid)?.expect("a digest was asked for");
    // Every kept weight is regenerated from the seed (a compact file holds
    // none), so none can differ; the digest is what catches an edit.
    let verification = Verification::of_counts(meta, v.kept, 0, v.kept);
    let recomputed = target.as_ref().map(|net| finish_certificate(net, meta.nonneg_input, v.done).bound);
    let mut report = VerifyReport {
        verification,
        recomputed_certificate: recomputed,
        recorded_certificate: meta.certified_error,
        digest_matches: streams.recorded_digest.as_ref().map(|d| *d == digest),
        tight_certificate: None,
        attack: None,
        local_certificates: None,
        passed: false,
    };
    report.passed = report.holds();
    Ok((streams.meta, report))
}

/// The walk of [`verify_streams`]: kept edges counted and, with a target,
/// each pair's errors E± rebuilt row by row from its kept edges (exactly
/// as [`crate::construction::approximations`] and
/// [`crate::construction::TargetLayer::errors`] compute them) and the pair
/// certified when its rows end.
struct Recompute<'a> {
    layers: Option<&'a [TargetLayer]>,
    kept: u64,
    /// The current pair: its A weights, block size, ‖C‖ and errors so far.
    pair: Option<PairErrors>,
    done: Vec<LayerCertificate>,
}

struct PairErrors {
    a: Vec<f64>,
    two_n: usize,
    norm: f64,
    e_pos: Vec<f64>,
    e_neg: Vec<f64>,
}

impl PairVisitor for Recompute<'_> {
    fn pair(&mut self, i: usize, walk: &PairWalk<'_>) -> Result<(), String> {
        self.kept += walk.a.kept() as u64;
        if let Some(l) = self.layers.map(|l| &l[i]) {
            // ‖C‖ first, while no error matrix is held.
            let norm = target_norm(l);
            let size = l.coefficients.values.len();
            let negative = l.nonneg.iter().any(|&nn| !nn);
            self.pair = Some(PairErrors {
                a: walk.a_weights.to_vec(),
                two_n: walk.two_n,
                norm,
                e_pos: Vec::with_capacity(size),
                e_neg: if negative { Vec::with_capacity(size) } else { Vec::new() },
            });
        }
        Ok(())
    }

    fn rows(&mut self, i: usize, block: &RowBlock<'_>) {
        self.kept += block.iter().map(|(_, kept, _)| kept.len() as u64).sum::<u64>();
        let (Some(layers), Some(p)) = (self.layers, self.pair.as_mut()) else { return };
        let (l, p_ref) = (&layers[i], &*p);
        // Each row's errors on its own core, appended in row order.
        let errors: Vec<(Vec<f64>, Vec<f64>)> =
            (0..block.len()).into_par_iter().map(|t| p_ref.row_errors(l, block.start + t, block.row(t))).collect();
        for (pos, neg) in errors {
            p.e_pos.extend(pos);
            p.e_neg.extend(neg);
        }
    }

    fn end(&mut self, i: usize) -> Result<(), String> {
        if let (Some(layers), Some(p)) = (self.layers, self.pair.take()) {
            let rows = layers[i].coefficients.values.len();
            if p.e_pos.len() != rows {
                return Err(format!("pair {i}: {} error entries for {rows} coefficients", p.e_pos.len()));
            }
            let norm = p.norm;
            self.done.push(certify_layer(&layers[i], || norm, p.e_pos, p.e_neg));
        }
        Ok(())
    }
}

impl PairErrors {
    /// Row r's errors E+ and E- (E- empty when the pair keeps none) from
    /// its kept hidden channels and their B weights.
    fn row_errors(&self, l: &TargetLayer, r: usize, (kept, weights): (&[usize], &[f32])) -> (Vec<f64>, Vec<f64>) {
        let d_in = l.coefficients.d_in;
        let (mut pos, mut neg) = (vec![0.0f64; d_in], vec![0.0f64; d_in]);
        for (&h, &w) in kept.iter().zip(weights) {
            let (a, at) = (self.a[h], h / self.two_n);
            let term = a * f64::from(w);
            if a > 0.0 {
                pos[at] += term;
            } else if a < 0.0 {
                neg[at] += term;
            }
        }
        let c = &l.coefficients.values[r * d_in..(r + 1) * d_in];
        let e_pos = c.iter().zip(&pos).map(|(t, a)| t - a).collect();
        let e_neg = if self.e_neg.capacity() > 0 {
            c.iter().zip(&neg).enumerate().map(|(j, (t, a))| if l.nonneg[j] { 0.0 } else { t - a }).collect()
        } else {
            Vec::new()
        };
        (e_pos, e_neg)
    }
}
