//! NumPy `.npy` arrays in and out, for `sslth predict`: float32 or
//! float64, little-endian, C order, one row per example (a row may itself
//! be 2-D or 3-D: sets `[N, F]`, images `[C, H, W]`).
//!
//! Hand-rolled: the format is a fixed preamble and a three-key header
//! (`descr`, `fortran_order`, `shape`); the `npyz` crate would bring a
//! Python-literal parser (pest) and a C build (stacker) to read it.

/// A row-major matrix read from a `.npy` file.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    /// Rows (examples).
    pub rows: usize,
    /// Columns (features).
    pub cols: usize,
    /// `rows × cols` values, row-major.
    pub data: Vec<f32>,
    /// The shape of one row in the file: `[cols]` for a 2-D array, e.g.
    /// `[N, F]` for a 3-D array of sets or `[C, H, W]` of images (their
    /// values flattened in C order into the row).
    pub inner: Vec<usize>,
}

/// The value of `key` in an npy header dict, as its raw text (up to the
/// next top-level comma or brace).
fn header_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') { rest.find(')')? + 1 } else { rest.find([',', '}'])? };
    Some(rest[..end].trim())
}

/// Parses `.npy` bytes into a matrix of f32 (float64 values are rounded to
/// f32). A 1-D array is one row. `name` labels the errors, each one line.
pub fn parse(bytes: &[u8], name: &str) -> Result<Matrix, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(format!("{name} is not a .npy file (bad magic string)"));
    }
    let (hlen, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, 12),
        v => return Err(format!("{name}: .npy format version {v} is not supported")),
    };
    let header = bytes
        .get(start..start + hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| format!("{name}: truncated or non-text .npy header"))?;
    let descr = header_value(header, "descr").ok_or_else(|| format!("{name}: .npy header has no descr"))?;
    let width = match descr.trim_matches(|c| c == '\'' || c == '"') {
        "<f4" => 4,
        "<f8" => 8,
        "|O" => {
            return Err(format!(
                "{name} holds Python objects (ragged rows or sets?): every row needs the same shape, \
                 e.g. sets as one float array [rows, N, features]"
            ))
        }
        other => {
            return Err(format!("{name} has dtype {other:?}; expected little-endian float32 (<f4) or float64 (<f8)"))
        }
    };
    if header_value(header, "fortran_order") != Some("False") {
        return Err(format!("{name} is in Fortran order; save it in C order (np.ascontiguousarray)"));
    }
    let shape_text = header_value(header, "shape").ok_or_else(|| format!("{name}: .npy header has no shape"))?;
    let dims: Vec<usize> = shape_text
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| format!("{name}: bad shape {shape_text:?}")))
        .collect::<Result<_, _>>()?;
    let (rows, inner) = match &dims[..] {
        [] => return Err(format!("{name} has shape {shape_text:?}; expected [rows, …] or one row (1-D)")),
        [c] => (1, vec![*c]),
        [r, rest @ ..] if rest.len() <= 3 => (*r, rest.to_vec()),
        _ => return Err(format!("{name} has shape {shape_text:?}; expected at most 4 dimensions")),
    };
    let cols = inner.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or(format!("{name}: shape overflows"))?;
    let body = &bytes[start + hlen..];
    let need = rows.checked_mul(cols).and_then(|n| n.checked_mul(width)).ok_or(format!("{name}: shape overflows"))?;
    if body.len() != need {
        return Err(format!("{name}: shape {shape_text:?} needs {need} bytes of data, the file has {}", body.len()));
    }
    let data: Vec<f32> = if width == 4 {
        body.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
    } else {
        body.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32).collect()
    };
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        return Err(format!("{name}: row {}, column {} is not a finite number", i / cols.max(1), i % cols.max(1)));
    }
    Ok(Matrix { rows, cols, data, inner })
}

/// Reads a `.npy` file (see [`parse`]).
pub fn read(path: &std::path::Path) -> Result<Matrix, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&bytes, &path.display().to_string())
}

/// The bytes of a float32 `.npy` file (format 1.0) of shape `[rows, inner…]`
/// (`[rows, cols]` for 2-D rows).
pub fn to_bytes(m: &Matrix) -> Vec<u8> {
    let dims: Vec<String> = std::iter::once(m.rows).chain(m.inner.iter().copied()).map(|d| d.to_string()).collect();
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims.join(", "));
    // Preamble (10 bytes) + header + newline is a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend(m.data.iter().flat_map(|v| v.to_le_bytes()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes as numpy 1.26 writes `np.save(f, np.array([[1.5, -2], [0, 3]]))`
    /// (float64), typed out from its documented layout.
    fn numpy_f64() -> Vec<u8> {
        let mut h = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }".to_string();
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        for v in [1.5f64, -2.0, 0.0, 3.0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b
    }

    #[test]
    fn reads_float64_and_round_trips_float32() {
        let m = parse(&numpy_f64(), "x.npy").unwrap();
        assert_eq!((m.rows, m.cols, m.data.clone()), (2, 2, vec![1.5, -2.0, 0.0, 3.0]));
        let bytes = to_bytes(&m);
        assert_eq!((bytes.len() - 4 * 4) % 64, 0, "preamble and header padded to 64 bytes");
        assert_eq!(parse(&bytes, "y.npy").unwrap(), m);
        let row = to_bytes(&Matrix { rows: 1, cols: 3, data: vec![1.0, 2.0, 3.0], inner: vec![3] });
        assert_eq!(parse(&row, "r").unwrap().cols, 3);
    }

    proptest::proptest! {
        /// Any bytes, and any corruption of a valid file: an error or a
        /// matrix, never a panic.
        #[test]
        fn hostile_bytes_never_panic(junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
                                     at in 0usize..200, byte in proptest::prelude::any::<u8>()) {
            let _ = parse(&junk, "x.npy");
            let mut good = numpy_f64();
            let i = at % good.len();
            good[i] = byte;
            if let Ok(m) = parse(&good, "x.npy") {
                proptest::prop_assert_eq!(m.data.len(), m.rows * m.cols);
            }
            good.truncate(at % good.len());
            let _ = parse(&good, "x.npy");
        }
    }

    #[test]
    fn bad_files_are_one_line_errors() {
        let mut short = numpy_f64();
        short.truncate(short.len() - 8);
        let cases: Vec<(Vec<u8>, &str)> =
            vec![(b"junk".to_vec(), "not a .npy"), (short, "needs 32 bytes of data, the file has 24")];
        for (bytes, needle) in &cases {
            let e = parse(bytes, "x.npy").unwrap_err();
            assert!(e.contains(needle) && !e.contains('\n'), "{e}");
        }
        let mut ints = numpy_f64();
        let at = ints.windows(3).position(|w| w == b"<f8").unwrap();
        ints[at..at + 3].copy_from_slice(b"<i8");
        assert!(parse(&ints, "x.npy").unwrap_err().contains("dtype \"<i8\""));
        let mut fortran = numpy_f64();
        let at = fortran.windows(5).position(|w| w == b"False").unwrap();
        fortran[at..at + 5].copy_from_slice(b"True ");
        assert!(parse(&fortran, "x.npy").unwrap_err().contains("Fortran"));
        let mut nan = numpy_f64();
        let n = nan.len();
        nan[n - 8..].copy_from_slice(&f64::NAN.to_le_bytes());
        assert!(parse(&nan, "x.npy").unwrap_err().contains("row 1, column 1"));
    }
}
