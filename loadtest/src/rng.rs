//! Deterministic randomness for the simulator: a small, fast generator (so a
//! scenario and seed always give the same traffic, on every machine and
//! crate version) and the two distributions the traffic needs.

/// xoshiro256++ (Blackman & Vigna): a few ns per draw, 256-bit state,
/// seeded through SplitMix64 as its authors recommend.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// An independent stream for another purpose, so adding draws to one
    /// part of the model does not shift the traffic of another.
    #[must_use]
    pub fn fork(&mut self, salt: u64) -> Rng {
        Rng::new(self.next_u64() ^ salt.wrapping_mul(0xA24B_AED4_963E_E407))
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1), 53 bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n) without modulo bias worth measuring (Lemire's
    /// multiply-shift; the bias is below 2^-32 for any n we use).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 32).wrapping_mul(n as u64) >> 32) as usize
    }

    /// Exponential with the given rate (mean 1/rate): Poisson inter-arrivals.
    #[inline]
    pub fn exponential(&mut self, rate: f64) -> f64 {
        // 1 - unit() is in (0, 1], so the log is finite.
        -(1.0 - self.unit()).ln() / rate
    }
}

/// Zipf popularity over `n` items (item 0 most popular), sampled in O(1)
/// with Walker's alias method: the table is built once per scenario.
#[derive(Clone, Debug)]
pub struct Zipf {
    /// Each slot's keep probability and alias side by side: a draw touches
    /// one 8-byte entry, one cache miss on tables of millions of users.
    table: Vec<(f32, u32)>,
}

impl Zipf {
    /// Weights 1/(k+1)^exponent; exponent 0 is uniform.
    pub fn new(n: usize, exponent: f64) -> Zipf {
        let weights: Vec<f64> = (0..n).map(|k| ((k + 1) as f64).powf(-exponent)).collect();
        Zipf::from_weights(&weights)
    }

    /// Vose's construction of the alias table for arbitrary positive weights.
    pub fn from_weights(weights: &[f64]) -> Zipf {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut prob: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut alias = vec![0u32; n];
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| prob[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            alias[s] = l as u32;
            prob[l] -= 1.0 - prob[s];
            if prob[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1 up to rounding.
        for i in small.into_iter().chain(large) {
            prob[i] = 1.0;
        }
        Zipf {
            table: prob.iter().map(|&p| p as f32).zip(alias).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let i = rng.below(self.table.len());
        let (prob, alias) = self.table[i];
        if (rng.unit() as f32) < prob {
            i
        } else {
            alias as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn exponential_has_the_requested_mean() {
        let mut rng = Rng::new(1);
        let n = 200_000;
        let mean = (0..n).map(|_| rng.exponential(4.0)).sum::<f64>() / f64::from(n);
        assert!((mean - 0.25).abs() < 0.005, "mean {mean}");
    }

    #[test]
    fn zipf_frequencies_follow_the_weights() {
        let zipf = Zipf::new(4, 1.0);
        let mut rng = Rng::new(3);
        let mut counts = [0usize; 4];
        let n = 400_000;
        for _ in 0..n {
            counts[zipf.sample(&mut rng)] += 1;
        }
        let h: f64 = (1..=4).map(|k| 1.0 / f64::from(k)).sum();
        for (k, &c) in counts.iter().enumerate() {
            let expected = (1.0 / (k + 1) as f64) / h;
            let got = c as f64 / f64::from(n);
            assert!(
                (got - expected).abs() < 0.005,
                "item {k}: {got} vs {expected}"
            );
        }
    }

    #[test]
    fn uniform_zipf_and_single_item() {
        let mut rng = Rng::new(5);
        assert_eq!(Zipf::new(1, 1.2).sample(&mut rng), 0);
        let zipf = Zipf::new(3, 0.0);
        assert!((0..1000).all(|_| zipf.sample(&mut rng) < 3));
    }
}
