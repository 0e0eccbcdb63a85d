//! Spatial pooling as PyTorch computes it (`MaxPool2d`, `AvgPool2d`,
//! `AdaptiveMaxPool2d`, `AdaptiveAvgPool2d`), as a list of windows: output
//! point t takes the maximum or the average of the input points of its
//! window (docs/THEORY.md §4.4).

/// Maximum or average.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolKind {
    /// The largest value of the window (padding never wins: PyTorch pads
    /// with −∞).
    Max,
    /// The window's sum over its divisor.
    Avg,
}

/// How the windows are laid out (`[height, width]` pairs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "window", rename_all = "lowercase")]
pub enum Window {
    /// `MaxPool2d`/`AvgPool2d` (with `ceil_mode=False`).
    Fixed {
        /// Kernel size.
        kernel: [usize; 2],
        /// Stride.
        stride: [usize; 2],
        /// Padding on each side.
        padding: [usize; 2],
        /// Dilation (max pooling only; 1 for averages).
        dilation: [usize; 2],
        /// Averages: whether padded points count in the divisor
        /// (PyTorch's default).
        count_include_pad: bool,
    },
    /// `AdaptiveMaxPool2d`/`AdaptiveAvgPool2d`: window i of H' spans
    /// ⌊i·H/H'⌋ to ⌈(i+1)·H/H'⌉.
    Adaptive {
        /// The output size `[H', W']`.
        output: [usize; 2],
    },
}

/// A pooling layer as files record it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PoolSpec {
    /// Maximum or average.
    pub kind: PoolKind,
    /// The windows.
    #[serde(flatten)]
    pub window: Window,
    /// Input map height.
    pub height: usize,
    /// Input map width.
    pub width: usize,
}

impl PoolSpec {
    /// The output map `[H', W']` (`[0, 0]` for a spec [`Pool::new`]
    /// refuses), from the windows' count per dimension.
    pub fn output(&self) -> [usize; 2] {
        let count = |d: usize, size: usize| line(&self.window, d, size, self.kind).map_or(0, |w| w.len());
        [count(0, self.height), count(1, self.width)]
    }

    /// Whether a constant map comes out other than constant: an average
    /// whose divisor counts padded points.
    pub fn scales_constants(&self) -> bool {
        matches!(self.window, Window::Fixed { padding, count_include_pad: true, .. } if padding != [0, 0])
            && self.kind == PoolKind::Avg
    }
}

/// A pooling layer with its windows laid out.
#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    spec: PoolSpec,
    out: [usize; 2],
    /// Window t is `points[starts[t]..starts[t + 1]]`.
    starts: Vec<u32>,
    points: Vec<u32>,
    /// Per window, what its sum is divided by (averages).
    divisors: Vec<f32>,
}

/// The windows along one dimension: (first, end) input positions of
/// each and its divisor (padded positions counted when they count).
fn line(window: &Window, d: usize, size: usize, kind: PoolKind) -> Result<Vec<(usize, usize, usize)>, String> {
    match *window {
        Window::Fixed { kernel, stride, padding, dilation, count_include_pad } => {
            let (k, s, p, dil) = (kernel[d], stride[d], padding[d], dilation[d]);
            if k == 0 || s == 0 || dil == 0 {
                return Err("a pooling window needs a non-empty kernel, stride and dilation".into());
            }
            if 2 * p > k {
                return Err(format!("pooling padding {p} is more than half the kernel {k} (PyTorch refuses it)"));
            }
            if kind == PoolKind::Avg && dil != 1 {
                return Err("average pooling has no dilation".into());
            }
            let span = dil * (k - 1) + 1;
            if size + 2 * p < span {
                return Err(format!("a map of {size} padded by {p} is smaller than the pooling window {span}"));
            }
            let count = (size + 2 * p - span) / s + 1;
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                // Positions i·s + a·dil − p, a < k, inside the map (a
                // dilated window is its taps; kept as first..end with a
                // step, the step being `dil`).
                let first = (i * s) as isize - p as isize;
                let taps = (0..k).map(|a| first + (a * dil) as isize).filter(|&t| t >= 0 && t < size as isize);
                let inside: Vec<isize> = taps.collect();
                let (lo, hi) = (inside[0] as usize, *inside.last().unwrap() as usize + 1);
                out.push((lo, hi, if count_include_pad { k } else { inside.len() }));
            }
            Ok(out)
        }
        Window::Adaptive { output } => {
            let o = output[d];
            if o == 0 || o > size {
                return Err(format!("an adaptive pooling to {o} needs 1 ≤ {o} ≤ the map's {size}"));
            }
            let window = |i: usize| (i * size / o, ((i + 1) * size).div_ceil(o));
            Ok((0..o).map(|i| (window(i).0, window(i).1, window(i).1 - window(i).0)).collect())
        }
    }
}

impl Pool {
    /// The windows of a spec; refuses impossible ones.
    pub fn new(spec: PoolSpec) -> Result<Pool, String> {
        let rows = line(&spec.window, 0, spec.height, spec.kind)?;
        let cols = line(&spec.window, 1, spec.width, spec.kind)?;
        let step = match spec.window {
            Window::Fixed { dilation, .. } => dilation,
            Window::Adaptive { .. } => [1, 1],
        };
        let mut starts = vec![0u32];
        let mut points = Vec::new();
        let mut divisors = Vec::new();
        for &(r0, r1, rd) in &rows {
            for &(c0, c1, cd) in &cols {
                for r in (r0..r1).step_by(step[0]) {
                    for c in (c0..c1).step_by(step[1]) {
                        points.push((r * spec.width + c) as u32);
                    }
                }
                starts.push(points.len() as u32);
                divisors.push((rd * cd) as f32);
            }
        }
        Ok(Pool { spec, out: [rows.len(), cols.len()], starts, points, divisors })
    }

    /// The spec.
    pub fn spec(&self) -> PoolSpec {
        self.spec
    }

    /// Input points per channel.
    pub fn in_points(&self) -> usize {
        self.spec.height * self.spec.width
    }

    /// Output map `[H', W']`.
    pub fn output(&self) -> [usize; 2] {
        self.out
    }

    /// Output points per channel.
    pub fn out_points(&self) -> usize {
        self.out[0] * self.out[1]
    }

    /// Window t's input points and divisor.
    pub fn window(&self, t: usize) -> (&[u32], f32) {
        (&self.points[self.starts[t] as usize..self.starts[t + 1] as usize], self.divisors[t])
    }

    /// One channel's map pooled (`x` of [`Pool::in_points`] values).
    pub fn apply(&self, x: &[f32]) -> Vec<f32> {
        (0..self.out_points())
            .map(|t| {
                let (w, div) = self.window(t);
                match self.spec.kind {
                    PoolKind::Max => w.iter().map(|&i| x[i as usize]).fold(f32::NEG_INFINITY, f32::max),
                    PoolKind::Avg => w.iter().map(|&i| x[i as usize]).sum::<f32>() / div,
                }
            })
            .collect()
    }

    /// An upper bound on the layer's ℓ2 Lipschitz constant on one channel,
    /// which also bounds ‖pool(u)‖ by it times ‖u‖ (pooling maps 0 to 0):
    /// for a maximum, |max a − max b| ≤ max |a − b|, so the square root of
    /// the most windows any point belongs to; for an average, a linear
    /// map, the Schur bound √(max row sum · max column sum) on its
    /// non-negative matrix.
    pub fn lipschitz(&self) -> f64 {
        let mut cover = vec![0.0f64; self.in_points()];
        let mut rows = 0.0f64;
        for t in 0..self.out_points() {
            let (w, div) = self.window(t);
            let weight = match self.spec.kind {
                PoolKind::Max => 1.0,
                PoolKind::Avg => 1.0 / f64::from(div),
            };
            rows = rows.max(weight * w.len() as f64);
            for &i in w {
                cover[i as usize] += weight;
            }
        }
        let cols = cover.iter().copied().fold(0.0, f64::max);
        match self.spec.kind {
            PoolKind::Max => cols.sqrt(),
            PoolKind::Avg => (rows * cols).sqrt(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::uniform_weight;

    fn map(len: usize, seed: u64) -> Vec<f32> {
        (0..len).map(|i| uniform_weight(seed, 0, i as u64) as f32).collect()
    }

    /// PyTorch's pooling written out over a padded map (−∞ or 0 padding).
    fn reference(x: &[f32], spec: &PoolSpec) -> Vec<f32> {
        let (h, w) = (spec.height as isize, spec.width as isize);
        let at = |r: isize, c: isize| (r >= 0 && r < h && c >= 0 && c < w).then(|| x[(r * w + c) as usize]);
        match spec.window {
            Window::Fixed { kernel, stride, padding, dilation, count_include_pad } => {
                let out = |d: usize, n: isize| {
                    ((n + 2 * padding[d] as isize - (dilation[d] * (kernel[d] - 1) + 1) as isize) / stride[d] as isize
                        + 1) as usize
                };
                let (ho, wo) = (out(0, h), out(1, w));
                let mut y = Vec::new();
                for i in 0..ho {
                    for j in 0..wo {
                        let mut vals = Vec::new();
                        let mut pads = 0;
                        for a in 0..kernel[0] {
                            for b in 0..kernel[1] {
                                let r = (i * stride[0] + a * dilation[0]) as isize - padding[0] as isize;
                                let c = (j * stride[1] + b * dilation[1]) as isize - padding[1] as isize;
                                match at(r, c) {
                                    Some(v) => vals.push(v),
                                    None => pads += 1,
                                }
                            }
                        }
                        y.push(match spec.kind {
                            PoolKind::Max => vals.iter().copied().fold(f32::NEG_INFINITY, f32::max),
                            PoolKind::Avg => {
                                let div = if count_include_pad { vals.len() + pads } else { vals.len() };
                                vals.iter().sum::<f32>() / div as f32
                            }
                        });
                    }
                }
                y
            }
            Window::Adaptive { output } => {
                let mut y = Vec::new();
                for i in 0..output[0] {
                    for j in 0..output[1] {
                        let (r0, r1) = (i * spec.height / output[0], ((i + 1) * spec.height).div_ceil(output[0]));
                        let (c0, c1) = (j * spec.width / output[1], ((j + 1) * spec.width).div_ceil(output[1]));
                        let vals: Vec<f32> = (r0..r1)
                            .flat_map(|r| (c0..c1).map(move |c| (r, c)))
                            .map(|(r, c)| x[r * spec.width + c])
                            .collect();
                        y.push(match spec.kind {
                            PoolKind::Max => vals.iter().copied().fold(f32::NEG_INFINITY, f32::max),
                            PoolKind::Avg => vals.iter().sum::<f32>() / vals.len() as f32,
                        });
                    }
                }
                y
            }
        }
    }

    fn fixed(kernel: usize, stride: usize, padding: usize, dilation: usize, include: bool) -> Window {
        Window::Fixed {
            kernel: [kernel, kernel],
            stride: [stride, stride],
            padding: [padding, padding],
            dilation: [dilation, dilation],
            count_include_pad: include,
        }
    }

    #[test]
    fn windows_match_the_padded_reference_and_lipschitz_bounds_hold() {
        let windows = [
            fixed(2, 2, 0, 1, true),
            fixed(3, 2, 1, 1, true),
            fixed(3, 2, 1, 1, false),
            fixed(3, 1, 1, 1, true),
            Window::Adaptive { output: [3, 2] },
            Window::Adaptive { output: [1, 1] },
            Window::Adaptive { output: [7, 5] },
        ];
        for kind in [PoolKind::Max, PoolKind::Avg] {
            for window in
                windows.iter().copied().chain([fixed(2, 1, 1, 2, true)].into_iter().filter(|_| kind == PoolKind::Max))
            {
                let spec = PoolSpec { kind, window, height: 7, width: 5 };
                let pool = Pool::new(spec).unwrap();
                let x = map(35, 1);
                let (y, r) = (pool.apply(&x), reference(&x, &spec));
                assert_eq!(y.len(), r.len(), "{spec:?}");
                assert!(y.iter().zip(&r).all(|(a, b)| (a - b).abs() < 1e-6), "{spec:?}: {y:?} vs {r:?}");
                // ‖pool(a) − pool(b)‖ ≤ L·‖a − b‖ on random pairs.
                let l = pool.lipschitz();
                for s in 0..20 {
                    let (a, b) = (map(35, 10 + s), map(35, 40 + s));
                    let d: f64 = pool.apply(&a).iter().zip(pool.apply(&b)).map(|(p, q)| f64::from(p - q).powi(2)).sum();
                    let n: f64 = a.iter().zip(&b).map(|(p, q)| f64::from(p - q).powi(2)).sum();
                    assert!(d.sqrt() <= l * n.sqrt() * (1.0 + 1e-6), "{spec:?}");
                }
            }
        }
    }

    #[test]
    fn impossible_windows_are_refused() {
        let spec = |window| PoolSpec { kind: PoolKind::Max, window, height: 4, width: 4 };
        assert!(Pool::new(spec(fixed(2, 2, 2, 1, true))).unwrap_err().contains("more than half"));
        assert!(Pool::new(spec(Window::Adaptive { output: [5, 1] })).unwrap_err().contains("adaptive"));
        assert!(Pool::new(spec(fixed(9, 1, 0, 1, true))).unwrap_err().contains("smaller"));
    }
}
