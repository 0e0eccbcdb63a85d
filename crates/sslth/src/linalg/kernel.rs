//! Dense products for the certificate: dot products of rows, taken four
//! rows by four rows, on all cores.
//!
//! Hand-rolled rather than taken from a BLAS-grade crate because a
//! certificate stored in a ticket file must come out bit for bit the same
//! whatever the thread count or machine: every entry here is one dot
//! product summed in one fixed order ([`dot`]'s), with no fused
//! multiply-add (Rust never contracts `a * b + c`), so a tile, a single
//! [`dot`], any tiling and any schedule give the same bits. Any order of
//! summation has the same γ_n error bound, which is all the certificate
//! uses. On x86-64 with AVX2 the same code is compiled a second time with
//! AVX2 enabled and chosen at run time; the operations, and so the
//! results, are the same, only the registers are wider.

use crate::simd::avx2_or_plain;
use rayon::prelude::*;

/// The width of the interleaved partial sums.
const LANES: usize = 4;
/// Rows per side of a tile.
const TILE: usize = 4;

/// Σ aᵢbᵢ over the common length: four interleaved partial sums ℓ₀…ℓ₃
/// (term i goes to ℓ_{i mod 4} while four whole terms remain), then
/// (ℓ₀ + ℓ₁) + (ℓ₂ + ℓ₃), then the remaining terms in order.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    tile::<1, 1>([a], [b])[0][0]
}

/// The R × C dot products of R rows of `a` with C rows of `b` (all of one
/// length), each summed exactly as [`dot`] sums it.
#[inline(always)]
fn tile<const R: usize, const C: usize>(a: [&[f64]; R], b: [&[f64]; C]) -> [[f64; C]; R] {
    let len = a.first().map_or(0, |r| r.len());
    let whole = len / LANES * LANES;
    let mut acc = [[[0.0f64; LANES]; C]; R];
    accumulate(a.map(|r| &r[..whole]), b.map(|r| &r[..whole]), &mut acc);
    std::array::from_fn(|i| std::array::from_fn(|j| finish(&acc[i][j], a[i], b[j], whole)))
}

/// The lanes of R × C dot products advanced over one stretch of their rows
/// (all of one length, a multiple of [`LANES`]): term t of the stretch goes
/// to lane t mod 4, in order, as [`tile`] sums a whole row. A dot product
/// summed stretch after stretch, in order, is summed exactly as in one go.
#[inline(always)]
fn accumulate<const R: usize, const C: usize>(a: [&[f64]; R], b: [&[f64]; C], acc: &mut [[[f64; LANES]; C]; R]) {
    let steps = a.first().map_or(0, |r| r.len()) / LANES;
    // Every row cut to the same whole number of lanes, so that the loop
    // needs no bounds check.
    let a = a.map(|r| &r[..steps * LANES]);
    let b = b.map(|r| &r[..steps * LANES]);
    // The partial sums in a local: through `acc` itself, the compiler
    // stores every one of them to memory on every step (so that a panic
    // would leave them written): the Gram matrices of a 1.2·10⁷-weight
    // certificate took 5.6 s that way, 4.1 s this way.
    let mut sums = *acc;
    for k in 0..steps {
        let xa: [[f64; LANES]; R] = std::array::from_fn(|i| a[i][k * LANES..][..LANES].try_into().unwrap());
        let xb: [[f64; LANES]; C] = std::array::from_fn(|j| b[j][k * LANES..][..LANES].try_into().unwrap());
        for i in 0..R {
            for j in 0..C {
                for l in 0..LANES {
                    sums[i][j][l] += xa[i][l] * xb[j][l];
                }
            }
        }
    }
    *acc = sums;
}

/// A dot product from its lanes (over the first `whole` terms):
/// (ℓ₀ + ℓ₁) + (ℓ₂ + ℓ₃), then the terms from `whole` on, in order.
#[inline(always)]
fn finish(s: &[f64; LANES], a: &[f64], b: &[f64], whole: usize) -> f64 {
    let mut out = (s[0] + s[1]) + (s[2] + s[3]);
    for t in whole..a.len() {
        out += a[t] * b[t];
    }
    out
}

/// [`tile`] for a full 4 × 4 tile, compiled with AVX2 when the machine has
/// it (same operations, same results; see the module docs).
fn tile4(a: [&[f64]; TILE], b: [&[f64]; TILE]) -> [[f64; TILE]; TILE] {
    avx2_or_plain!(fn(a: [&[f64]; TILE], b: [&[f64]; TILE]) -> [[f64; TILE]; TILE] { tile(a, b) })
}

/// The lanes of a full 4 × 4 tile.
type Lanes4 = [[[f64; LANES]; TILE]; TILE];

/// [`accumulate`] for a full 4 × 4 tile, compiled with AVX2 when the
/// machine has it (same operations, same results).
fn accumulate4(a: [&[f64]; TILE], b: [&[f64]; TILE], acc: &mut Lanes4) {
    // Two rows of `a` at a time: 8 partial sums, 2 + 4 inputs and a
    // product fit AVX2's 16 registers (4 × 4 would spill); each entry's
    // sum is the same whichever way the rows are grouped.
    avx2_or_plain!(fn(a: [&[f64]; TILE], b: [&[f64]; TILE], acc: &mut Lanes4) -> () {
        let (top, bottom) = acc.split_at_mut(2);
        accumulate::<2, TILE>([a[0], a[1]], b, top.try_into().unwrap());
        accumulate::<2, TILE>([a[2], a[3]], b, bottom.try_into().unwrap());
    })
}

/// The dot products of rows `ri` of `a` with rows `rj` of `b` (row-major,
/// each `len` long, only the first `upto` entries of each row used), as a
/// `ri.len() × rj.len()` block written through `put(i, j, value)`. Full
/// tiles go through [`tile4`], the edges through [`dot`]; both sum alike.
#[allow(clippy::too_many_arguments)]
fn block(
    a: &[f64],
    b: &[f64],
    len: usize,
    upto: usize,
    ri: std::ops::Range<usize>,
    rj: std::ops::Range<usize>,
    mut put: impl FnMut(usize, usize, f64),
) {
    fn row(m: &[f64], r: usize, len: usize, upto: usize) -> &[f64] {
        &m[r * len..r * len + upto]
    }
    let mut i = ri.start;
    while i < ri.end {
        let mut j = rj.start;
        while j < rj.end {
            if i + TILE <= ri.end && j + TILE <= rj.end {
                let t = tile4(
                    std::array::from_fn(|x| row(a, i + x, len, upto)),
                    std::array::from_fn(|y| row(b, j + y, len, upto)),
                );
                for (x, r) in t.iter().enumerate() {
                    for (y, &v) in r.iter().enumerate() {
                        put(i + x, j + y, v);
                    }
                }
            } else {
                for x in i..(i + TILE).min(ri.end) {
                    for y in j..(j + TILE).min(rj.end) {
                        put(x, y, dot(row(a, x, len, upto), row(b, y, len, upto)));
                    }
                }
            }
            j += TILE;
        }
        i += TILE;
    }
}

/// The Gram matrix of the `n` rows (each `len` long) of row-major `m`: the
/// symmetric n × n matrix of their dot products, M·Mᵀ, each summed exactly
/// as [`dot`] sums it. The upper triangle is computed into the result
/// itself and mirrored, so the result is exactly symmetric.
///
/// Blocked for the caches: a block of [`GRAM_BLOCK`] rows against another,
/// a stretch of [`GRAM_STRETCH`] terms at a time, every dot product's
/// lanes kept between stretches (so each is summed in its one order), so
/// that the rows a block reads stay in cache instead of streaming the
/// whole matrix from memory once per four rows. Row blocks are shared
/// among the cores.
pub fn gram(m: &[f64], n: usize, len: usize) -> Vec<f64> {
    assert_eq!(m.len(), n * len);
    let whole = len / LANES * LANES;
    let row = |r: usize| &m[r * len..(r + 1) * len];
    let tiles = GRAM_BLOCK / TILE;
    let mut out = vec![0.0; n * n];
    out.par_chunks_mut(GRAM_BLOCK * n.max(1)).enumerate().for_each(|(bi, strip)| {
        let (i0, i1) = (bi * GRAM_BLOCK, (bi * GRAM_BLOCK + GRAM_BLOCK).min(n));
        let mut acc: Vec<Lanes4> = vec![[[[0.0; LANES]; TILE]; TILE]; tiles * tiles];
        for j0 in (i0..n).step_by(GRAM_BLOCK) {
            let j1 = (j0 + GRAM_BLOCK).min(n);
            acc.iter_mut().for_each(|t| *t = [[[0.0; LANES]; TILE]; TILE]);
            for c0 in (0..whole).step_by(GRAM_STRETCH) {
                let c1 = (c0 + GRAM_STRETCH).min(whole);
                let part = |r: usize| &row(r)[c0..c1];
                for i in (i0..i1).step_by(TILE) {
                    // In the diagonal block, only the tiles on or above it.
                    for j in (if j0 == i0 { i } else { j0 }..j1).step_by(TILE) {
                        let t = &mut acc[(i - i0) / TILE * tiles + (j - j0) / TILE];
                        if i + TILE <= i1 && j + TILE <= j1 {
                            accumulate4(std::array::from_fn(|x| part(i + x)), std::array::from_fn(|y| part(j + y)), t);
                        } else {
                            for (x, lanes) in t.iter_mut().enumerate().take(i1 - i) {
                                for (y, l) in lanes.iter_mut().enumerate().take(j1 - j) {
                                    let mut one = [[*l]];
                                    accumulate([part(i + x)], [part(j + y)], &mut one);
                                    *l = one[0][0];
                                }
                            }
                        }
                    }
                }
            }
            for x in i0..i1 {
                for y in x.max(j0)..j1 {
                    let t = &acc[(x - i0) / TILE * tiles + (y - j0) / TILE];
                    strip[(x - i0) * n + y] = finish(&t[(x - i0) % TILE][(y - j0) % TILE], row(x), row(y), whole);
                }
            }
        }
    });
    for i in 0..n {
        for j in i + 1..n {
            out[j * n + i] = out[i * n + j];
        }
    }
    out
}

/// Rows per side of a block of [`gram`] (a multiple of [`TILE`]).
const GRAM_BLOCK: usize = 64;
/// Terms per stretch of [`gram`] (a multiple of [`LANES`]): two blocks of
/// rows of it, 256 KiB, stay in a core's cache.
const GRAM_STRETCH: usize = 256;

/// M·v for a row-major `rows × cols` matrix, each entry a [`dot`], rows
/// shared among the cores four at a time ([`tile`] of 4 × 1: four
/// independent sums, where one [`dot`] waits on each addition before the
/// next), in AVX2 when the machine has it (same operations, same bits).
pub fn matvec(m: &[f64], cols: usize, v: &[f64]) -> Vec<f64> {
    fn four(rows: [&[f64]; TILE], v: &[f64]) -> [f64; TILE] {
        avx2_or_plain!(fn(rows: [&[f64]; TILE], v: &[f64]) -> [f64; TILE] { tile(rows, [v]).map(|[x]| x) })
    }
    if cols == 0 {
        // Rows of no entries cannot be counted from `m`.
        return Vec::new();
    }
    m.par_chunks(TILE * cols)
        .flat_map_iter(|block| {
            let rows: Vec<&[f64]> = block.chunks_exact(cols).collect();
            match <[&[f64]; TILE]>::try_from(rows.as_slice()) {
                Ok(four_rows) => four(four_rows, v).to_vec(),
                Err(_) => rows.iter().map(|r| dot(r, v)).collect(),
            }
        })
        .collect()
}

/// Lower-triangular Cholesky factorization in place of the symmetric
/// positive definite `d × d` row-major `a` (only its lower triangle is
/// read; the factor L, A = L·Lᵀ, overwrites it and the strict upper
/// triangle is left as it was). Stops at the first pivot that is not
/// positive (or not a number), returning its column j: the matrix was not
/// found positive definite, and rows 0..=j then hold L's first j columns
/// (see [`negative_direction`]).
///
/// Left-looking by panels of 32 columns: a panel's entries first subtract
/// the dot products of their rows' earlier part (a tile product over all
/// rows below, on all cores), then the panel is finished column by column
/// (its diagonal block first, then every row below, on all cores). Each
/// entry L[i][j] = (A[i][j] − Σ_{k<j} L[i][k]·L[j][k]) / L[j][j] is thus
/// one sum in a fixed order whatever the thread count.
pub fn cholesky(a: &mut [f64], d: usize) -> Result<(), usize> {
    const PANEL: usize = 32;
    assert_eq!(a.len(), d * d);
    for j0 in (0..d).step_by(PANEL) {
        let j1 = (j0 + PANEL).min(d);
        // Every row i ≥ j0: A[i][j] −= Σ_{k<j0} L[i][k]·L[j][k], j in the
        // panel and j ≤ i.
        if j0 > 0 {
            let panel_rows: Vec<f64> = a[j0 * d..j1 * d].to_vec();
            a[j0 * d..].par_chunks_mut(TILE * d).enumerate().for_each(|(s, strip)| {
                let (i0, rows, width) = (j0 + s * TILE, strip.len() / d, j1 - j0);
                let mut sums = vec![0.0; rows * width];
                block(strip, &panel_rows, d, j0, 0..rows, 0..width, |x, y, v| sums[x * width + y] = v);
                for x in 0..rows {
                    for y in 0..width.min((i0 + x + 1).saturating_sub(j0)) {
                        strip[x * d + j0 + y] -= sums[x * width + y];
                    }
                }
            });
        }
        // The diagonal block, column by column.
        for j in j0..j1 {
            let mut p = a[j * d + j];
            for k in j0..j {
                p -= a[j * d + k] * a[j * d + k];
            }
            if p.is_nan() || p <= 0.0 {
                return Err(j);
            }
            a[j * d + j] = p.sqrt();
            for i in j + 1..j1 {
                let mut v = a[i * d + j];
                for k in j0..j {
                    v -= a[i * d + k] * a[j * d + k];
                }
                a[i * d + j] = v / a[j * d + j];
            }
        }
        // The rows below the panel.
        let (top, below) = a.split_at_mut(j1 * d);
        let diag = &top[j0 * d..];
        below.par_chunks_mut(d).for_each(|row| {
            for j in j0..j1 {
                let mut v = row[j];
                for k in j0..j {
                    v -= row[k] * diag[(j - j0) * d + k];
                }
                row[j] = v / diag[(j - j0) * d + j];
            }
        });
    }
    Ok(())
}

/// After [`cholesky`] stopped at column j of A: the vector
/// x = (−A₁₁⁻¹a, 1, 0, …), A₁₁ the leading j × j block and a the first j
/// entries of row j, for which xᵀAx is the failed pivot (≤ 0, exactly).
/// Row j of the factor holds w = L₁₁⁻¹a, so A₁₁⁻¹a = L₁₁⁻ᵀw, one back
/// substitution.
pub fn negative_direction(l: &[f64], d: usize, j: usize) -> Vec<f64> {
    let mut x = vec![0.0; d];
    x[j] = 1.0;
    for i in (0..j).rev() {
        let mut z = l[j * d + i];
        for k in i + 1..j {
            z -= l[k * d + i] * -x[k];
        }
        x[i] = -z / l[i * d + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::uniform_weight;

    fn random(len: usize, seed: u64) -> Vec<f64> {
        (0..len).map(|i| uniform_weight(seed, 0, i as u64)).collect()
    }

    #[test]
    fn tiles_sum_like_a_single_dot_and_gram_is_m_mt_and_matvec_is_m_v() {
        // Past one block of rows and one stretch of terms, with edges.
        for (n, len) in [(1, 1), (3, 7), (9, 13), (17, 64), (6, 3), (70, 515), (131, 258), (64, 1030)] {
            let m = random(n * len, n as u64);
            let g = gram(&m, n, len);
            // M·v four rows at a time, each entry summed as one dot.
            let v = random(len, 99);
            let mv = matvec(&m, len, &v);
            for (i, y) in mv.iter().enumerate() {
                assert_eq!(y.to_bits(), dot(&m[i * len..(i + 1) * len], &v).to_bits());
            }
            for i in 0..n {
                for j in 0..n {
                    let a = &m[i * len..(i + 1) * len];
                    let b = &m[j * len..(j + 1) * len];
                    // Bit for bit the same sum as one dot product.
                    assert_eq!(g[i * n + j].to_bits(), dot(a, b).to_bits());
                    // And the dot product is the dot product.
                    let plain: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
                    assert!((g[i * n + j] - plain).abs() <= 1e-12 * len as f64);
                }
            }
        }
    }

    #[test]
    fn cholesky_factors_positive_definite_matrices_and_refuses_others() {
        for d in [1, 5, 33, 70] {
            // A = B·Bᵀ + I is positive definite.
            let b = random(d * d, 7 + d as u64);
            let mut a = gram(&b, d, d);
            (0..d).for_each(|i| a[i * d + i] += 1.0);
            let orig = a.clone();
            assert!(cholesky(&mut a, d).is_ok(), "{d}");
            for i in 0..d {
                for j in 0..=i {
                    let llt: f64 = (0..=j).map(|k| a[i * d + k] * a[j * d + k]).sum();
                    assert!((llt - orig[i * d + j]).abs() < 1e-9 * d as f64, "{d}: ({i}, {j})");
                }
            }
            // A − 2·λ_max·I is not (λ_max ≤ the largest row sum of |A|).
            let big = (0..d).map(|i| (0..d).map(|j| orig[i * d + j].abs()).sum::<f64>()).fold(0.0, f64::max);
            let mut neg = orig.clone();
            (0..d).for_each(|i| neg[i * d + i] -= 2.0 * big);
            let j = cholesky(&mut neg, d).unwrap_err();
            // The direction it leaves has xᵀAx < 0.
            let x = negative_direction(&neg, d, j);
            let mut shifted = orig.clone();
            (0..d).for_each(|i| shifted[i * d + i] -= 2.0 * big);
            let ax = matvec(&shifted, d, &x);
            assert!(dot(&x, &ax) < 0.0, "{d}");
        }
        // [[1, 2], [2, 1]]: stops at column 1; x = (−2, 1), xᵀAx = −3.
        let mut m = vec![1.0, 2.0, 2.0, 1.0];
        assert_eq!(cholesky(&mut m, 2), Err(1));
        assert_eq!(negative_direction(&m, 2, 1), vec![-2.0, 1.0]);
    }
}
