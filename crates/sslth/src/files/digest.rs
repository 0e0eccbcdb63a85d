//! The weights digest a ticket file records (docs/FORMAT.md, "Weights
//! digest"): what lets `verify` catch a wrong file without the target. A
//! compact file holds no weights, so a reader regenerates them from the
//! seed, the scales and the masks, and checking them against a second
//! regeneration proves nothing; the digest, written when the ticket was
//! built, changes if any of those was edited.
//!
//! FNV-1a (64 bits) over, for each runnable layer in order: its kept edge
//! count (u64), then every kept edge sorted by (row, column) as row (u32),
//! column (u32) and the weight's f32 bits (u32), then its bias values'
//! f32 bits, if it has a bias; every integer little-endian. Hand-rolled:
//! eight lines that an outside reader reimplements from the document
//! alone, and it guards against edits and mix-ups, not forgery.

use crate::ticket::{SparseLayer, SparseNet};

/// The metadata key.
pub const DIGEST_KEY: &str = "weights_digest";

/// FNV-1a, 64 bits.
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn eat(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// `fnv1a64:` and 16 hex digits.
    pub(crate) fn hex(&self) -> String {
        format!("fnv1a64:{:016x}", self.0)
    }
}

/// `fnv1a64:` and 16 hex digits, the digest of `net`'s kept weights.
pub fn weights_digest(net: &SparseNet) -> String {
    let mut fnv = Fnv::new();
    for layer in &net.layers {
        fnv.eat_layer(layer);
    }
    fnv.hex()
}

impl Fnv {
    /// One runnable layer: its kept edge count, its edges sorted by (row,
    /// column), then its bias.
    pub(crate) fn eat_layer(&mut self, layer: &SparseLayer) {
        let mut edges: Vec<(u32, u32, f32)> =
            layer.rows.iter().zip(&layer.cols).zip(&layer.vals).map(|((&r, &c), &v)| (r, c, v)).collect();
        // Layers keep their edges sorted (`SparseLayer`); sort only if not.
        if !edges.is_sorted_by_key(|e| (e.0, e.1)) {
            edges.sort_by_key(|e| (e.0, e.1));
        }
        self.eat(&(edges.len() as u64).to_le_bytes());
        for (r, c, v) in edges {
            self.eat_edge(r, c, v);
        }
        for v in layer.bias.iter().flatten() {
            self.eat(&v.to_bits().to_le_bytes());
        }
    }

    /// One kept edge: row, column, the weight's bits.
    pub(crate) fn eat_edge(&mut self, r: u32, c: u32, v: f32) {
        self.eat(&r.to_le_bytes());
        self.eat(&c.to_le_bytes());
        self.eat(&v.to_bits().to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::BasisSpec;
    use crate::ticket::SparseLayer;

    #[test]
    fn fnv1a_matches_its_published_vectors_and_ignores_edge_order() {
        // The FNV-1a 64 reference vectors.
        for (text, want) in
            [("", 0xcbf2_9ce4_8422_2325u64), ("a", 0xaf63_dc4c_8601_ec8c), ("foobar", 0x8594_4171_f739_67e8)]
        {
            let mut f = Fnv::new();
            f.eat(text.as_bytes());
            assert_eq!(f.0, want, "{text:?}");
        }
        // A layer with nothing kept: its count, eight zero bytes.
        let empty = SparseLayer {
            d_out: 1,
            d_in: 1,
            rows: vec![],
            cols: vec![],
            vals: vec![],
            bias: None,
            basis: BasisSpec::Identity,
        };
        let mut f = Fnv::new();
        f.eat(&[0; 8]);
        assert_eq!(weights_digest(&SparseNet::dense(vec![empty])), format!("fnv1a64:{:016x}", f.0));
        let one = |rows: Vec<u32>, cols: Vec<u32>, vals: Vec<f32>| {
            SparseNet::dense(vec![SparseLayer {
                d_out: 3,
                d_in: 3,
                rows,
                cols,
                vals,
                bias: Some(vec![0.5; 3]),
                basis: BasisSpec::Identity,
            }])
        };
        let a = one(vec![0, 2, 1], vec![1, 0, 2], vec![0.25, -1.0, 3.0]);
        let b = one(vec![1, 0, 2], vec![2, 1, 0], vec![3.0, 0.25, -1.0]);
        assert_eq!(weights_digest(&a), weights_digest(&b));
        let c = one(vec![0, 2, 1], vec![1, 0, 2], vec![0.25, -1.0, 3.0000002]);
        assert_ne!(weights_digest(&a), weights_digest(&c));
    }
}
