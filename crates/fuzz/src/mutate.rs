//! The mutator: a seeded PRNG (SplitMix64, so a seed repeats a session exactly) and the edits
//! it makes to an input, one to four at a time.

/// SplitMix64: small, fast, and good enough to pick edits.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next_u64() % n as u64) as usize }
    }

    fn byte(&mut self) -> u8 {
        self.next_u64().to_le_bytes()[0]
    }
}

/// Inputs never grow past this many bytes (or twice the input, if that is more).
const MAX_LEN: usize = 64 * 1024;

/// Bytes that often matter to a parser, beside the dictionary's tokens.
const INTERESTING: &[u8] =
    &[0, b'\n', b'\r', b' ', b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'=', 0x7f, 0xc3, 0xff];

/// A mutation of `input`: one to four edits, drawn from bit flips, byte sets, byte inserts and
/// deletes, duplicated and truncated ranges, a splice with `other` (another corpus entry) and
/// tokens from `dictionary`.
pub fn mutate(input: &[u8], other: &[u8], dictionary: &[&[&str]], rng: &mut Rng) -> Vec<u8> {
    let mut out = input.to_vec();
    let cap = MAX_LEN.max(input.len() * 2);
    for _ in 0..1 + rng.below(4) {
        edit(&mut out, other, dictionary, rng);
        out.truncate(cap);
    }
    out
}

fn edit(out: &mut Vec<u8>, other: &[u8], dictionary: &[&[&str]], rng: &mut Rng) {
    let len = out.len();
    match rng.below(10) {
        // Flip one bit.
        0 if len > 0 => {
            let at = rng.below(len);
            out[at] ^= 1 << rng.below(8);
        }
        // Set a byte to a random or an interesting value.
        1 if len > 0 => {
            let at = rng.below(len);
            out[at] = if rng.below(2) == 0 { rng.byte() } else { INTERESTING[rng.below(INTERESTING.len())] };
        }
        // Insert a few bytes.
        2 => {
            let at = rng.below(len + 1);
            let bytes: Vec<u8> = (0..1 + rng.below(4)).map(|_| INTERESTING[rng.below(INTERESTING.len())]).collect();
            out.splice(at..at, bytes);
        }
        // Delete a range.
        3 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(32));
            out.drain(at..at + n);
        }
        // Duplicate a range in place.
        4 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(64));
            let copy = out[at..at + n].to_vec();
            let to = rng.below(len + 1);
            out.splice(to..to, copy);
        }
        // Truncate.
        5 if len > 0 => out.truncate(rng.below(len)),
        // Splice: a prefix of this input and a suffix of another.
        6 => {
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            out.truncate(cut);
            out.extend_from_slice(&other[from..]);
        }
        // Insert a dictionary token, or overwrite a range with one.
        7 | 8 => {
            let Some(token) = token(dictionary, rng) else { return };
            let at = rng.below(len + 1);
            let end = if rng.below(2) == 0 { at } else { (at + rng.below(16)).min(len) };
            out.splice(at..end, token.bytes());
        }
        // Repeat a token many times (deep nesting, long lines).
        _ => {
            let Some(token) = token(dictionary, rng) else { return };
            let at = rng.below(len + 1);
            let times = 1 + rng.below(256);
            out.splice(at..at, token.repeat(times).into_bytes());
        }
    }
}

fn token<'d>(dictionary: &[&[&'d str]], rng: &mut Rng) -> Option<&'d str> {
    let list = dictionary.get(rng.below(dictionary.len()))?;
    list.get(rng.below(list.len())).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_repeats_its_mutations_and_another_seed_differs() {
        let input = b"Feature: x\n  Scenario: y\n    Given z\n";
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..50).map(|_| mutate(input, b"other", &[&["Given "]], &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).iter().any(|m| m.as_slice() != input));
    }

    #[test]
    fn empty_inputs_and_an_empty_dictionary_are_fine() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            let m = mutate(b"", b"", &[], &mut rng);
            assert!(m.len() <= MAX_LEN);
        }
    }
}
