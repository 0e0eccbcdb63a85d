//! A target or a ticket, whichever a file holds: what `sslth eval` and
//! `sslth predict` run.

use super::safetensors::{format_error, ModelError};
use super::streams::CompactStreams;
use super::target::TargetInfo;
use super::ticket_read::{self, LoadedTicket};
use crate::data::InputShape;
use crate::net::Network;
use crate::net::{BasisSpec, ConvGeometry};
use crate::ticket::TicketMeta;
use std::borrow::Cow;
use std::path::Path;

/// A network read from a file, ready to run.
#[derive(Debug)]
pub enum Runnable {
    /// A target, as typed layers, and what its file says about its data.
    Target(Network, TargetInfo),
    /// A full or compact ticket.
    Ticket(Box<LoadedTicket>),
    /// A dense compact ticket of subset streams, run without holding its
    /// kept edges (`sslth build --compact` writes these).
    Streamed(Box<CompactStreams>),
}

/// The data set a target or ticket file records, read from its header
/// alone (a target's `data` key, a ticket's `sslth` metadata), so that the
/// data can be loaded before the model (a CNN or set target needs its
/// input layout).
pub fn recorded_data(path: &Path) -> Option<String> {
    let md = super::safetensors::header_metadata(path)?;
    if let Some(d) = md.get("data") {
        return Some(d.clone());
    }
    let meta: crate::ticket::TicketMeta = serde_json::from_str(md.get("sslth")?).ok()?;
    meta.data
}

impl Runnable {
    /// Reads a ticket (recognised by its metadata) or else a target;
    /// `shape` sizes a convolutional or set target whose file records no
    /// input layout. A dense compact ticket of subset streams stays
    /// streamed ([`Runnable::Streamed`]).
    pub fn load(path: &Path, shape: Option<InputShape>) -> Result<Runnable, ModelError> {
        if ticket_read::is_ticket(path) {
            if let Some(s) = CompactStreams::read_dense(path)? {
                return Ok(Runnable::Streamed(Box::new(s)));
            }
            Ok(Runnable::Ticket(Box::new(ticket_read::read(path)?)))
        } else {
            let (net, info) = crate::files::target::load(path, shape)?;
            Ok(Runnable::Target(net, info))
        }
    }

    /// [`Runnable::load`] from a file's bytes, named `name` in errors (a
    /// compact ticket is read whole, its kept edges regenerated).
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Runnable, ModelError> {
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| format_error(bytes, name, e))?;
        let format = header.metadata().as_ref().and_then(|m| m.get("format").cloned()).unwrap_or_default();
        if format.starts_with("sslth-ticket") {
            Ok(Runnable::Ticket(Box::new(ticket_read::read_bytes(bytes, name)?)))
        } else {
            let (net, info) = crate::files::target::load_bytes(bytes, name, None)?;
            Ok(Runnable::Target(net, info))
        }
    }

    /// Input width.
    pub fn d_in(&self) -> usize {
        match self {
            Runnable::Target(n, _) => n.d_in(),
            Runnable::Ticket(t) => t.net.d_in(),
            Runnable::Streamed(s) => s.d_in(),
        }
    }

    /// Outputs for a batch (row-major `rows × d_in`), row-major; errors
    /// only on a streamed ticket's stream that does not fit its metadata.
    pub fn forward_batch(&self, inputs: &[f32], rows: usize) -> Result<Vec<f32>, String> {
        match self {
            Runnable::Target(n, _) => Ok(n.forward_batch(inputs, rows)),
            Runnable::Ticket(t) => Ok(t.net.forward_batch(inputs, rows)),
            Runnable::Streamed(s) => s.forward_batch(inputs, rows),
        }
    }

    /// The ticket's metadata, if a ticket.
    pub fn meta(&self) -> Option<&TicketMeta> {
        match self {
            Runnable::Target(..) => None,
            Runnable::Ticket(t) => Some(&t.meta),
            Runnable::Streamed(s) => Some(&s.meta),
        }
    }

    /// The ticket with its kept edges in memory (a streamed one read
    /// whole), or an error for a target.
    pub fn ticket(&self) -> Result<Cow<'_, LoadedTicket>, String> {
        match self {
            Runnable::Target(..) => Err("a target, not a ticket".into()),
            Runnable::Ticket(t) => Ok(Cow::Borrowed(t)),
            Runnable::Streamed(s) => s.to_ticket().map(Cow::Owned),
        }
    }

    /// Raw input × this = network input, if the file records it.
    pub fn input_scale(&self) -> Option<f64> {
        match self {
            Runnable::Target(_, info) => info.input_scale,
            Runnable::Ticket(t) => t.meta.input_scale,
            Runnable::Streamed(s) => s.meta.input_scale,
        }
    }

    /// The first layer's basis and input channels.
    fn first_layer(&self) -> (BasisSpec, usize) {
        match self {
            Runnable::Target(n, _) => match n.layers.first() {
                Some(crate::net::Layer::Equivariant(l)) => (l.basis.spec(), l.c_in),
                _ => (BasisSpec::Identity, n.d_in()),
            },
            Runnable::Ticket(t) => (t.meta.basis(0), t.net.layers[0].d_in),
            Runnable::Streamed(s) => (s.meta.basis(0), s.d_in()),
        }
    }

    /// The features per point of a set network (its first layer is a
    /// DeepSets layer), or `None`.
    pub fn set_features(&self) -> Option<usize> {
        match self.first_layer() {
            (BasisSpec::Deepsets, c) => Some(c),
            _ => None,
        }
    }

    /// The image layout `[C, H, W]` of a convolutional network, or `None`.
    pub fn image_shape(&self) -> Option<[usize; 3]> {
        if let Runnable::Target(n, _) = self {
            return match n.input_shape() {
                Some(crate::data::InputShape::Image { channels, height, width }) => Some([channels, height, width]),
                _ => None,
            };
        }
        match self.first_layer() {
            (BasisSpec::Conv2d { height, width, .. } | BasisSpec::Conv(ConvGeometry { height, width, .. }), c) => {
                Some([c, height, width])
            }
            _ => None,
        }
    }

    /// Points per input channel.
    fn points(&self) -> usize {
        match self {
            Runnable::Target(n, _) => n.points,
            Runnable::Ticket(t) => t.net.points,
            Runnable::Streamed(_) => 1,
        }
    }

    /// The set network run on sets of `points` elements instead of the
    /// size it was built for (its layers act on sets of any size). A copy:
    /// set networks are small (their layers share weights over the points),
    /// and the model itself stays untouched, so that calls from several
    /// threads can share it.
    /// `None` for a streamed ticket: dense, never a set network.
    fn with_points(&self, points: usize) -> Option<Runnable> {
        match self {
            Runnable::Target(n, info) => Some(Runnable::Target(Network { points, ..n.clone() }, info.clone())),
            Runnable::Ticket(t) => {
                let mut t = t.clone();
                t.net.points = points;
                Some(Runnable::Ticket(t))
            }
            Runnable::Streamed(_) => None,
        }
    }

    /// `target`, `ticket` or `compact ticket`.
    pub fn kind(&self) -> &'static str {
        match self {
            Runnable::Target(..) => "target",
            Runnable::Ticket(t) if t.compact => "compact ticket",
            Runnable::Ticket(_) => "ticket",
            Runnable::Streamed(_) => "compact ticket",
        }
    }

    /// Outputs for `rows` inputs of shape `inner` each (row-major, flat in
    /// `data`), as a caller holds them: a row of `d_in` values (a CNN's C×H×W
    /// image flattened), a CNN's `[C, H, W]` image, or a set network's
    /// `[N, features]` points of any set size N (PyTorch's layout,
    /// transposed here to the channel-major rows the network takes); any
    /// other shape is refused, even one with `d_in` values. Raw inputs are multiplied by the file's
    /// `input_scale` unless `scaled`. Errors name the inputs `input` and
    /// the network `model`. Returns the logits, `[rows, classes]` row-major.
    pub fn predict(
        &self,
        data: &[f32],
        rows: usize,
        inner: &[usize],
        scaled: bool,
        (input, model): (&str, &str),
    ) -> Result<Vec<f32>, String> {
        if rows == 0 {
            return Err(format!("{input} has no rows"));
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(format!("{input} has a non-finite value ({}) in row {}", data[i], i / (data.len() / rows)));
        }
        match (self.set_features(), inner) {
            (Some(f), &[n, ff]) if ff == f => {
                let mut t = vec![0.0f32; data.len()];
                for (r, row) in data.chunks_exact(n * f).enumerate() {
                    for (p, point) in row.chunks_exact(f).enumerate() {
                        for (c, &v) in point.iter().enumerate() {
                            t[r * n * f + c * n + p] = v;
                        }
                    }
                }
                let resized = (n != self.points()).then(|| self.with_points(n)).flatten();
                let net = resized.as_ref().unwrap_or(self);
                net.predict_rows(&t, rows, scaled, (input, model))
            }
            (Some(f), &[_, ff]) => Err(format!("{input} has sets of {ff} features but {model} takes {f}")),
            (_, &[_]) => self.predict_rows(data, rows, scaled, (input, model)),
            (None, &[c, h, w]) if self.image_shape() == Some([c, h, w]) => {
                self.predict_rows(data, rows, scaled, (input, model))
            }
            _ => {
                let takes = match (self.set_features(), self.image_shape()) {
                    (Some(f), _) => format!("sets [rows, N, {f}] or rows of {} values", self.d_in()),
                    (_, Some([c, h, w])) => format!("images [rows, {c}, {h}, {w}] or rows of {} values", self.d_in()),
                    _ => format!("rows of {} values", self.d_in()),
                };
                Err(format!("{input} has examples shaped {inner:?} but {model} takes {takes}"))
            }
        }
    }

    /// [`Runnable::predict`] on channel-major rows.
    fn predict_rows(
        &self,
        data: &[f32],
        rows: usize,
        scaled: bool,
        (input, model): (&str, &str),
    ) -> Result<Vec<f32>, String> {
        let cols = data.len() / rows;
        let d_in = self.d_in();
        if cols != d_in {
            return Err(format!("{input} has {cols} values per row but {model} takes {d_in} inputs"));
        }
        match self.input_scale().filter(|_| !scaled) {
            Some(s) => {
                let inputs: Vec<f32> = data.iter().map(|&v| (f64::from(v) * s) as f32).collect();
                self.forward_batch(&inputs, rows)
            }
            // Already scaled: run on the caller's values, not a copy.
            None => self.forward_batch(data, rows),
        }
    }
}
