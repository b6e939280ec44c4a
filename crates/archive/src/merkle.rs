//! The RFC 6962 Merkle tree over the index lines (RFC 6962 §2.1, as Certificate Transparency,
//! Go's checksum database and Sigstore's Rekor use it): a leaf is SHA-256(0x00 || line), an
//! inner node SHA-256(0x01 || left || right), and a tree of n leaves splits at the largest
//! power of two below n. The empty tree's hash is SHA-256 of nothing.
//!
//! [`Frontier`] is the tree's right edge, the roots of its perfect subtrees from the largest
//! to the smallest (at most 64 hashes): enough to append a leaf and to compute the root, so an
//! appender never needs the lines before its own.
//!
//! [`consistency_proof`] and [`verify_consistency`] are RFC 9162 §2.1.4's proof that a tree
//! extends an older one: what a witness checks before it cosigns a checkpoint.
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

/// Why a consistency proof does not prove that one tree head extends another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// The new tree is smaller than the old one.
    Shrinks { old: u64, new: u64 },
    /// The proof has the wrong number of hashes for these sizes.
    Length { old: u64, new: u64, got: usize, want: usize },
    /// Equal sizes with different roots: two trees of one size.
    Fork { size: u64 },
    /// The proof does not lead to the old root.
    OldRoot { old: u64 },
    /// The proof does not lead to the new root.
    NewRoot { new: u64 },
}

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProofError::Shrinks { old, new } => {
                write!(f, "the new tree ({new} leaves) is smaller than the old one ({old}): a log only grows")
            }
            ProofError::Length { old, new, got, want } => {
                write!(f, "a consistency proof from {old} to {new} leaves has {want} hashes, this one has {got}")
            }
            ProofError::Fork { size } => write!(f, "two different roots for the same {size} leaves"),
            ProofError::OldRoot { old } => {
                write!(f, "the proof does not lead to the old root: the first {old} leaves are not the old tree")
            }
            ProofError::NewRoot { new } => {
                write!(f, "the proof does not lead to the new root: the {new} leaves do not extend the old tree")
            }
        }
    }
}

impl std::error::Error for ProofError {}

/// The consistency proof from the tree of the first `old` leaves to the tree of all
/// `leaves` (RFC 9162 §2.1.4.1 `PROOF(m, D[n])`; RFC 6962 §2.1.2): the hashes that let a
/// holder of the old root check that the new tree extends it. Empty when `old` is 0 or the
/// whole tree (the witness protocol's convention for 0). `old` beyond the tree is clamped.
pub fn consistency_proof(leaves: &[Hash], old: usize) -> Vec<Hash> {
    let mut proof = Vec::new();
    if old > 0 && old < leaves.len() {
        subproof(old, leaves, true, &mut proof);
    }
    proof
}

/// RFC 9162's `SUBPROOF(m, D[n], b)`, appended to `out`.
fn subproof(m: usize, leaves: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            out.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, out);
        out.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(root(&leaves[..k]));
    }
}

/// Checks a consistency proof that the tree of `new` leaves with root `new_root` extends
/// the tree of `old` leaves with root `old_root`, by the algorithm of RFC 9162 §2.1.4.2 (as
/// Go's `sumdb/tlog.CheckTree` and transparency-dev's `proof.VerifyConsistency` do). An old
/// tree of 0 leaves is extended by every tree, with an empty proof (C2SP tlog-witness).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    let length = |want: usize| ProofError::Length { old, new, got: proof.len(), want };
    if old > new {
        return Err(ProofError::Shrinks { old, new });
    }
    if old == 0 || old == new {
        if !proof.is_empty() {
            return Err(length(0));
        }
        if old == new && old_root != new_root {
            return Err(ProofError::Fork { size: new });
        }
        return Ok(());
    }
    // The proof's length is fixed by the sizes: the hashes of the inclusion path of leaf
    // old-1 in the new tree above the level where the old tree's last perfect subtree ends,
    // plus that subtree's root unless the old tree is a perfect one.
    let shift = old.trailing_zeros();
    let (f, l) = ((old - 1) >> shift, (new - 1) >> shift);
    let inner = (64 - (f ^ l).leading_zeros()) as usize;
    let border = (f >> inner).count_ones() as usize;
    let want = inner + border + usize::from(!old.is_power_of_two());
    if proof.len() != want {
        return Err(length(want));
    }
    // RFC 9162 §2.1.4.2, steps 1-7.
    let mut path: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(old_root);
    }
    path.extend(proof);
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*path[0], *path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(length(want));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(length(want));
    }
    if fr != *old_root {
        return Err(ProofError::OldRoot { old });
    }
    if sr != *new_root {
        return Err(ProofError::NewRoot { new });
    }
    Ok(())
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

    fn h(hex_text: &str) -> Hash {
        from_hex(hex_text).unwrap()
    }

    /// The consistency proofs of transparency-dev/merkle `proof/verify_test.go` (the CT
    /// reference vectors), over the leaves above: (old size, new size, proof).
    fn published_consistency_proofs() -> Vec<(usize, usize, Vec<Hash>)> {
        vec![
            (1, 1, vec![]),
            (
                1,
                8,
                vec![
                    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
                ],
            ),
            (
                6,
                8,
                vec![
                    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
            (
                2,
                5,
                vec![
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                ],
            ),
            (
                6,
                7,
                vec![
                    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                    h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
        ]
    }

    /// Every way the reference tests corrupt a good proof: other sizes, other roots, hashes
    /// added, removed or flipped. None of them may verify.
    fn corruptions(
        old: u64,
        new: u64,
        r1: Hash,
        r2: Hash,
        proof: &[Hash],
    ) -> Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> {
        let some = leaf_hash(b"some other hash");
        let mut out = vec![
            ("old - 1".to_owned(), old - 1, new, r1, r2, proof.to_vec()),
            ("old + 1".to_owned(), old + 1, new, r1, r2, proof.to_vec()),
            ("old ^ 2".to_owned(), old ^ 2, new, r1, r2, proof.to_vec()),
            ("new * 2".to_owned(), old, new * 2, r1, r2, proof.to_vec()),
            ("new / 2".to_owned(), old, new / 2, r1, r2, proof.to_vec()),
            ("wrong old root".to_owned(), old, new, some, r2, proof.to_vec()),
            ("wrong new root".to_owned(), old, new, r1, some, proof.to_vec()),
            ("swapped roots".to_owned(), old, new, r2, r1, proof.to_vec()),
            ("empty proof".to_owned(), old, new, r1, r2, vec![]),
            ("trailing old root".to_owned(), old, new, r1, r2, [proof, &[r1]].concat()),
            ("trailing new root".to_owned(), old, new, r1, r2, [proof, &[r2]].concat()),
            ("preceding old root".to_owned(), old, new, r1, r2, [&[r1], proof].concat()),
            ("preceding new root".to_owned(), old, new, r1, r2, [&[r2], proof].concat()),
            ("preceding proof[0]".to_owned(), old, new, r1, r2, [&proof[..1], proof].concat()),
            ("truncated".to_owned(), old, new, r1, r2, proof[..proof.len() - 1].to_vec()),
        ];
        for i in 0..proof.len() {
            let mut p = proof.to_vec();
            p[i][0] ^= 16;
            out.push((format!("proof[{i}] bit 4 flipped"), old, new, r1, r2, p));
        }
        out
    }

    #[test]
    fn consistency_proofs_match_the_published_vectors_and_their_corruptions_fail() {
        let leaves: Vec<Hash> = LEAVES.iter().map(|l| leaf_hash(&bytes(l))).collect();
        let roots: Vec<Hash> = ROOTS.iter().map(|r| h(r)).collect();
        for (old, new, want) in published_consistency_proofs() {
            assert_eq!(consistency_proof(&leaves[..new], old), want, "PROOF({old}, D[{new}])");
            let (r1, r2) = (roots[old], roots[new]);
            assert_eq!(verify_consistency(old as u64, new as u64, &r1, &r2, &want), Ok(()), "{old} -> {new}");
            if want.is_empty() {
                continue;
            }
            for (what, o, n, a, b, p) in corruptions(old as u64, new as u64, r1, r2, &want) {
                assert!(verify_consistency(o, n, &a, &b, &p).is_err(), "{old} -> {new}: {what} verified");
            }
        }
    }

    /// The edge cases of the reference tests: sizes 0 and equal sizes.
    #[test]
    fn trivial_consistency_needs_an_empty_proof_and_equal_roots_at_equal_sizes() {
        let (a, b, empty) = (leaf_hash(b"a"), leaf_hash(b"b"), h(ROOTS[0]));
        assert_eq!(verify_consistency(0, 0, &a, &a, &[]), Ok(()));
        assert_eq!(verify_consistency(0, 1, &a, &b, &[]), Ok(()));
        assert_eq!(verify_consistency(1, 1, &b, &b, &[]), Ok(()));
        assert_eq!(verify_consistency(0, 0, &a, &b, &[]), Err(ProofError::Fork { size: 0 }));
        assert_eq!(verify_consistency(1, 1, &a, &b, &[]), Err(ProofError::Fork { size: 1 }));
        assert_eq!(verify_consistency(1, 0, &a, &b, &[]), Err(ProofError::Shrinks { old: 1, new: 0 }));
        assert_eq!(verify_consistency(2, 1, &a, &b, &[]), Err(ProofError::Shrinks { old: 2, new: 1 }));
        assert!(matches!(verify_consistency(1, 2, &a, &b, &[]), Err(ProofError::Length { want: 1, got: 0, .. })));
        for (old, new) in [(0, 0), (0, 1), (1, 1)] {
            assert!(verify_consistency(old, new, &empty, &empty, &[empty]).is_err(), "{old} -> {new}");
        }
        assert!(consistency_proof(&[a, b], 0).is_empty());
        assert!(consistency_proof(&[a, b], 2).is_empty());
    }

    /// For every 1 <= m <= n <= 64: the proof made from the tree verifies; it fails with
    /// any of its hashes or either root changed, with a hash added or removed, and for the
    /// neighbouring sizes (with those sizes' own roots) unless it is also their proof.
    #[test]
    fn every_proof_up_to_64_leaves_verifies_and_nothing_else_does() {
        let leaves: Vec<Hash> = (0..64u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let roots: Vec<Hash> = (0..=64).map(|n| root(&leaves[..n])).collect();
        let proof = |m: usize, n: usize| consistency_proof(&leaves[..n], m);
        for n in 1..=64usize {
            for m in 1..=n {
                let p = proof(m, n);
                let (r1, r2) = (roots[m], roots[n]);
                let (mu, nu) = (m as u64, n as u64);
                assert_eq!(verify_consistency(mu, nu, &r1, &r2, &p), Ok(()), "{m} -> {n}");
                assert!(p.len() <= 2 * 6, "{m} -> {n}: {} hashes", p.len());
                let other = leaf_hash(b"other");
                assert!(verify_consistency(mu, nu, &other, &r2, &p).is_err(), "{m} -> {n}: old root");
                if m < n {
                    assert!(verify_consistency(mu, nu, &r1, &other, &p).is_err(), "{m} -> {n}: new root");
                    assert!(verify_consistency(mu, nu, &r1, &r2, &p[1..]).is_err(), "{m} -> {n}: shortened");
                    assert!(verify_consistency(mu, nu, &r1, &r2, &[&p[..], &[r1]].concat()).is_err());
                    for i in 0..p.len() {
                        let mut q = p.clone();
                        q[i][31] ^= 1;
                        assert!(verify_consistency(mu, nu, &r1, &r2, &q).is_err(), "{m} -> {n}: hash {i}");
                    }
                } else {
                    assert!(verify_consistency(mu, nu, &r1, &r2, &[r1]).is_err(), "{m} -> {n}: not empty");
                }
                let neighbours = [(m.wrapping_sub(1), n), (m + 1, n), (m, n - 1), (m, n + 1)];
                for (m2, n2) in neighbours.into_iter().filter(|&(a, b)| a >= 1 && a <= b && b <= 64) {
                    let ok = verify_consistency(m2 as u64, n2 as u64, &roots[m2], &roots[n2], &p).is_ok();
                    assert_eq!(ok, proof(m2, n2) == p, "the proof {m} -> {n} checked as {m2} -> {n2}");
                }
            }
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
