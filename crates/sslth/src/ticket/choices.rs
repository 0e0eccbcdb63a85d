//! A constructed pair's kept edges as its RFSS choices rather than as
//! edges: the pair's `subset-ranks` stream (docs/FORMAT.md, "Subset
//! ranks"), about 15 bits per instance where its edges take 12 bytes each.
//! With the metadata and the seed the stream gives back every kept edge
//! and weight, which is how a build of 10⁸ target weights holds its ticket
//! in memory, and how its file is written.

/// The choices of one constructed pair: the `subset-ranks` stream of its
/// instances (in stream order: row, input channel, then side P, N), where
/// each row's codes start, and the hidden channels its B layer uses (A
/// keeps exactly these).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PairChoices {
    /// The stream: per instance a presence bit, then, if set, the colex
    /// rank of its subset in ⌈log2 C(m, κ)⌉ bits.
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
