//! tufup's key files (securesystemslib format), read only: a JSON key
//! dict, either plain or encrypted as
//! `salt@@@@iterations@@@@hmac@@@@iv@@@@ciphertext` (hex; PBKDF2-HMAC-SHA256
//! → AES-256-CTR, HMAC-SHA256 over the ciphertext).

use super::{KeyError, Secret};
use hmac::Mac;

const DELIMITER: &str = "@@@@";

/// The PKCS#8 DER of the ed25519 key in a securesystemslib key file.
pub fn der_from_tufup(
    text: &str,
    origin: &str,
    passphrase: &mut dyn FnMut() -> Result<Secret, KeyError>,
) -> Result<Secret, KeyError> {
    let text = text.trim();
    let json = if text.starts_with('{') {
        Secret::new(text.as_bytes().to_vec())
    } else {
        decrypt(text, origin, &passphrase()?)?
    };
    let key: serde_json::Value = serde_json::from_slice(json.as_bytes())
        .map_err(|e| KeyError::Unreadable(format!("{origin}: not a securesystemslib key ({e})")))?;
    if key["keytype"] != "ed25519" {
        return Err(KeyError::Unreadable(format!(
            "{origin}: only ed25519 keys are supported, found {}",
            key["keytype"]
        )));
    }
    let seed = key["keyval"]["private"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .filter(|s| s.len() == 32)
        .map(Secret::new)
        .ok_or_else(|| KeyError::Unreadable(format!("{origin}: no 32-byte ed25519 private key")))?;
    let pair = aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(seed.as_bytes())
        .map_err(|_| KeyError::Unreadable(format!("{origin}: invalid ed25519 key")))?;
    let doc = pair
        .to_pkcs8()
        .map_err(|_| KeyError::Unreadable(format!("{origin}: cannot convert the key")))?;
    Ok(Secret::new(doc.as_ref().to_vec()))
}

fn decrypt(text: &str, origin: &str, passphrase: &Secret) -> Result<Secret, KeyError> {
    let bad = || {
        KeyError::Unreadable(format!(
            "{origin}: neither a JSON key nor an encrypted securesystemslib key"
        ))
    };
    let parts: Vec<&str> = text.split(DELIMITER).collect();
    let [salt, iterations, mac, iv, ciphertext] = parts.as_slice() else {
        return Err(bad());
    };
    let salt = hex::decode(salt).map_err(|_| bad())?;
    let iterations: u32 = iterations.parse().map_err(|_| bad())?;
    let mac = hex::decode(mac).map_err(|_| bad())?;
    let iv = hex::decode(iv).map_err(|_| bad())?;
    let mut data = hex::decode(ciphertext).map_err(|_| bad())?;
    if iv.len() != 16 || !(1..=10_000_000).contains(&iterations) {
        return Err(bad());
    }
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(passphrase.as_bytes(), &salt, iterations, key.as_mut());
    let mut check =
        <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key.as_ref()).map_err(|_| bad())?;
    check.update(&data);
    // securesystemslib compares the hex digests.
    let expected = hex::encode(&mac);
    let actual = hex::encode(check.finalize().into_bytes());
    if expected.len() != actual.len() || !constant_time_eq(expected.as_bytes(), actual.as_bytes()) {
        return Err(KeyError::WrongPassphrase(origin.to_string()));
    }
    use aes::cipher::{KeyIvInit, StreamCipher};
    let mut cipher = ctr::Ctr128BE::<aes::Aes256>::new(key.as_ref().into(), iv.as_slice().into());
    cipher.apply_keystream(&mut data);
    Ok(Secret::new(data))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
