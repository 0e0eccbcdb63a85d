//! The IDX format MNIST and Fashion-MNIST ship in: a reader of its bytes
//! (gzipped or not) and of a data set's two parts in a folder.

use super::{DataError, Dataset, Split};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The IDX file `{stem}-idx{n}-ubyte` in `dir`, gzipped or not, or as
/// `{stem}.idx{n}-ubyte` (both namings are in use), if one exists.
pub(super) fn idx_file(dir: &Path, stem: &str, n: u8) -> Option<PathBuf> {
    ["-", "."]
        .iter()
        .flat_map(|sep| ["", ".gz"].map(|gz| dir.join(format!("{stem}{sep}idx{n}-ubyte{gz}"))))
        .find(|p| p.is_file())
}

/// One part (`train` or `t10k`) of an IDX data set in `dir`: 28×28
/// pixels scaled by 1/(255·28).
pub(super) fn idx_part(set: &'static str, dir: &Path, part: &str) -> Result<Dataset, DataError> {
    let find = |kind: &str, n: u8| {
        let stem = format!("{part}-{kind}");
        idx_file(dir, &stem, n).ok_or_else(|| {
            let want = dir.join(format!("{stem}-idx{n}-ubyte.gz"));
            DataError::Io(want, std::io::Error::from(std::io::ErrorKind::NotFound))
        })
    };
    let (images, labels) = (find("images", 3)?, find("labels", 1)?);
    let (px, shape) = read_idx(&images)?;
    let (lb, lshape) = read_idx(&labels)?;
    if shape.len() != 3 || lshape.len() != 1 || shape[0] != lshape[0] {
        return Err(DataError::Malformed(format!(
            "{} and {}: shapes {shape:?} and {lshape:?} are not N×H×W images with N labels",
            images.display(),
            labels.display()
        )));
    }
    Ok(Dataset::from_pixels(set, px, lb, [shape[1], shape[2]], 255.0))
}

/// Fashion-MNIST from `dir` (the Debian package's gzipped IDX files): the
/// standard 60,000/10,000 split, 28×28 pixels scaled by 1/(255·28).
pub fn fashion_mnist(dir: &Path) -> Result<Split, DataError> {
    super::DataSet::FashionMnist(Some(dir.to_path_buf())).load()
}

/// Reads an IDX file of unsigned bytes (gzipped if its name ends in `.gz`):
/// the data and the dimensions. Format: two zero bytes, type 0x08, the
/// number of dimensions, each dimension as a big-endian u32, then the data.
pub fn read_idx(path: &Path) -> Result<(Vec<u8>, Vec<usize>), DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::Io(path.to_path_buf(), e))?;
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::Malformed(format!("{}: not gzip data ({e})", path.display())))?;
        out
    } else {
        raw
    };
    parse_idx(&bytes).map_err(|m| DataError::Malformed(format!("{}: {m}", path.display())))
}

/// Parses IDX bytes (see [`read_idx`]).
pub fn parse_idx(bytes: &[u8]) -> Result<(Vec<u8>, Vec<usize>), String> {
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err("not an IDX file (bad magic number)".into());
    }
    if bytes[2] != 0x08 {
        return Err(format!("IDX element type 0x{:02x} is not supported (only unsigned bytes, 0x08)", bytes[2]));
    }
    let ndim = usize::from(bytes[3]);
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err("IDX header is truncated".into());
    }
    let dims: Vec<usize> =
        (0..ndim).map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize).collect();
    let count = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or("IDX dimensions overflow")?;
    if bytes.len() - header != count {
        return Err(format!("IDX data has {} bytes, dimensions {dims:?} need {count}", bytes.len() - header));
    }
    Ok((bytes[header..].to_vec(), dims))
}
