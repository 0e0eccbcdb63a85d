//! A constructed pair's kept edges as its RFSS choices rather than as
//! edges: each instance's number (docs/FORMAT.md, "Subset ranks") in the
//! exponential-Golomb code of order 0, about 20 bits per instance where
//! its edges take 12 bytes each.
//! With the metadata and the seed the stream gives back every kept edge
//! and weight, which is how a build of 10⁸ target weights holds its ticket
//! in memory, and how its file is written.

/// The choices of one constructed pair: the stream of its instances'
/// numbers (in stream order: row, input channel, then side P, N), where
/// each row's codes start, and the hidden channels its B layer uses (A
/// keeps exactly these).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PairChoices {
    /// The stream: per instance 0 for no choice, else its subset's number
    /// plus 1, in the exponential-Golomb code of order 0 (a
    /// `subset-ranks-eg` stream of order 0 without its 6-bit order).
    pub ranks: Vec<u8>,
    /// Bit offset of each row's first code, and the stream's length last
    /// (rows + 1 entries).
    pub row_starts: Vec<u64>,
    /// Per hidden channel: whether some kept B edge reads it.
    pub used: Vec<bool>,
    /// Kept B edges.
    pub kept_b: u64,
}

impl PairChoices {
    /// Kept A edges: one per used hidden channel.
    pub fn kept_a(&self) -> u64 {
        self.used.iter().filter(|&&u| u).count() as u64
    }
}
