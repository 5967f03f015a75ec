//! Password hashes from other systems: their encodings, their cost caps and their verification.
//!
//! Each accepted encoding starts with its own marker, so a stored hash says what it is:
//!
//! | type              | encoding                                                                  |
//! |-------------------|---------------------------------------------------------------------------|
//! | `bcrypt`          | `$2a$`, `$2b$`, `$2x$` or `$2y$` modular crypt strings                    |
//! | `argon2`          | PHC strings of argon2i, argon2d or argon2id                               |
//! | `scrypt`          | `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` (PHC, base64 salt/hash)   |
//! | `firebase-scrypt` | `$fbscrypt$v=1,n=<mem_cost>,r=<rounds>,p=1,ss=<salt separator>,sk=<signer key>$<salt>$<hash>` |
//! | `pbkdf2`          | `$pbkdf2-sha256$i=<iterations>,l=<length>$<salt>$<hash>` (PHC), `$pbkdf2-sha256$<iterations>$<salt>$<hash>` (passlib) or `pbkdf2_sha256$<iterations>$<salt>$<hash>` (Django, text salt) |
//! | `ssha`            | `{SSHA}`, `{SSHA256}` or `{SSHA512}` then base64 of digest ‖ salt (LDAP)  |
//!
//! Base64 fields may use the standard or URL-safe alphabet, passlib's `.` for `+`, with or
//! without padding.

use argon2::password_hash::Output;
use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use std::str::FromStr;

/// The most memory a scrypt hash may ask for (128·N·r bytes), like the Argon2 cap.
pub const MAX_SCRYPT_MEMORY_BYTES: u64 = 64 * 1024 * 1024;
/// The most scrypt work: 128·N·r·p bytes processed (four times the memory cap).
pub const MAX_SCRYPT_WORK_BYTES: u64 = 4 * MAX_SCRYPT_MEMORY_BYTES;
/// The most PBKDF2 iterations (about as long as a hash at the Argon2 caps).
pub const MAX_PBKDF2_ITERATIONS: u32 = 2_000_000;
/// The longest derived key (or digest) a hash may carry: PBKDF2's work grows with its length.
pub const MAX_OUTPUT_BYTES: usize = 64;
/// The longest salt accepted.
pub const MAX_SALT_BYTES: usize = 1024;

/// The algorithms of imported password hashes, by their `password_hash_type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashType {
    /// bcrypt.
    Bcrypt,
    /// Argon2 (i, d or id).
    Argon2,
    /// Standard scrypt (RFC 7914).
    Scrypt,
    /// Firebase Authentication's modified scrypt.
    FirebaseScrypt,
    /// PBKDF2 with HMAC-SHA-256.
    Pbkdf2,
    /// Salted SHA (SHA-1, SHA-256 or SHA-512), as LDAP stores them.
    Ssha,
}

impl HashType {
    /// Every type, in the order error messages list them.
    pub const ALL: [HashType; 6] = [
        HashType::Bcrypt,
        HashType::Argon2,
        HashType::Scrypt,
        HashType::FirebaseScrypt,
        HashType::Pbkdf2,
        HashType::Ssha,
    ];

    /// The `password_hash_type` value (WorkOS's names).
    pub fn name(self) -> &'static str {
        match self {
            HashType::Bcrypt => "bcrypt",
            HashType::Argon2 => "argon2",
            HashType::Scrypt => "scrypt",
            HashType::FirebaseScrypt => "firebase-scrypt",
            HashType::Pbkdf2 => "pbkdf2",
            HashType::Ssha => "ssha",
        }
    }

    /// The type a `password_hash_type` value names (`pbkdf2-sha256` is taken for `pbkdf2`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "pbkdf2-sha256" => Some(HashType::Pbkdf2),
            other => Self::ALL.into_iter().find(|kind| kind.name() == other),
        }
    }

    /// The type a hash's marker says it is.
    pub fn of(hash: &str) -> Option<Self> {
        if ["$2a$", "$2b$", "$2x$", "$2y$"].iter().any(|prefix| hash.starts_with(prefix)) {
            Some(HashType::Bcrypt)
        } else if hash.starts_with("$argon2") {
            Some(HashType::Argon2)
        } else if hash.starts_with("$scrypt$") {
            Some(HashType::Scrypt)
        } else if hash.starts_with("$fbscrypt$") {
            Some(HashType::FirebaseScrypt)
        } else if hash.starts_with("$pbkdf2-sha256$") || hash.starts_with("pbkdf2_sha256$") {
            Some(HashType::Pbkdf2)
        } else if hash.starts_with("{SSHA") {
            Some(HashType::Ssha)
        } else {
            None
        }
    }
}

/// Why a hash was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// It does not parse as its type.
    Invalid,
    /// It asks for more work than the caps allow.
    TooCostly,
}

/// The salted-SHA digests.
#[derive(Debug, Clone, Copy)]
pub(super) enum ShaDigest {
    Sha1,
    Sha256,
    Sha512,
}

/// A parsed hash of one of the types other than bcrypt and Argon2 (which their crates parse).
#[derive(Debug)]
pub(super) enum Foreign {
    Scrypt { log_n: u8, r: u32, p: u32, salt: Vec<u8>, hash: Vec<u8> },
    Firebase { log_n: u8, r: u32, p: u32, salt: Vec<u8>, separator: Vec<u8>, signer_key: Vec<u8>, hash: Vec<u8> },
    Pbkdf2 { iterations: u32, salt: Vec<u8>, hash: Vec<u8> },
    Ssha { digest: ShaDigest, salt: Vec<u8>, hash: Vec<u8> },
}

/// Decodes base64 in any of the alphabets hash formats use.
fn b64(text: &str) -> Result<Vec<u8>, Refusal> {
    let normal: String = text
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '.' | '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    base64::engine::general_purpose::STANDARD_NO_PAD.decode(normal).map_err(|_| Refusal::Invalid)
}

fn number<T: FromStr>(text: &str) -> Result<T, Refusal> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::Invalid);
    }
    text.parse().map_err(|_| Refusal::Invalid)
}

/// `key=value` pairs separated by commas.
fn pairs(text: &str) -> Result<Vec<(&str, &str)>, Refusal> {
    text.split(',').map(|pair| pair.split_once('=').ok_or(Refusal::Invalid)).collect()
}

fn lookup<'a>(pairs: &[(&'a str, &'a str)], key: &str) -> Result<&'a str, Refusal> {
    pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).ok_or(Refusal::Invalid)
}

fn salt_and_hash(salt: &str, hash: &str) -> Result<(Vec<u8>, Vec<u8>), Refusal> {
    let (salt, hash) = (b64(salt)?, b64(hash)?);
    if hash.len() < 16 || hash.len() > MAX_OUTPUT_BYTES || salt.len() > MAX_SALT_BYTES {
        return Err(Refusal::Invalid);
    }
    Ok((salt, hash))
}

fn scrypt_cost(log_n: u8, r: u32, p: u32) -> Result<(), Refusal> {
    if log_n == 0 || log_n >= 64 || r == 0 || p == 0 {
        return Err(Refusal::Invalid);
    }
    let memory = 128u128 * (1u128 << log_n) * u128::from(r);
    if memory > u128::from(MAX_SCRYPT_MEMORY_BYTES) || memory * u128::from(p) > u128::from(MAX_SCRYPT_WORK_BYTES) {
        return Err(Refusal::TooCostly);
    }
    Ok(())
}

impl Foreign {
    /// Parses a hash of the scrypt, Firebase scrypt, PBKDF2 or SSHA types, checking its cost.
    pub(super) fn parse(hash: &str) -> Result<Self, Refusal> {
        let fields: Vec<&str> = hash.split('$').collect();
        let parsed = match HashType::of(hash) {
            Some(HashType::Scrypt) => {
                let [_, _, params, salt, digest] = fields[..] else { return Err(Refusal::Invalid) };
                let params = pairs(params)?;
                let (log_n, r, p) =
                    (number(lookup(&params, "ln")?)?, number(lookup(&params, "r")?)?, number(lookup(&params, "p")?)?);
                let (salt, hash) = salt_and_hash(salt, digest)?;
                scrypt_cost(log_n, r, p)?;
                Foreign::Scrypt { log_n, r, p, salt, hash }
            }
            Some(HashType::FirebaseScrypt) => {
                let [_, _, params, salt, digest] = fields[..] else { return Err(Refusal::Invalid) };
                let params = pairs(params)?;
                if lookup(&params, "v")? != "1" {
                    return Err(Refusal::Invalid);
                }
                let (log_n, r) = (number(lookup(&params, "n")?)?, number(lookup(&params, "r")?)?);
                let p = match lookup(&params, "p") {
                    Ok(p) => number(p)?,
                    Err(_) => 1,
                };
                let separator = b64(lookup(&params, "ss")?)?;
                let signer_key = b64(lookup(&params, "sk")?)?;
                let (salt, hash) = salt_and_hash(salt, digest)?;
                // The hash is the signer key encrypted, so it is as long as the key.
                if signer_key.len() != hash.len() || separator.len() > MAX_SALT_BYTES {
                    return Err(Refusal::Invalid);
                }
                scrypt_cost(log_n, r, p)?;
                Foreign::Firebase { log_n, r, p, salt, separator, signer_key, hash }
            }
            Some(HashType::Pbkdf2) => {
                let (iterations, salt, hash) = match fields[..] {
                    // Django: the salt is text.
                    ["pbkdf2_sha256", iterations, salt, digest] => {
                        let hash = b64(digest)?;
                        (number(iterations)?, salt.as_bytes().to_vec(), hash)
                    }
                    ["", "pbkdf2-sha256", params, salt, digest] => {
                        let iterations = match params.bytes().all(|b| b.is_ascii_digit()) {
                            true => number(params)?,
                            false => {
                                let params = pairs(params)?;
                                let iterations = number(lookup(&params, "i")?)?;
                                if let Ok(length) = lookup(&params, "l")
                                    && number::<usize>(length)? != b64(digest)?.len()
                                {
                                    return Err(Refusal::Invalid);
                                }
                                iterations
                            }
                        };
                        let (salt, hash) = salt_and_hash(salt, digest)?;
                        (iterations, salt, hash)
                    }
                    _ => return Err(Refusal::Invalid),
                };
                if iterations == 0 || hash.len() < 16 || hash.len() > MAX_OUTPUT_BYTES || salt.len() > MAX_SALT_BYTES {
                    return Err(Refusal::Invalid);
                }
                if iterations > MAX_PBKDF2_ITERATIONS {
                    return Err(Refusal::TooCostly);
                }
                Foreign::Pbkdf2 { iterations, salt, hash }
            }
            Some(HashType::Ssha) => {
                let (digest, length, rest) = if let Some(rest) = hash.strip_prefix("{SSHA}") {
                    (ShaDigest::Sha1, 20, rest)
                } else if let Some(rest) = hash.strip_prefix("{SSHA256}") {
                    (ShaDigest::Sha256, 32, rest)
                } else if let Some(rest) = hash.strip_prefix("{SSHA512}") {
                    (ShaDigest::Sha512, 64, rest)
                } else {
                    return Err(Refusal::Invalid);
                };
                let mut bytes = b64(rest)?;
                if bytes.len() <= length || bytes.len() > length + MAX_SALT_BYTES {
                    return Err(Refusal::Invalid);
                }
                let salt = bytes.split_off(length);
                Foreign::Ssha { digest, salt, hash: bytes }
            }
            _ => return Err(Refusal::Invalid),
        };
        Ok(parsed)
    }

    /// Checks a password against the hash, comparing in constant time.
    pub(super) fn verify(&self, password: &str) -> bool {
        let password = password.as_bytes();
        let (computed, expected) = match self {
            Foreign::Scrypt { log_n, r, p, salt, hash } => {
                let Ok(params) = scrypt::Params::new(*log_n, *r, *p, hash.len()) else { return false };
                let mut out = vec![0u8; hash.len()];
                if scrypt::scrypt(password, salt, &params, &mut out).is_err() {
                    return false;
                }
                (out, hash)
            }
            Foreign::Firebase { log_n, r, p, salt, separator, signer_key, hash } => {
                use aes::cipher::{KeyIvInit, StreamCipher};
                // Firebase's scrypt derives an AES-256 key from the password and the salt
                // followed by the project's separator, then encrypts the project's signer key
                // with it in CTR mode from a zero IV: the result is the stored hash.
                let Ok(params) = scrypt::Params::new(*log_n, *r, *p, 32) else { return false };
                let mut key = [0u8; 32];
                let salted = [salt.as_slice(), separator.as_slice()].concat();
                if scrypt::scrypt(password, &salted, &params, &mut key).is_err() {
                    return false;
                }
                let mut out = signer_key.clone();
                ctr::Ctr128BE::<aes::Aes256>::new(&key.into(), &[0u8; 16].into()).apply_keystream(&mut out);
                (out, hash)
            }
            Foreign::Pbkdf2 { iterations, salt, hash } => {
                let mut out = vec![0u8; hash.len()];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, *iterations, &mut out);
                (out, hash)
            }
            Foreign::Ssha { digest, salt, hash } => {
                let out = match digest {
                    ShaDigest::Sha1 => Sha1::new().chain_update(password).chain_update(salt).finalize().to_vec(),
                    ShaDigest::Sha256 => Sha256::new().chain_update(password).chain_update(salt).finalize().to_vec(),
                    ShaDigest::Sha512 => Sha512::new().chain_update(password).chain_update(salt).finalize().to_vec(),
                };
                (out, hash)
            }
        };
        // `Output` compares in constant time.
        match (Output::new(&computed), Output::new(expected)) {
            (Ok(computed), Ok(expected)) => computed == expected,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors computed with Python's `hashlib` (and `cryptography` for Firebase's AES step)
    /// for the password `correct horse`.
    const VECTORS: [(&str, &str); 8] = [
        ("scrypt", "$scrypt$ln=10,r=8,p=1$c2FsdHlzYWx0eXNhbHQxNg$bBI0d0kfuecuWBNXmgpJOh+0Za6lYEPiFOBNan4pwZ0"),
        ("pbkdf2", "$pbkdf2-sha256$i=1000,l=32$c2FsdHlzYWx0eXNhbHQxNg$tVHYgLKarEClaRz7w0RMAtin5IJB7svUzVCB4M81cbM"),
        ("pbkdf2", "$pbkdf2-sha256$1000$c2FsdHlzYWx0eXNhbHQxNg$tVHYgLKarEClaRz7w0RMAtin5IJB7svUzVCB4M81cbM"),
        ("pbkdf2", "pbkdf2_sha256$1000$djangosalt123$WrZ0z9pVNKU2hkBgWfZabSktS5se+Mf84aO/j4oNU6E="),
        ("ssha", "{SSHA}oep4GJ7HxpIYd8AWLmA7hYwreC84Ynl0ZXNhbA=="),
        ("ssha", "{SSHA256}Y7wRfW5v+62dTAGVi5buDpLaZGllJB1WIT9rAjDnXyI4Ynl0ZXNhbA=="),
        (
            "ssha",
            "{SSHA512}Whp5ll65qCsfcUuPzqaWB5eFQqZXr9gB216CEdiTcT2Cf+aDgtF0H9wmhSPI+ejYfh2FX3S1f7m9loOX3G40CzhieXRlc2Fs",
        ),
        (
            "firebase-scrypt",
            "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
        ),
    ];

    #[test]
    fn known_vectors_verify_and_wrong_passwords_do_not() {
        for (kind, hash) in VECTORS {
            assert_eq!(HashType::of(hash).map(HashType::name), Some(kind), "{hash}");
            let parsed = Foreign::parse(hash).unwrap_or_else(|error| panic!("{hash}: {error:?}"));
            // Firebase's published vector is for its own password.
            let password = if kind == "firebase-scrypt" { "user1password" } else { "correct horse" };
            assert!(parsed.verify(password), "{hash}");
            assert!(!parsed.verify("wrong horse"), "{hash}");
        }
    }

    #[test]
    fn costs_above_the_caps_and_malformed_hashes_are_refused() {
        let salt_and_hash = "c2FsdHlzYWx0eXNhbHQxNg$bBI0d0kfuecuWBNXmgpJOh+0Za6lYEPiFOBNan4pwZ0";
        for too_costly in [
            format!("$scrypt$ln=20,r=8,p=1${salt_and_hash}"),
            format!("$scrypt$ln=16,r=8,p=16${salt_and_hash}"),
            format!("$scrypt$ln=12,r=4294967295,p=1${salt_and_hash}"),
            format!("$pbkdf2-sha256$i=4000000,l=32${salt_and_hash}"),
            format!("$pbkdf2-sha256$4294967295${salt_and_hash}"),
        ] {
            assert_eq!(Foreign::parse(&too_costly).unwrap_err(), Refusal::TooCostly, "{too_costly}");
        }
        for invalid in [
            "$scrypt$ln=10,r=8$c2FsdA$aGFzaA".to_owned(),
            "$scrypt$ln=x,r=8,p=1$c2FsdA$aGFzaA".to_owned(),
            format!("$pbkdf2-sha256$i=1000,l=16${salt_and_hash}"),
            "{SSHA}dG9vc2hvcnQ=".to_owned(),
            "{SSHA}not base64!".to_owned(),
            "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=c2s=$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==".to_owned(),
        ] {
            assert_eq!(Foreign::parse(&invalid).unwrap_err(), Refusal::Invalid, "{invalid}");
        }
    }

    #[test]
    fn type_names_are_workos_names_with_an_alias() {
        assert_eq!(HashType::from_name("pbkdf2-sha256"), Some(HashType::Pbkdf2));
        assert_eq!(HashType::from_name("firebase-scrypt"), Some(HashType::FirebaseScrypt));
        assert_eq!(HashType::from_name("md5"), None);
    }
}
