//! The RFC 6962 Merkle tree over the index lines (RFC 6962 §2.1, as Certificate Transparency,
//! Go's checksum database and Sigstore's Rekor use it): a leaf is SHA-256(0x00 || line), an
//! inner node SHA-256(0x01 || left || right), and a tree of n leaves splits at the largest
//! power of two below n. The empty tree's hash is SHA-256 of nothing.
//!
//! [`Frontier`] is the tree's right edge, the roots of its perfect subtrees from the largest
//! to the smallest (at most 64 hashes): enough to append a leaf and to compute the root, so an
//! appender never needs the lines before its own.
//!
//! Written here rather than taken from a crate: the ones that exist (`tlog_tiles` among them)
//! are young 0.x releases that bring tens of thousands of lines of dependencies for what is a
//! hundred lines, tested below against the published RFC 6962 vectors.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The hash of a leaf: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an inner node: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the tree over `leaves` (leaf hashes), by the RFC's recursive definition.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The right edge of a tree: what appending and the root need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frontier {
    /// Leaves in the tree.
    pub size: u64,
    /// Roots of the perfect subtrees the tree decomposes into, largest (leftmost) first, one
    /// per bit set in `size`.
    #[serde(with = "hex_hashes")]
    pub hashes: Vec<Hash>,
}

impl Frontier {
    /// Appends a leaf (its hash).
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut s = self.size;
        while s & 1 == 1 {
            // The last perfect subtree has the new one's height: they merge.
            let left = self.hashes.pop().unwrap_or_default();
            h = node_hash(&left, &h);
            s >>= 1;
        }
        self.hashes.push(h);
        self.size += 1;
    }

    /// Whether the hashes fit the size (one per bit set): a stored frontier is checked before use.
    pub fn is_well_formed(&self) -> bool {
        self.hashes.len() == self.size.count_ones() as usize
    }

    /// The tree's root hash (RFC 6962's MTH of the leaves so far).
    pub fn root(&self) -> Hash {
        let mut it = self.hashes.iter().rev();
        let Some(last) = it.next() else { return Sha256::digest([]).into() };
        it.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

mod hex_hashes {
    use serde::{Deserialize as _, Deserializer, Serializer, de::Error as _};

    use super::Hash;

    pub fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(hashes.iter().map(super::hex))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|h| super::from_hex(h).ok_or_else(|| D::Error::custom(format!("{h:?} is not a sha256 in hex"))))
            .collect()
    }
}

/// Lowercase hex.
pub fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// A hash from 64 hex digits.
pub fn from_hex(text: &str) -> Option<Hash> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 6962 reference leaves and the root for each tree size 0..=8, as published by
    /// Certificate Transparency (transparency-dev/merkle `testonly/constants.go`).
    const LEAVES: [&str; 8] =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn bytes(h: &str) -> Vec<u8> {
        (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn roots_match_the_published_vectors() {
        let leaves: Vec<Hash> = LEAVES.iter().map(|l| leaf_hash(&bytes(l))).collect();
        let mut frontier = Frontier::default();
        assert_eq!(hex(&root(&[])), ROOTS[0]);
        assert_eq!(hex(&frontier.root()), ROOTS[0]);
        for n in 1..=8 {
            assert_eq!(hex(&root(&leaves[..n])), ROOTS[n], "recursive root of {n} leaves");
            frontier.push(leaves[n - 1]);
            assert_eq!(hex(&frontier.root()), ROOTS[n], "frontier root of {n} leaves");
            assert!(frontier.is_well_formed());
        }
    }

    #[test]
    fn the_frontier_agrees_with_the_recursive_root_at_every_size() {
        let leaves: Vec<Hash> = (0..300u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut frontier = Frontier::default();
        for n in 1..=leaves.len() {
            frontier.push(leaves[n - 1]);
            assert_eq!(frontier.root(), root(&leaves[..n]), "size {n}");
        }
        let json = serde_json::to_string(&frontier).unwrap();
        assert_eq!(serde_json::from_str::<Frontier>(&json).unwrap(), frontier);
    }

    #[test]
    fn the_split_is_the_largest_power_of_two_below_n() {
        for (n, k) in [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1000, 512)] {
            assert_eq!(split(n), k, "{n}");
        }
    }

    #[test]
    fn hex_round_trips_and_rejects_what_is_not_a_hash() {
        let h = leaf_hash(b"x");
        assert_eq!(from_hex(&hex(&h)), Some(h));
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex(&"g".repeat(64)), None);
        assert_eq!(from_hex(&"é".repeat(32)), None);
    }
}
