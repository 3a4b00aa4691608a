//! Signing roles with the keys at hand, and accounting for the keys that
//! are not.

use super::keys::{load_signer, KeyProvider, Signer};
use super::project::Project;
use crate::metadata::{canonical_json, TopRole};
use crate::{Error, Result};
use serde::Serialize;
use std::path::Path;
use tough::schema::{Role, Signature, Signed};

/// The keys of one role that could and could not be loaded.
#[derive(Debug, Default)]
pub struct RoleSigners {
    /// Loaded keys.
    pub available: Vec<Signer>,
    /// Keys that could not be loaded, with the reason.
    pub missing: Vec<Error>,
}

impl RoleSigners {
    /// Fails with the first missing key when none of the role's keys is at
    /// hand: staging a change nobody can sign helps no one.
    pub fn require_one(mut self) -> Result<Self> {
        if self.available.is_empty() && !self.missing.is_empty() {
            return Err(self.missing.remove(0));
        }
        Ok(self)
    }
}

/// Loads every configured key of `role`; passphrases and replacement keys
/// come from `keys`.
pub fn signers_for(
    project: &Project,
    dir: &Path,
    keys: &dyn KeyProvider,
    role: TopRole,
) -> Result<RoleSigners> {
    let cfg = project.role(role)?;
    let mut out = RoleSigners::default();
    for name in &cfg.keys {
        let key = project
            .keys
            .get(name)
            .ok_or_else(|| Error::NoSuchKey { name: name.clone() })?;
        match load_signer(name, key, dir, role.as_str(), keys) {
            Ok(s) => out.available.push(s),
            // A key that is not here (or whose passphrase was not given)
            // is accounted for: others may sign instead.
            Err(e @ (Error::MissingKey { .. } | Error::NeedPassphrase { .. })) => {
                out.missing.push(e)
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Adds the signatures of `signers` that `signed` does not carry yet.
/// Returns how many were added.
pub fn add_signatures<T: Role + Serialize>(
    signed: &mut Signed<T>,
    signers: &[Signer],
) -> Result<usize> {
    let data = canonical_json(&signed.signed)?;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut added = 0;
    for signer in signers {
        let keyid: tough::schema::decoded::Decoded<tough::schema::decoded::Hex> =
            hex::decode(&signer.keyid)
                .map_err(|e| Error::encoding("a key id", e))?
                .into();
        if signed.signatures.iter().any(|s| s.keyid == keyid) {
            continue;
        }
        let sig = futures::executor::block_on(signer.sign.sign(&data, &rng)).map_err(|e| {
            Error::BadKey {
                name: signer.name.clone(),
                reason: format!("signing failed: {e}"),
            }
        })?;
        signed.signatures.push(Signature {
            keyid,
            sig: sig.into(),
        });
        added += 1;
    }
    Ok(added)
}

/// Signs fresh content: any old signatures are dropped (they covered other
/// bytes).
pub fn sign_fresh<T: Role + Serialize>(role: T, signers: &[Signer]) -> Result<Signed<T>> {
    let mut signed = Signed {
        signed: role,
        signatures: Vec::new(),
    };
    add_signatures(&mut signed, signers)?;
    Ok(signed)
}
