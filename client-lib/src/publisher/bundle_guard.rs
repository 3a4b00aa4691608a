//! Keeps secrets out of what gets published.
//!
//! A project kept inside its own build output (`dist/release/tufa.toml`,
//! `dist/release/keys/*.pem`) would ship its private keys in the next
//! archive, and a keys folder inside the repository would be uploaded with
//! it. Both are refused here, naming the path, before anything is built.

use super::project::{KeyLocation, Project};
use crate::archive::{BundleEntry, BundleListing};
use crate::error::IoContext;
use crate::patch::sha256_hex;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Key files larger than this are no key files of ours (PEM and tufup keys
/// are a few hundred bytes); they are not compared by content.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// `path` made absolute with every link resolved, also when its last parts
/// do not exist yet (a keys folder of a keyring project).
fn resolve(path: &Path) -> PathBuf {
    resolve_links(path, 0)
}

fn resolve_links(path: &Path, depth: u32) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut rest = Vec::new();
    let mut existing = absolute.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return normalize(&out);
        }
        // A link whose target does not exist yet (`repository -> keys`
        // before init creates keys/) still points where it points.
        let dangling = std::fs::symlink_metadata(existing)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if dangling && depth < 40 {
            if let (Ok(target), Some(parent)) = (std::fs::read_link(existing), existing.parent()) {
                let mut next = parent.join(target);
                for part in rest.iter().rev() {
                    next.push(part);
                }
                return resolve_links(&next, depth + 1);
            }
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return normalize(&absolute),
        }
    }
}

/// Removes `.` and folds `..` lexically (for the parts that do not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Key files of the project: (name, path).
fn key_files(dir: &Path, project: &Project) -> Vec<(String, PathBuf)> {
    project
        .keys
        .iter()
        .filter_map(|(name, cfg)| match &cfg.location {
            KeyLocation::File(p) | KeyLocation::Tufup(p) => Some((name.clone(), dir.join(p))),
            _ => None,
        })
        .collect()
}

/// Refuses a project whose keys would be published with its repository:
/// the keys folder, or any key file, inside the repository (or the
/// repository inside the keys folder).
pub(crate) fn check_layout(dir: &Path, project: &Project) -> Result<()> {
    let repo = resolve(&project.repo_path(dir));
    let keys = resolve(&dir.join(&project.keys_dir));
    if keys.starts_with(&repo) || repo.starts_with(&keys) {
        return Err(Error::KeysInsideRepository {
            keys: dir.join(&project.keys_dir),
            repo: project.repo_path(dir),
        });
    }
    for (_, file) in key_files(dir, project) {
        if resolve(&file).starts_with(&repo) {
            return Err(Error::KeysInsideRepository {
                keys: file,
                repo: project.repo_path(dir),
            });
        }
    }
    Ok(())
}

/// Refuses a bundle that contains the project folder, its keys folder, its
/// repository, a key file of the project or a copy of one (same bytes), or
/// that lies inside the keys folder or the repository. `bundle` is the
/// folder that `listing` was made from.
pub(crate) fn check_bundle(
    dir: &Path,
    project: &Project,
    bundle: &Path,
    listing: &BundleListing,
) -> Result<()> {
    let root = resolve(bundle);
    let repo = project.repo_path(dir);
    let keys_dir = dir.join(&project.keys_dir);
    let mut places: Vec<(PathBuf, String)> = vec![
        (
            dir.to_path_buf(),
            "the Tufa project folder (tufa.toml)".into(),
        ),
        (keys_dir.clone(), "the project's keys folder".into()),
        (repo.clone(), "the repository".into()),
    ];
    let keys = key_files(dir, project);
    places.extend(
        keys.iter()
            .map(|(name, p)| (p.clone(), format!("the private key file of key '{name}'"))),
    );
    for (path, what) in &places {
        if resolve(path).starts_with(&root) {
            return Err(Error::SecretInBundle {
                path: path.clone(),
                what: what.clone(),
            });
        }
    }
    for (place, what) in [
        (&keys_dir, "inside the project's keys folder"),
        (&repo, "inside the repository"),
    ] {
        if root.starts_with(resolve(place)) {
            return Err(Error::SecretInBundle {
                path: bundle.to_path_buf(),
                what: format!("a folder {what}"),
            });
        }
    }
    // Copies of a key file under any name are caught by content: the
    // file's bytes with white space removed (a re-saved copy with other
    // line ends), or an unencrypted private key (PEM or DER) whose key id
    // is one of the project's. Only small files are read.
    let mut by_hash: BTreeMap<String, String> = BTreeMap::new();
    for (name, path) in &keys {
        if let Some(bytes) = read_small(path) {
            by_hash.insert(sha256_hex(&squeeze(&bytes)), name.clone());
        }
    }
    let ids: BTreeMap<&str, &str> = project
        .keys
        .iter()
        .map(|(name, cfg)| (cfg.keyid.as_str(), name.as_str()))
        .collect();
    for entry in &listing.entries {
        let BundleEntry::File { rel, size, .. } = entry else {
            continue;
        };
        if *size == 0 || *size > MAX_KEY_FILE {
            continue;
        }
        let path = bundle.join(rel);
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .and_then(|f| f.take(MAX_KEY_FILE).read_to_end(&mut bytes))
            .context(|| format!("reading {}", path.display()))?;
        let name = by_hash
            .get(&sha256_hex(&squeeze(&bytes)))
            .map(String::as_str)
            .or_else(|| {
                private_key_ids(&bytes)
                    .iter()
                    .find_map(|id| ids.get(id.as_str()).copied())
            });
        if let Some(name) = name {
            return Err(Error::SecretInBundle {
                path,
                what: format!("a copy of the private key '{name}'"),
            });
        }
    }
    Ok(())
}

fn read_small(path: &Path) -> Option<Vec<u8>> {
    let md = std::fs::metadata(path).ok()?;
    if md.len() == 0 || md.len() > MAX_KEY_FILE {
        return None;
    }
    std::fs::read(path).ok()
}

/// The bytes without ASCII white space.
fn squeeze(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect()
}

/// Key ids of the unencrypted private keys in `bytes`: PEM blocks, or the
/// whole file as DER.
fn private_key_ids(bytes: &[u8]) -> Vec<String> {
    use super::keys::Secret;
    let mut ders: Vec<Secret> = Vec::new();
    if let Ok(text) = std::str::from_utf8(bytes) {
        if text.contains("PRIVATE KEY-----") {
            if let Ok(blocks) = pem::parse_many(text) {
                ders.extend(blocks.into_iter().map(|b| Secret::new(b.into_contents())));
            }
        }
    }
    if bytes.first() == Some(&0x30) {
        ders.push(Secret::new(bytes.to_vec()));
    }
    ders.iter()
        .filter_map(|der| super::keys::signer_from_der("bundle file", der).ok())
        .map(|s| s.keyid)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_missing_tails_and_dots() {
        let tmp = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(tmp.path()).unwrap();
        assert_eq!(resolve(&tmp.path().join("a/./b/../c")), real.join("a/c"));
    }
}
