//! PKCS#8 PEM keys, plain (`PRIVATE KEY`) or passphrase-encrypted
//! (`ENCRYPTED PRIVATE KEY`, PBES2), as OpenSSL writes them.

use super::{KeyError, Secret};
use pkcs8::der::Decode;

/// Reads the PKCS#8 DER of a PEM key; `passphrase` is asked for only when
/// the key is encrypted.
pub fn der_from_pem(
    text: &str,
    origin: &str,
    passphrase: &mut dyn FnMut() -> Result<Secret, KeyError>,
) -> Result<Secret, KeyError> {
    let block = pem::parse(text.trim())
        .map_err(|e| KeyError::Unreadable(format!("{origin} does not hold a PEM key ({e})")))?;
    match block.tag() {
        "PRIVATE KEY" => Ok(Secret::new(block.contents().to_vec())),
        "ENCRYPTED PRIVATE KEY" => {
            let info = pkcs8::EncryptedPrivateKeyInfo::from_der(block.contents())
                .map_err(|e| KeyError::Unreadable(format!("{origin}: malformed encrypted key ({e})")))?;
            let pass = passphrase()?;
            let doc = info
                .decrypt(pass.as_bytes())
                .map_err(|_| KeyError::WrongPassphrase(origin.to_string()))?;
            Ok(Secret::new(doc.as_bytes().to_vec()))
        }
        other => Err(KeyError::Unreadable(format!(
            "{origin} holds a PEM '{other}' block; expected a PKCS#8 'PRIVATE KEY' or 'ENCRYPTED PRIVATE KEY'"
        ))),
    }
}

/// PEM text of a PKCS#8 key, encrypted with `passphrase` when given
/// (PBES2: scrypt and AES-256-CBC).
pub fn pem_from_der(der: &[u8], passphrase: Option<&[u8]>) -> Result<Secret, KeyError> {
    match passphrase {
        None => Ok(Secret::new(
            pem::encode(&pem::Pem::new("PRIVATE KEY", der.to_vec())).into_bytes(),
        )),
        Some(pass) => {
            let info = pkcs8::PrivateKeyInfo::from_der(der)
                .map_err(|e| KeyError::Unreadable(format!("not a PKCS#8 key ({e})")))?;
            let doc = info
                .encrypt(pkcs8::rand_core::OsRng, pass)
                .map_err(|e| KeyError::Unreadable(format!("encryption failed ({e})")))?;
            let text = doc
                .to_pem("ENCRYPTED PRIVATE KEY", pkcs8::LineEnding::LF)
                .map_err(|e| KeyError::Unreadable(format!("encoding failed ({e})")))?;
            Ok(Secret::new(text.as_bytes().to_vec()))
        }
    }
}
