//! A ticket as a [`Network`] of masked dense layers: every random layer
//! with its pruned edges set to zero, over its own basis, and the fixed
//! operations between them. Its [`Network::architecture`] is then what a
//! PyTorch module of the same layer kinds needs (`Model.to_torch`,
//! docs/FORMAT.md "A ticket in PyTorch").
//!
//! The one operation a target does not have: with biases, a flatten of
//! the carried constant channel keeps one of its P equal values in the
//! ticket (docs/THEORY.md §4.4). Here the flatten keeps all P, and the next
//! layer reads the first with the ticket's weight and the others with
//! zeros: the same function as a plain flatten.

use super::sparse::SparseNet;
use crate::net::{Equivariant, FixedOp, Layer, Network, Pool, Saved};
use std::sync::Arc;

impl SparseNet {
    /// The ticket as a network of masked dense layers (see the module
    /// docs), taking the same inputs.
    pub fn to_network(&self) -> Result<Network, String> {
        let mut layers = Vec::new();
        let mut points = self.points;
        // Values of the carried constant a flatten left beyond the one the
        // ticket keeps, which the next layer reads with zero weights.
        let mut extra_constants = 0;
        // Both of those for the values set aside at residual forks.
        let mut saved = Saved::new();
        for (l, (layer, ops)) in self.layers.iter().zip(&self.ops).enumerate() {
            let basis = layer.basis.build()?;
            let c_out = layer.d_out / basis.size();
            let c_in = layer.d_in + extra_constants;
            // The constant's first value is the ticket's last column; the
            // extra ones come after it, with zero weights.
            let mut coefficients = vec![0.0f32; layer.d_out * c_in];
            for ((&r, &c), &v) in layer.rows.iter().zip(&layer.cols).zip(&layer.vals) {
                coefficients[r as usize * c_in + c as usize] = v;
            }
            let bias = layer.bias.clone();
            layers.push(Layer::Equivariant(Equivariant { basis: basis.clone(), c_in, c_out, coefficients, bias }));
            points = basis.out_points(points);
            extra_constants = 0;
            for op in ops {
                layers.push(match op {
                    FixedOp::Relu => Layer::Relu,
                    FixedOp::MeanPool => {
                        points = 1;
                        Layer::MeanPool
                    }
                    FixedOp::Pool(spec) => {
                        let pool = Pool::new(*spec)?;
                        points = pool.out_points();
                        Layer::Pool(Arc::new(pool))
                    }
                    FixedOp::Flatten => {
                        if self.carried && l + 1 < self.layers.len() {
                            extra_constants = points - 1;
                        }
                        points = 1;
                        Layer::Flatten
                    }
                    FixedOp::Fork | FixedOp::Swap | FixedOp::Add => {
                        let branch = op.branch().expect("a branch");
                        let mut cur = (points, extra_constants);
                        saved.run(branch, &mut cur, |_, _| {})?;
                        (points, extra_constants) = cur;
                        Layer::Branch(branch)
                    }
                });
            }
        }
        Ok(Network { layers, channels: self.layers[0].d_in, points: self.points })
    }
}
