//! CPU-bound and allocation-free: `{"n": N}` → `{"primes": P}`, the number of primes below `N`
//! by trial division. Used for fuel measurements and out-of-fuel tests.

use std::convert::Infallible;

use fnhost_sdk::Context;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Burn {
    n: u64,
}

#[derive(Serialize)]
struct Primes {
    primes: u64,
}

fn burn(event: Burn, _ctx: &Context) -> Result<Primes, Infallible> {
    Ok(Primes {
        primes: count_primes_below(event.n),
    })
}

fn count_primes_below(n: u64) -> u64 {
    let mut count = 0;
    for k in 2..n {
        if is_prime(k) {
            count += 1;
        }
    }
    count
}

fn is_prime(k: u64) -> bool {
    let mut d = 2;
    while d * d <= k {
        if k.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}

fnhost_sdk::handler!(burn);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_primes() {
        assert_eq!(count_primes_below(0), 0);
        assert_eq!(count_primes_below(3), 1);
        assert_eq!(count_primes_below(100), 25);
        assert_eq!(count_primes_below(10_000), 1_229);
    }

    #[test]
    fn response_shape() {
        let out = fnhost_sdk::invoke(r#"{"n":100}"#, &Context::default(), burn).unwrap();
        assert_eq!(out, r#"{"primes":25}"#);
    }
}
