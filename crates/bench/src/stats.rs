//! Latency percentiles and a small random number generator.

use std::time::Duration;

/// Latency samples in microseconds. Every sample is kept (a run records at
/// most a few million), so percentiles are exact rather than estimated.
#[derive(Debug, Default)]
pub struct Latencies {
    micros: Vec<u32>,
}

impl Latencies {
    pub fn with_capacity(n: usize) -> Self {
        Self {
            micros: Vec::with_capacity(n),
        }
    }

    pub fn record(&mut self, d: Duration) {
        self.micros
            .push(u32::try_from(d.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn merge(&mut self, other: Latencies) {
        self.micros.extend(other.micros);
    }

    /// Sorts the samples once, for [`Summary`].
    pub fn summary(mut self) -> Summary {
        self.micros.sort_unstable();
        Summary {
            sorted: self.micros,
        }
    }
}

/// Sorted samples, ready for percentiles.
#[derive(Debug)]
pub struct Summary {
    sorted: Vec<u32>,
}

impl Summary {
    pub fn count(&self) -> usize {
        self.sorted.len()
    }

    /// The `q` quantile (0.0..=1.0) in milliseconds, nearest-rank; NaN when
    /// there are no samples, so an empty run can never look fast.
    pub fn ms(&self, q: f64) -> f64 {
        if self.sorted.is_empty() {
            return f64::NAN;
        }
        let rank = (q * self.sorted.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.sorted.len()) - 1;
        f64::from(self.sorted[i]) / 1000.0
    }

    pub fn p50(&self) -> f64 {
        self.ms(0.50)
    }

    pub fn p99(&self) -> f64 {
        self.ms(0.99)
    }

    pub fn max(&self) -> f64 {
        self.ms(1.0)
    }

    /// p50, p99 and max, for the JSON details.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "samples": self.count(), "p50_ms": self.p50(), "p99_ms": self.p99(), "max_ms": self.max(),
        })
    }
}

/// SplitMix64: statistically fine for picking random pages, and one line of
/// arithmetic instead of a dependency.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn seeded(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high` (the tiny modulo bias is irrelevant here).
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = high.abs_diff(low).saturating_add(1);
        low.saturating_add_unsigned(self.next_u64() % span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut l = Latencies::default();
        for us in 1..=100u64 {
            l.record(Duration::from_micros(us * 1000));
        }
        let s = l.summary();
        assert_eq!(s.p50(), 50.0);
        assert_eq!(s.p99(), 99.0);
        assert_eq!(s.max(), 100.0);
    }

    #[test]
    fn no_samples_is_not_a_number() {
        assert!(Latencies::default().summary().p99().is_nan());
    }

    #[test]
    fn between_stays_in_bounds() {
        let mut rng = Rng::seeded(7);
        for _ in 0..10_000 {
            let x = rng.between(10, 20);
            assert!((10..=20).contains(&x));
        }
    }
}
