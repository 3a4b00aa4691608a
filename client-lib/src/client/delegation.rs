//! Which delegated roles may speak for a target path (TUF specification
//! §5.6.7): shell-style path patterns, hash prefixes, succinct hash bins,
//! and the URL/file-name quoting of role names.
//!
//! tough's `PathPattern` compiles patterns with globset, whose `*` crosses
//! `/`; the specification (and python-tuf, the reference client) match each
//! `/`-separated segment on its own, so `*.md` matches `README.md` but not
//! `releases/README.md`. The matching here follows the specification.

use sha2::{Digest, Sha256};

/// Whether `target` matches the delegation pattern `pattern`: the same
/// number of `/`-separated segments, each matching by `fnmatch` rules
/// (`*`, `?`, `[...]`, `[!...]`; a wildcard never matches `/`).
pub fn path_matches(target: &str, pattern: &str) -> bool {
    let t: Vec<&str> = target.split('/').collect();
    let p: Vec<&str> = pattern.split('/').collect();
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| fnmatch(t, p))
}

/// Whether the sha256 of `target` (hex) starts with one of `prefixes`.
pub fn hash_prefix_matches(target: &str, prefixes: &[String]) -> bool {
    let digest = hex::encode(Sha256::digest(target.as_bytes()));
    prefixes.iter().any(|p| digest.starts_with(p.as_str()))
}

/// Case-sensitive shell pattern match of one path segment (Python's
/// `fnmatch.fnmatchcase`). Iterative with one backtrack point per `*`, so
/// a hostile pattern costs at most O(len(name) × len(pattern)).
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let n: Vec<char> = name.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < n.len() {
        if j < p.len() {
            match p[j] {
                '*' => {
                    star = Some((j, i));
                    j += 1;
                    continue;
                }
                '?' => {
                    i += 1;
                    j += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class_match(&p, j, n[i]) {
                        if matched {
                            i += 1;
                            j = next;
                            continue;
                        }
                    } else if n[i] == '[' {
                        // An unclosed `[` is a literal, as in Python.
                        i += 1;
                        j += 1;
                        continue;
                    }
                }
                c if c == n[i] => {
                    i += 1;
                    j += 1;
                    continue;
                }
                _ => {}
            }
        }
        // Mismatch: let the last `*` absorb one more character.
        match star {
            Some((sj, si)) => {
                star = Some((sj, si + 1));
                i = si + 1;
                j = sj + 1;
            }
            None => return false,
        }
    }
    p[j..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class starting at `p[start] == '['`. Returns
/// whether it matched and the index after the class, or `None` when the
/// class is not closed.
fn class_match(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut k = start + 1;
    let negate = matches!(p.get(k), Some('!'));
    if negate {
        k += 1;
    }
    let first = k;
    let mut matched = false;
    loop {
        let cur = *p.get(k)?;
        // `]` right after `[` or `[!` is a member, not the end.
        if cur == ']' && k > first {
            return Some((matched != negate, k + 1));
        }
        if p.get(k + 1) == Some(&'-') && p.get(k + 2).is_some_and(|&e| e != ']') {
            let hi = p[k + 2];
            if cur <= c && c <= hi {
                matched = true;
            }
            k += 3;
        } else {
            if cur == c {
                matched = true;
            }
            k += 1;
        }
    }
}

/// Succinct hash-bin delegation (TAP 15): `2^bit_length` roles named
/// `<prefix>-<bin in hex, zero-padded>`, one key set for all.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SuccinctRoles {
    /// Key ids trusted for every bin.
    pub keyids: Vec<String>,
    /// Signatures needed.
    pub threshold: u64,
    /// Number of leading bits of sha256(target path) that pick the bin.
    pub bit_length: u32,
    /// Role name prefix.
    pub name_prefix: String,
}

impl SuccinctRoles {
    /// The bit length within 1..=32, so no shift can overflow even if a
    /// caller skipped [`SuccinctRoles::valid`].
    fn bits(&self) -> u32 {
        self.bit_length.clamp(1, 32)
    }

    fn suffix_len(&self) -> usize {
        let max = (1u64 << self.bits()) - 1;
        format!("{max:x}").len()
    }

    /// Whether the bit length is one the specification allows (1..=32).
    pub fn valid(&self) -> bool {
        (1..=32).contains(&self.bit_length)
    }

    /// The bin role responsible for `target`.
    pub fn role_for(&self, target: &str) -> String {
        let digest = Sha256::digest(target.as_bytes());
        let first = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        let bin = u64::from(first) >> (32 - self.bits());
        format!(
            "{}-{:0width$x}",
            self.name_prefix,
            bin,
            width = self.suffix_len()
        )
    }

    /// Whether `name` is one of the bins.
    pub fn is_bin(&self, name: &str) -> bool {
        let Some(suffix) = name
            .strip_prefix(self.name_prefix.as_str())
            .and_then(|s| s.strip_prefix('-'))
        else {
            return false;
        };
        suffix.len() == self.suffix_len()
            && u64::from_str_radix(suffix, 16).is_ok_and(|b| b < (1u64 << self.bits()))
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (Python's
/// `urllib.parse.quote(name, safe="")`). A role name so quoted is one URL
/// path segment and one plain file name: `/`, `..`, `?` and `#` cannot
/// change which URL is asked for or which file is written.
pub fn quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_stay_within_a_segment() {
        assert!(path_matches("README.md", "*.md"));
        assert!(!path_matches("releases/README.md", "*.md"));
        assert!(path_matches("releases/x/x_v1", "releases/*/*"));
        assert!(path_matches("foo-1.tgz", "foo-?.tgz"));
        assert!(!path_matches("foo-alpha.tgz", "foo-?.tgz"));
        assert!(!path_matches("README.MD", "*.md"));
        assert!(path_matches("a/b", "*/*"));
        assert!(path_matches("x", "*"));
        assert!(!path_matches("a/x", "*"));
        assert!(fnmatch("b", "[abc]"));
        assert!(!fnmatch("b", "[!abc]"));
        assert!(fnmatch("q", "[a-z]"));
        assert!(fnmatch("[x", "[x"));
        assert!(fnmatch("abcabd", "*ab?"));
        assert!(!fnmatch("abc", "a*d"));
    }

    #[test]
    fn succinct_bins() {
        let s = SuccinctRoles {
            keyids: vec![],
            threshold: 1,
            bit_length: 8,
            name_prefix: "bin".into(),
        };
        let r = s.role_for("anything");
        assert!(s.is_bin(&r), "{r}");
        assert_eq!(r.len(), "bin-00".len());
        assert!(!s.is_bin("bin-100"));
        assert!(!s.is_bin("other-00"));
    }

    #[test]
    fn quoting_leaves_one_segment() {
        assert_eq!(quote("../delegatedrole"), "..%2Fdelegatedrole");
        assert_eq!(quote("?"), "%3F");
        assert_eq!(quote("#"), "%23");
        assert_eq!(quote("a b"), "a%20b");
    }
}
