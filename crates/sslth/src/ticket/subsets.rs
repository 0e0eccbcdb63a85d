//! Subsets as numbers, for compact tickets (docs/FORMAT.md, "Subset
//! ranks"): a k-subset of {0, …, m − 1} is stored as its rank among the
//! C(m, k) subsets in the combinatorial number system (colex order),
//! rank = Σ_t C(c_t, t + 1) over its members c_0 < c_1 < … < c_{k−1}, in
//! exactly ⌈log2 C(m, k)⌉ bits. A bit stream packs the ranks.
//!
//! Hand-rolled: a few lines of binomials and bit packing; the crates that
//! do either bring big-integer arithmetic this never needs (every C(m, k)
//! used fits in u64, or the encoder does not use ranks).

/// C(m, k), or `None` if it does not fit in u64.
pub fn binomial(m: usize, k: usize) -> Option<u64> {
    if k > m {
        return Some(0);
    }
    let k = k.min(m - k);
    let mut c: u128 = 1;
    for t in 0..k {
        // c·(m − t)/(t + 1) is C(m, t + 1)·… exactly: C(m, t)·(m − t) is divisible by t + 1.
        c = c * (m - t) as u128 / (t + 1) as u128;
        if c > u64::MAX as u128 {
            return None;
        }
    }
    Some(c as u64)
}

/// Bits of v in the exponential-Golomb code of order g:
/// 2·⌊log2(v + 2^g)⌋ − g + 1.
pub fn exp_golomb_len(v: u64, g: u32) -> u64 {
    let x = u128::from(v) + (1u128 << g);
    u64::from(2 * (127 - x.leading_zeros()) - g + 1)
}

/// Bits to store a number below `count` (0 when there is one choice).
pub fn width(count: u64) -> u32 {
    if count <= 1 {
        0
    } else {
        64 - (count - 1).leading_zeros()
    }
}

/// The colex rank of the sorted, distinct members `c` (each < m, with
/// C(m, |c|) fitting in u64, which bounds every term).
pub fn rank(c: &[usize]) -> u64 {
    c.iter().enumerate().map(|(t, &ct)| binomial(ct, t + 1).expect("bounded by C(m, k)")).sum()
}

/// The k-subset of {0, …, m − 1} with colex rank `r` (< C(m, k)), sorted.
pub fn unrank(mut r: u64, m: usize, k: usize) -> Vec<usize> {
    let mut out = vec![0; k];
    let mut top = m;
    for t in (1..=k).rev() {
        // The largest c < top with C(c, t) ≤ r.
        let mut c = top - 1;
        while binomial(c, t).expect("bounded by C(m, k)") > r {
            c -= 1;
        }
        out[t - 1] = c;
        r -= binomial(c, t).expect("bounded");
        top = c;
    }
    out
}

/// C(c, t) for every c ≤ m and t ≤ k, from Pascal's rule (`None` where it
/// exceeds u64, as [`binomial`]): [`rank`] and [`unrank`] by table look-up,
/// for the 10⁸ instances of a large ticket (each [`binomial`] is a loop
/// of 128-bit divisions).
pub struct Binomials {
    k: usize,
    table: Vec<Option<u64>>,
}

impl Binomials {
    /// The table for sides of up to `m` samples and subsets of up to `k`.
    pub fn new(m: usize, k: usize) -> Binomials {
        let mut table: Vec<Option<u64>> = vec![Some(0); (m + 1) * (k + 1)];
        for c in 0..=m {
            table[c * (k + 1)] = Some(1);
            for t in 1..=k {
                table[c * (k + 1) + t] = match c {
                    0 => Some(0),
                    _ => table[(c - 1) * (k + 1) + t - 1]
                        .zip(table[(c - 1) * (k + 1) + t])
                        .and_then(|(a, b)| a.checked_add(b)),
                };
            }
        }
        Binomials { k, table }
    }

    /// C(c, t) (c ≤ m, t ≤ k of the table).
    pub fn get(&self, c: usize, t: usize) -> Option<u64> {
        self.table[c * (self.k + 1) + t]
    }

    /// [`rank`] of the sorted members `c`.
    pub fn rank(&self, c: &[usize]) -> u64 {
        c.iter().enumerate().map(|(t, &ct)| self.get(ct, t + 1).expect("bounded by C(m, k)")).sum()
    }

    /// [`unrank`]: the k-subset of {0, …, m − 1} with colex rank `r`, sorted.
    pub fn unrank(&self, mut r: u64, m: usize, k: usize) -> Vec<usize> {
        let mut out = vec![0; k];
        let mut top = m;
        for t in (1..=k).rev() {
            let mut c = top - 1;
            while self.get(c, t).expect("bounded by C(m, k)") > r {
                c -= 1;
            }
            out[t - 1] = c;
            r -= self.get(c, t).expect("bounded");
            top = c;
        }
        out
    }
}

/// Which of the subsets within tolerance an RFSS instance keeps, by
/// size (docs/THEORY.md §3.2, "Which size"); the same sizes, 1 to
/// min(2k, m), in another order of preference. The order also numbers
/// them in compact files (docs/FORMAT.md, "Subset ranks").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubsetOrder {
    /// The paper's fixed size: κ = min(k, m) first, then the smaller
    /// sizes κ − 1 down to 1, then the larger k + 1 up to min(2k, m) (a
    /// coefficient beyond what k products reach). What tickets built
    /// before the choice existed record by saying nothing.
    #[default]
    Fixed,
    /// The fewest edges: sizes 1, 2, … up to min(2k, m), the first that
    /// holds a subset within tolerance.
    Fewest,
}

impl SubsetOrder {
    /// Whether this is [`SubsetOrder::Fixed`] (what files leave unsaid).
    pub fn is_fixed(&self) -> bool {
        *self == SubsetOrder::Fixed
    }

    /// Its name in files and options: `fixed` or `fewest`.
    pub fn name(self) -> &'static str {
        match self {
            SubsetOrder::Fixed => "fixed",
            SubsetOrder::Fewest => "fewest",
        }
    }

    /// The name of a subset stream's encoding in a compact file
    /// (docs/FORMAT.md, "Subset ranks"): choices numbered in this order,
    /// in exponential-Golomb codes (`golomb`) or fixed width. `fewest` has
    /// names of its own, so that a reader that knows only the `fixed`
    /// numbering refuses it.
    pub fn encoding(self, golomb: bool) -> &'static str {
        match (self, golomb) {
            (SubsetOrder::Fixed, false) => "subset-ranks",
            (SubsetOrder::Fixed, true) => "subset-ranks-eg",
            (SubsetOrder::Fewest, false) => "fewest-ranks",
            (SubsetOrder::Fewest, true) => "fewest-ranks-eg",
        }
    }

    /// The order and code of a subset stream's encoding name
    /// ([`Self::encoding`]), if it is one.
    pub fn of_encoding(name: &str) -> Option<(SubsetOrder, bool)> {
        [
            (SubsetOrder::Fixed, false),
            (SubsetOrder::Fixed, true),
            (SubsetOrder::Fewest, false),
            (SubsetOrder::Fewest, true),
        ]
        .into_iter()
        .find(|&(order, golomb)| order.encoding(golomb) == name)
    }

    /// The order named `fixed` or `fewest`, or why a name is neither.
    pub fn parse(name: &str) -> Result<SubsetOrder, String> {
        match name {
            "fixed" => Ok(SubsetOrder::Fixed),
            "fewest" => Ok(SubsetOrder::Fewest),
            other => Err(format!("unknown subset order '{other}': give fixed or fewest")),
        }
    }

    /// The size in place t of the order, for subset size k on a side of
    /// m samples, if there are more than t.
    fn size_at(self, k: usize, m: usize, t: usize) -> Option<usize> {
        let (kk, largest) = (k.min(m), (2 * k).min(m));
        let s = match self {
            SubsetOrder::Fewest => t + 1,
            SubsetOrder::Fixed if t == 0 => kk,
            SubsetOrder::Fixed if t < kk => kk - t,
            SubsetOrder::Fixed => k + 1 + (t - kk),
        };
        (s <= largest && (s >= 1 || m == 0 && t == 0)).then_some(s)
    }
}

/// The subset sizes an instance of subset size k may keep on a side of m
/// samples, in `order`: every size from 1 to min(2k, m) (none but 0 on
/// an empty side).
pub fn sizes(order: SubsetOrder, k: usize, m: usize) -> impl Iterator<Item = usize> {
    (0..).map_while(move |t| order.size_at(k, m, t))
}

/// The largest size [`sizes`] gives for subset size k: what a
/// [`Binomials`] table must cover.
pub fn largest_size(k: usize) -> usize {
    2 * k
}

impl Binomials {
    /// The number of choices of an instance of subset size k on a side of
    /// m samples: Σ C(m, s) over [`sizes`], or `None` beyond u64.
    pub fn choices(&self, order: SubsetOrder, k: usize, m: usize) -> Option<u64> {
        sizes(order, k, m).try_fold(0u64, |total, s| total.checked_add(self.get(m, s)?))
    }

    /// The number of the sorted members `c` among the choices, numbered
    /// size after size in `order`: the choices of the sizes before |c|,
    /// plus c's colex rank (with [`SubsetOrder::Fixed`], a κ-subset's
    /// number is its colex rank, below C(m, κ)); `None` if |c| is not one
    /// of the sizes.
    pub fn number(&self, order: SubsetOrder, k: usize, m: usize, c: &[usize]) -> Option<u64> {
        let mut before = 0u64;
        for s in sizes(order, k, m) {
            if s == c.len() {
                return before.checked_add(self.rank(c));
            }
            before = before.checked_add(self.get(m, s)?)?;
        }
        None
    }

    /// The members (sorted) numbered `v` as [`Self::number`] numbers them,
    /// or `None` if v is beyond the choices.
    pub fn members(&self, order: SubsetOrder, k: usize, m: usize, mut v: u64) -> Option<Vec<usize>> {
        for s in sizes(order, k, m) {
            let count = self.get(m, s)?;
            if v < count {
                return Some(self.unrank(v, m, s));
            }
            v -= count;
        }
        None
    }
}

/// Writes numbers of given widths into bytes, least significant bit first.
#[derive(Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    bits: u64,
}

impl BitWriter {
    /// Appends the low `width` bits of `value` (a byte at a time: the
    /// stream of a large ticket holds 10⁸ codes).
    pub fn write(&mut self, value: u64, width: u32) {
        let mut v = if width >= 64 { value } else { value & ((1u64 << width) - 1) };
        let mut w = width.min(64);
        let used = (self.bits % 8) as u32;
        if used != 0 && w > 0 {
            // Fill the last byte's free high bits first.
            let take = (8 - used).min(w);
            *self.bytes.last_mut().expect("a partial byte") |= (v << used) as u8;
            v >>= take;
            w -= take;
            self.bits += u64::from(take);
        }
        while w > 0 {
            self.bytes.push(v as u8);
            let take = w.min(8);
            v >>= take;
            w -= take;
            self.bits += u64::from(take);
        }
    }

    /// Appends v in the exponential-Golomb code of order g (docs/FORMAT.md,
    /// "Subset ranks"): with x = v + 2^g and L = ⌊log2 x⌋, L − g zero bits,
    /// a one bit, then the low L bits of x. Small numbers cost few bits,
    /// and no number is out of range.
    pub fn write_exp_golomb(&mut self, v: u64, g: u32) {
        let x = u128::from(v) + (1u128 << g);
        let l = 127 - x.leading_zeros();
        self.write(0, l - g);
        self.write(1, 1);
        self.write((x - (1u128 << l)) as u64, l);
    }

    /// Bits written so far.
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// Appends everything `other` wrote.
    pub fn append(&mut self, other: &BitWriter) {
        let whole = (other.bits / 8) as usize;
        for &b in &other.bytes[..whole] {
            self.write(u64::from(b), 8);
        }
        if other.bits % 8 != 0 {
            self.write(u64::from(other.bytes[whole]), (other.bits % 8) as u32);
        }
    }

    /// The bytes (the last one padded with zero bits).
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads what a [`BitWriter`] wrote.
pub struct BitReader<'a> {
    bytes: &'a [u8],
    bits: u64,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, bits: 0 }
    }

    /// A reader at bit `bit` of `bytes`.
    pub fn at(bytes: &'a [u8], bit: u64) -> Self {
        BitReader { bytes, bits: bit }
    }

    /// The next `width` bits as a number, or an error at the end.
    pub fn read(&mut self, width: u32) -> Result<u64, String> {
        let end = self.bits + u64::from(width);
        if end.div_ceil(8) > self.bytes.len() as u64 {
            return Err("the subset stream ends early".into());
        }
        // A byte at a time, least significant bit first.
        let (mut v, mut got) = (0u64, 0u32);
        while got < width {
            let off = (self.bits % 8) as u32;
            let take = (8 - off).min(width - got);
            let chunk = (u64::from(self.bytes[(self.bits / 8) as usize]) >> off) & ((1u64 << take) - 1);
            v |= chunk << got;
            got += take;
            self.bits += u64::from(take);
        }
        Ok(v)
    }

    /// Reads a number written by [`BitWriter::write_exp_golomb`] with order g.
    pub fn read_exp_golomb(&mut self, g: u32) -> Result<u64, String> {
        let mut l = g;
        while self.read(1)? == 0 {
            l += 1;
            if l > 64 {
                return Err("an exponential-Golomb code longer than 64 bits".into());
            }
        }
        let x = (1u128 << l) + u128::from(self.read(l)?);
        u64::try_from(x - (1u128 << g)).map_err(|_| "an exponential-Golomb code beyond 64 bits".to_string())
    }

    /// Bits read so far (from the start of the bytes).
    pub fn position(&self) -> u64 {
        self.bits
    }

    /// Checks that only zero padding is left.
    pub fn finish(self) -> Result<(), String> {
        if self.bits.div_ceil(8) != self.bytes.len() as u64 {
            return Err("the subset stream has bytes left over".into());
        }
        let last = self.bytes.last().map_or(0, |&b| if self.bits % 8 == 0 { 0 } else { b >> (self.bits % 8) });
        if last != 0 {
            return Err("the subset stream has non-zero padding".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_byte_writer_writes_what_writing_bit_by_bit_writes() {
        // The reference: one bit at a time, LSB first (docs/FORMAT.md).
        let mut want: Vec<u8> = Vec::new();
        let mut bits = 0u64;
        let mut w = BitWriter::default();
        for t in 0..3000u64 {
            let width = (t * 7 % 65) as u32;
            let value = t.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (t << 40);
            w.write(value, width);
            for b in 0..width {
                if bits % 8 == 0 {
                    want.push(0);
                }
                if value >> b & 1 == 1 {
                    *want.last_mut().unwrap() |= 1 << (bits % 8);
                }
                bits += 1;
            }
        }
        assert_eq!(w.finish(), want);
    }

    /// Every k-subset of {0..m}, in colex order (by largest member, then
    /// the next, …).
    fn colex(m: usize, k: usize) -> Vec<Vec<usize>> {
        let mut all: Vec<Vec<usize>> = (0u32..1 << m)
            .filter(|s| s.count_ones() as usize == k)
            .map(|s| (0..m).filter(|&i| s >> i & 1 == 1).collect())
            .collect();
        all.sort_by(|a, b| a.iter().rev().cmp(b.iter().rev()));
        all
    }

    #[test]
    fn ranks_enumerate_the_subsets_in_colex_order() {
        for m in 0..=12 {
            for k in 0..=m {
                let all = colex(m, k);
                assert_eq!(all.len() as u64, binomial(m, k).unwrap(), "C({m}, {k})");
                for (r, s) in all.iter().enumerate() {
                    assert_eq!(rank(s), r as u64, "{s:?}");
                    assert_eq!(&unrank(r as u64, m, k), s);
                }
            }
        }
    }

    #[test]
    fn binomial_tables_agree_with_binomial_rank_and_unrank() {
        let table = Binomials::new(70, 40);
        for c in 0..=70 {
            for t in 0..=40 {
                assert_eq!(table.get(c, t), binomial(c, t), "C({c}, {t})");
            }
        }
        for (m, k) in [(9, 4), (24, 4), (40, 9), (70, 6)] {
            for r in (0..binomial(m, k).unwrap()).step_by(997) {
                let c = unrank(r, m, k);
                assert_eq!(table.unrank(r, m, k), c);
                assert_eq!(table.rank(&c), r);
            }
        }
    }

    #[test]
    fn binomials_and_widths() {
        assert_eq!(binomial(24, 4), Some(10_626));
        assert_eq!(width(10_626), 14);
        assert_eq!((width(0), width(1), width(2), width(3), width(4), width(5)), (0, 0, 1, 2, 2, 3));
        assert_eq!(binomial(66, 33), Some(7_219_428_434_016_265_740));
        assert_eq!(binomial(68, 34), None);
    }

    /// The textbook codes, in stream order: order 0 gives 1, 010, 011,
    /// 00100 for 0 … 3, order 2 gives 100, 111 and 01000 for 0, 3 and 4 (the
    /// remainder bits least significant first); a run of zeros past 64 is
    /// refused.
    #[test]
    fn exp_golomb_codes_are_the_standard_ones() {
        let bits = |v: u64, g: u32| {
            let mut w = BitWriter::default();
            w.write_exp_golomb(v, g);
            let n = exp_golomb_len(v, g);
            let bytes = w.finish();
            (0..n).map(|b| if bytes[(b / 8) as usize] >> (b % 8) & 1 == 1 { '1' } else { '0' }).collect::<String>()
        };
        assert_eq!([bits(0, 0), bits(1, 0), bits(2, 0), bits(3, 0)], ["1", "010", "011", "00100"]);
        assert_eq!([bits(0, 2), bits(3, 2), bits(4, 2)], ["100", "111", "01000"]);
        assert!(BitReader::new(&[0; 10]).read_exp_golomb(0).unwrap_err().contains("longer than 64"));
    }

    proptest! {
        /// Large subsets round-trip through rank and unrank, and the rank is
        /// below C(m, k).
        #[test]
        fn large_subsets_round_trip(m in 1usize..60, seed in any::<u64>(), kk in 0usize..60) {
            let k = kk % (m + 1);
            let mut pool: Vec<usize> = (0..m).collect();
            let mut s = seed;
            for i in (1..m).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                pool.swap(i, (s >> 33) as usize % (i + 1));
            }
            let mut c = pool[..k].to_vec();
            c.sort_unstable();
            let r = rank(&c);
            prop_assert!(r < binomial(m, k).unwrap());
            prop_assert_eq!(unrank(r, m, k), c);
        }

        /// Exponential-Golomb codes read back as written, at the length
        /// `exp_golomb_len` gives, among fixed-width numbers.
        #[test]
        fn exp_golomb_round_trips(values in proptest::collection::vec((any::<u64>(), 0u32..64, any::<bool>()), 0..40)) {
            let mut w = BitWriter::default();
            let mut len = 0;
            for &(v, g, small) in &values {
                let v = if small { v % 1000 } else { v };
                w.write_exp_golomb(v, g);
                w.write(v, 3);
                len += exp_golomb_len(v, g) + 3;
            }
            let bytes = w.finish();
            prop_assert_eq!(bytes.len() as u64, len.div_ceil(8));
            let mut r = BitReader::new(&bytes);
            for &(v, g, small) in &values {
                let v = if small { v % 1000 } else { v };
                prop_assert_eq!(r.read_exp_golomb(g).unwrap(), v);
                prop_assert_eq!(r.read(3).unwrap(), v & 7);
            }
            prop_assert!(r.finish().is_ok());
        }

        /// Numbers of mixed widths read back as written; leftovers are refused.
        #[test]
        fn bit_streams_round_trip(values in proptest::collection::vec((any::<u64>(), 0u32..=64), 0..40)) {
            let mut w = BitWriter::default();
            for &(v, width) in &values {
                w.write(v, width);
            }
            let bytes = w.finish();
            let mut r = BitReader::new(&bytes);
            for &(v, width) in &values {
                let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
                prop_assert_eq!(r.read(width).unwrap(), v & mask);
            }
            prop_assert!(r.finish().is_ok());
            let mut longer = bytes.clone();
            longer.push(1);
            let mut r = BitReader::new(&longer);
            for &(_, width) in &values {
                r.read(width).unwrap();
            }
            prop_assert!(r.finish().is_err());
        }
    }
}
