//! Password hashing with Argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1), and the
//! verification of hashes imported from other systems (see [`foreign`]).

pub mod foreign;

use foreign::{Foreign, HashType, Refusal};

use app::error::AppError;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash to verify against when the email is unknown, so that a wrong email takes as long
/// as a wrong password.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| hash_now("decoy password").unwrap_or_default());

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(|error| {
        tracing::error!(%error, "password hashing failed");
        AppError::Internal
    })
}

/// The most work a stored hash may ask for. Verifying runs on every sign-in attempt, before
/// anyone is authenticated, so a hash above these would let a few anonymous requests pin the
/// hashing threads for hours or allocate gigabytes.
pub const MAX_ARGON2_MEMORY_KIB: u32 = 64 * 1024;
/// The most Argon2 passes.
pub const MAX_ARGON2_PASSES: u32 = 10;
/// The most Argon2 lanes.
pub const MAX_ARGON2_LANES: u32 = 8;
/// The highest bcrypt cost.
pub const MAX_BCRYPT_COST: u32 = 14;

/// Parses a stored or imported hash far enough to know its type and that its cost is within
/// the caps above (and those in [`foreign`]).
fn inspect(hash: &str) -> Result<HashType, Refusal> {
    let kind = HashType::of(hash).ok_or(Refusal::Invalid)?;
    match kind {
        HashType::Bcrypt => {
            let parts = bcrypt::HashParts::from_str(hash).map_err(|_| Refusal::Invalid)?;
            if parts.get_cost() > MAX_BCRYPT_COST {
                return Err(Refusal::TooCostly);
            }
        }
        HashType::Argon2 => {
            let parsed = PasswordHash::new(hash).map_err(|_| Refusal::Invalid)?;
            Algorithm::try_from(parsed.algorithm).map_err(|_| Refusal::Invalid)?;
            let params = Params::try_from(&parsed).map_err(|_| Refusal::Invalid)?;
            if params.m_cost() > MAX_ARGON2_MEMORY_KIB
                || params.t_cost() > MAX_ARGON2_PASSES
                || params.p_cost() > MAX_ARGON2_LANES
            {
                return Err(Refusal::TooCostly);
            }
        }
        _ => {
            Foreign::parse(hash)?;
        }
    }
    Ok(kind)
}

fn verify_now(password: &str, hash: &str) -> bool {
    let kind = match inspect(hash) {
        Ok(kind) => kind,
        Err(Refusal::TooCostly) => {
            tracing::warn!("a stored password hash asks for more work than allowed; it is never verified");
            return false;
        }
        Err(Refusal::Invalid) => return false,
    };
    match kind {
        HashType::Bcrypt => bcrypt::verify(password, hash).unwrap_or(false),
        HashType::Argon2 => {
            let Ok(parsed) = PasswordHash::new(hash) else { return false };
            // Verification follows the parameters inside the stored hash, so imported hashes
            // with other Argon2 settings still verify; those that need more memory than a
            // working area holds get a fresh one.
            verify_in_working_memory(password, &parsed)
                .unwrap_or_else(|| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
        }
        _ => Foreign::parse(hash).is_ok_and(|parsed| parsed.verify(password)),
    }
}

/// Argon2 working areas of 19 MiB, kept between verifications: allocating and zeroing one
/// for every sign-in costs about a tenth of the hash. There are at most as many as hashes
/// that ran at once, which the hashing threads bound.
static WORKING_MEMORY: Mutex<Vec<Box<[Block]>>> = Mutex::new(Vec::new());

/// Verifies with a reused working area; `None` when the hash's parameters do not fit one.
fn verify_in_working_memory(password: &str, parsed: &PasswordHash<'_>) -> Option<bool> {
    let params = Params::try_from(parsed).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = parsed.version.map(Version::try_from).transpose().ok()?.unwrap_or_default();
    let expected = parsed.hash?;
    let mut salt = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
    let mut memory = WORKING_MEMORY
        .lock()
        .ok()?
        .pop()
        .unwrap_or_else(|| vec![Block::default(); hasher().params().block_count()].into_boxed_slice());
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = out.get_mut(..expected.len())?;
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        out,
        &mut *memory,
    );
    if let Ok(mut pool) = WORKING_MEMORY.lock() {
        pool.push(memory);
    }
    hashed.ok()?;
    // `Output` compares in constant time.
    Some(Output::new(out).ok()? == expected)
}

/// True when a hash uses today's algorithm and parameters; older ones are replaced at the
/// next successful sign-in.
pub fn is_current(hash: &str) -> bool {
    hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
}

/// Checks a hash imported from another system against its `password_hash_type` (see
/// [`foreign`] for the encodings of each type) and the cost caps; answers the type's
/// canonical name, which is stored with the hash.
pub fn check_imported(field: &str, hash: &str, hash_type: &str) -> Result<&'static str, AppError> {
    let Some(kind) = HashType::from_name(hash_type) else {
        let names = HashType::ALL.map(HashType::name).join(", ");
        return Err(AppError::invalid(
            "password_hash_type",
            "password_hash_type_unsupported",
            format!("Password hashes of type {hash_type:?} are not supported; use one of {names}."),
        ));
    };
    match inspect(hash) {
        Ok(found) if found == kind => Ok(kind.name()),
        Ok(_) | Err(Refusal::Invalid) => {
            Err(AppError::invalid(field, "password_hash_invalid", format!("This is not a valid {} hash.", kind.name())))
        }
        Err(Refusal::TooCostly) => Err(AppError::invalid(
            field,
            "password_hash_too_costly",
            format!(
                "This hash asks for more work than Roster verifies: at most bcrypt cost {MAX_BCRYPT_COST}, \
                 Argon2 m={MAX_ARGON2_MEMORY_KIB}, t={MAX_ARGON2_PASSES}, p={MAX_ARGON2_LANES}, scrypt 128·N·r \
                 of {} MiB (and ·p of {} MiB), or PBKDF2 {} iterations.",
                foreign::MAX_SCRYPT_MEMORY_BYTES >> 20,
                foreign::MAX_SCRYPT_WORK_BYTES >> 20,
                foreign::MAX_PBKDF2_ITERATIONS
            ),
        )),
    }
}

/// Hashes a password on the calling thread (benchmarks and tools; servers use [`hash`]).
pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    hash_now(password)
}

/// Checks a password on the calling thread (benchmarks and tools; servers use [`verify`]).
pub fn verify_blocking(password: &str, hash: &str) -> bool {
    verify_now(password, hash)
}

/// Hashes a password off the async workers (it takes tens of milliseconds by design).
pub async fn hash(password: String) -> Result<String, AppError> {
    on_hashing_thread(move || hash_now(&password)).await.ok_or(AppError::Internal)?
}

/// Checks a password against a stored hash; with no hash, spends the same time and fails.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    // Fails closed: without an answer, no password is accepted.
    on_hashing_thread(move || match hash {
        Some(hash) => verify_now(&password, &hash),
        None => {
            let _ = verify_now(&password, &DECOY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// How long a request waits for its hash, queue included, before it fails.
const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Work for a hashing thread.
type HashJob = Box<dyn FnOnce() + Send>;

/// The queue of the hashing threads: as many as there are cores, each taking the next job the
/// moment it finishes one.
///
/// Each hash fills 19 MiB of memory; running more at once than there are cores only makes
/// them evict each other from the caches, so extra requests wait their turn in the queue. A
/// thread that finishes picks up the next job itself: with a semaphore around the blocking
/// pool, a core sat idle until an async worker had run the waiting request twice (to release
/// the permit, then to hand its hash over).
static HASHING_QUEUE: LazyLock<std::sync::mpsc::Sender<HashJob>> = LazyLock::new(|| {
    let (queue, jobs) = std::sync::mpsc::channel::<HashJob>();
    let jobs = Arc::new(Mutex::new(jobs));
    for index in 0..std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) {
        let jobs = jobs.clone();
        let started = std::thread::Builder::new().name(format!("password-hash-{index}")).spawn(move || {
            loop {
                // The lock is held while waiting, so one thread waits for the next job and
                // the others for the lock: each job goes to exactly one thread.
                let job = match jobs.lock().unwrap_or_else(PoisonError::into_inner).recv() {
                    Ok(job) => job,
                    Err(_) => return,
                };
                // A panicking hash loses its answer (its request fails closed), not the thread.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
        });
        if let Err(error) = started {
            tracing::error!(%error, "starting a password-hashing thread failed");
        }
    }
    queue
});

/// Runs `work` on a hashing thread; `None` when it gets no answer within [`HASH_WAIT`] (the
/// work is then skipped if it has not started).
async fn on_hashing_thread<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> Option<R> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        if !answer.is_closed() {
            let _ = answer.send(work());
        }
    });
    HASHING_QUEUE.send(job).ok()?;
    match tokio::time::timeout(HASH_WAIT, answered).await {
        Ok(answer) => answer.ok(),
        Err(_) => {
            tracing::error!(waited = ?HASH_WAIT, "no password-hashing thread answered in time");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_at_owasp_parameters() {
        let hashed = hash("correct horse".into()).await.unwrap();
        assert!(hashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hashed}");
        assert!(verify("correct horse".into(), Some(hashed.clone())).await);
        assert!(!verify("wrong horse".into(), Some(hashed)).await);
        assert!(!verify("anything".into(), None).await);
    }

    #[test]
    fn verification_with_reused_memory_agrees_with_the_plain_verifier() {
        let current = hash_now("correct horse").unwrap();
        // Less memory than a working area holds, and argon2i: both still verify.
        let light = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(1024, 3, 1, None).unwrap())
            .hash_password(b"correct horse", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        for hash in [&current, &light] {
            let parsed = PasswordHash::new(hash).unwrap();
            assert_eq!(verify_in_working_memory("correct horse", &parsed), Some(true), "{hash}");
            assert_eq!(verify_in_working_memory("wrong horse", &parsed), Some(false), "{hash}");
        }
        // More memory than a working area holds: the plain verifier takes over.
        let heavy = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(32 * 1024, 1, 1, None).unwrap())
            .hash_password(b"correct horse", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert_eq!(verify_in_working_memory("correct horse", &PasswordHash::new(&heavy).unwrap()), None);
        assert!(verify_now("correct horse", &heavy));
        assert!(!verify_now("wrong horse", &heavy));
    }

    #[tokio::test]
    async fn imported_bcrypt_hashes_verify_and_are_due_for_rehashing() {
        let hash = bcrypt::hash("hunter22", 4).unwrap();
        assert_eq!(check_imported("password_hash", &hash, "bcrypt").unwrap(), "bcrypt");
        assert!(verify("hunter22".into(), Some(hash.clone())).await);
        assert!(!is_current(&hash));
        assert!(check_imported("password_hash", "nope", "bcrypt").is_err());
        assert!(
            check_imported("password_hash", &hash, "md5").unwrap_err().field_message("password_hash_type").is_some()
        );
    }

    #[test]
    fn every_imported_type_verifies_at_sign_in_and_is_due_for_rehashing() {
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(1024, 2, 1, None).unwrap())
            .hash_password(b"correct horse", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        let argon2d = argon2i.replace("$argon2i$", "$argon2d$");
        let hashes = [
            ("bcrypt", bcrypt::hash("correct horse", 4).unwrap()),
            ("argon2", argon2i),
            (
                "scrypt",
                "$scrypt$ln=10,r=8,p=1$c2FsdHlzYWx0eXNhbHQxNg$bBI0d0kfuecuWBNXmgpJOh+0Za6lYEPiFOBNan4pwZ0".into(),
            ),
            ("pbkdf2-sha256", "pbkdf2_sha256$1000$djangosalt123$WrZ0z9pVNKU2hkBgWfZabSktS5se+Mf84aO/j4oNU6E=".into()),
            ("ssha", "{SSHA}oep4GJ7HxpIYd8AWLmA7hYwreC84Ynl0ZXNhbA==".into()),
        ];
        for (kind, hash) in &hashes {
            check_imported("password_hash", hash, kind).unwrap();
            assert!(verify_now("correct horse", hash), "{hash}");
            assert!(!verify_now("wrong horse", hash), "{hash}");
            assert!(!is_current(hash));
        }
        // Argon2d with the argon2i tag swapped no longer verifies, but is still a valid hash.
        check_imported("password_hash", &argon2d, "argon2").unwrap();
        assert!(!verify_now("correct horse", &argon2d));
        // A hash must be of the type it is declared as.
        let error = check_imported("password_hash", &hashes[4].1, "bcrypt").unwrap_err();
        assert!(error.field_message("password_hash").is_some(), "{error:?}");
    }

    #[test]
    fn hashes_above_the_cost_caps_are_refused_and_never_verified() {
        // Hand-written PHC strings: computing them would take the time the caps prevent.
        let salt_and_hash = "c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy";
        let too_costly = [
            ("argon2", format!("$argon2id$v=19$m=19456,t=4294967295,p=1${salt_and_hash}")),
            ("argon2", format!("$argon2id$v=19$m=4194304,t=2,p=1${salt_and_hash}")),
            ("argon2", format!("$argon2id$v=19$m=65536,t=2,p=16${salt_and_hash}")),
            ("bcrypt", "$2b$31$abcdefghijklmnopqrstuu5Xo0Wzjb8VpVBZ5Xk1Y8XNo3ZrYWiJC".to_owned()),
            ("bcrypt", "$2b$15$abcdefghijklmnopqrstuu5Xo0Wzjb8VpVBZ5Xk1Y8XNo3ZrYWiJC".to_owned()),
            (
                "scrypt",
                "$scrypt$ln=24,r=8,p=1$c2FsdHlzYWx0eXNhbHQxNg$bBI0d0kfuecuWBNXmgpJOh+0Za6lYEPiFOBNan4pwZ0".to_owned(),
            ),
            (
                "pbkdf2",
                "$pbkdf2-sha256$i=900000000,l=32$c2FsdHlzYWx0eXNhbHQxNg$tVHYgLKarEClaRz7w0RMAtin5IJB7svUzVCB4M81cbM"
                    .to_owned(),
            ),
            (
                "firebase-scrypt",
                "$fbscrypt$v=1,n=30,r=8,p=1,ss=Bw==,sk=c2lnbmVya2V5c2lnbmVya2V5$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhh"
                    .to_owned(),
            ),
        ];
        for (kind, hash) in &too_costly {
            let error = check_imported("password_hash", hash, kind).unwrap_err();
            assert!(error.field_message("password_hash").is_some(), "{hash}: {error:?}");
            let started = std::time::Instant::now();
            assert!(!verify_now("anything", hash), "{hash}");
            assert!(started.elapsed() < std::time::Duration::from_secs(1), "{hash} was evaluated");
        }
        // At the caps, hashes are accepted.
        let at_cap = format!("$argon2id$v=19$m=65536,t=10,p=8${salt_and_hash}");
        check_imported("password_hash", &at_cap, "argon2").unwrap();
        check_imported("password_hash", &bcrypt::hash("x", 4).unwrap(), "bcrypt").unwrap();
    }
}
