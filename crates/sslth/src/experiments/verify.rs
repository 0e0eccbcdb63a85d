//! `sslth verify` as one call: a ticket file checked against its
//! regenerated random network and, given its target, its certificate
//! recomputed from the kept edges alone.

use crate::construction::certify_edges;
use crate::data::InputShape;
use crate::files::{read_ticket, target, verify, LoadedTicket, Verification};
use crate::net::BasisSpec;
use crate::ticket::TicketMeta;
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
}

impl VerifyReport {
    /// Whether everything checked holds: no mismatched weight, the density
    /// the metadata say, and (with a target) a recomputed certificate no
    /// larger than the recorded one (up to summation order).
    pub fn passed(&self) -> bool {
        let holds = match (self.recomputed_certificate, self.recorded_certificate) {
            (Some(b), Some(recorded)) => b <= recorded * (1.0 + 1e-9),
            _ => true,
        };
        self.verification.mismatches == 0 && self.verification.density_matches && holds
    }
}

/// The target's input layout as a ticket's metadata imply it (for targets
/// whose file records none).
fn input_shape(meta: &TicketMeta) -> Option<InputShape> {
    let channels = *meta.target_widths.first()?;
    match meta.basis(0) {
        BasisSpec::Conv2d { height, width, .. } => Some(InputShape::Image { channels, height, width }),
        BasisSpec::Deepsets => Some(InputShape::Set { features: channels, points: meta.points }),
        BasisSpec::Identity => None,
    }
}

/// The certificate recomputed from a ticket's kept edges against the
/// target in `target_path`, after checking that the ticket is one of it.
pub fn recertify(t: &LoadedTicket, target_path: &Path) -> Result<f64, String> {
    let (net, _) = target::load(target_path, input_shape(&t.meta)).map_err(|e| e.to_string())?;
    let cert =
        certify_edges(&net, &t.net, &t.meta).map_err(|e| format!("not a ticket of {}: {e}", target_path.display()))?;
    Ok(cert.bound)
}

/// Reads and verifies the ticket at `ticket_path`, and recomputes its
/// certificate against `target_path` if given (a ticket with no recorded
/// certificate, found by edge-popup, is refused then).
pub fn verify_file(ticket_path: &Path, target_path: Option<&Path>) -> Result<(LoadedTicket, VerifyReport), String> {
    let t = read_ticket(ticket_path).map_err(|e| e.to_string())?;
    let verification = verify(&t);
    let recomputed = match target_path {
        Some(p) => {
            t.meta.certified_error.ok_or_else(|| {
                format!(
                    "{} records no certificate: it was found by sslth popup, not constructed from a target",
                    ticket_path.display()
                )
            })?;
            Some(recertify(&t, p)?)
        }
        None => None,
    };
    let report =
        VerifyReport { verification, recomputed_certificate: recomputed, recorded_certificate: t.meta.certified_error };
    Ok((t, report))
}
