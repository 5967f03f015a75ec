//! How many Argon2id password checks per second this machine does at Roster's parameters,
//! using every core: the ceiling for password sign-ins.

use std::time::{Duration, Instant};

fn main() {
    let hash = server::core::password::hash_blocking("load-test-password").expect("hash");
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let run_for = Duration::from_secs(std::env::var("ARGON2_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10));
    let started = Instant::now();
    let checks: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = 0;
                    while started.elapsed() < run_for {
                        assert!(server::core::password::verify_blocking("load-test-password", &hash));
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    let rate = checks as f64 / started.elapsed().as_secs_f64();
    println!("argon2id (m=19456, t=2, p=1) verifications/s on {threads} threads: {rate:.1}");
}
