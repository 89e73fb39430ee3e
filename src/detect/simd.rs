//! Which vector code a scan runs: the one choice the block classifier
//! ([`super::blocks`]) and the word and keyword searches
//! ([`super::wordfilter`]) make at run time, so that they agree on what the
//! CPU has and detect it once.
//!
//! Key decision: every SIMD path is an exact copy of a portable one (the
//! same masks, the same candidates), so the choice changes speed only; each
//! module's tests hold every path this CPU runs to its portable loop. The
//! JSON string decoder (`chunk::decoder`) needs more of AVX-512 (VBMI2's
//! compress, BMI1, POPCNT) and checks those itself.

/// A family of vector instructions a scan can run with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simd {
    /// Portable code, on any CPU.
    Scalar,
    /// AVX2: 32 bytes a step.
    Avx2,
    /// AVX-512 F, BW and VBMI: 64 bytes a step, compares into mask
    /// registers, two-register byte permutes.
    Avx512,
}

impl Simd {
    /// The widest family this CPU runs, detected once (then a load).
    #[inline]
    pub fn best() -> Simd {
        use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
        /// `Simd as u8 + 1`, or 0 before the first call.
        static BEST: AtomicU8 = AtomicU8::new(0);
        match BEST.load(Relaxed) {
            1 => Simd::Scalar,
            2 => Simd::Avx2,
            3 => Simd::Avx512,
            _ => {
                let best = *Simd::all_available().last().expect("scalar");
                BEST.store(best as u8 + 1, Relaxed);
                best
            }
        }
    }

    /// Whether this CPU runs the family.
    pub fn available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            match self {
                Simd::Scalar => true,
                Simd::Avx2 => has!("avx2"),
                Simd::Avx512 => has!("avx512f") && has!("avx512bw") && has!("avx512vbmi"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Simd::Scalar
        }
    }

    /// Every family this CPU runs, narrowest first.
    pub fn all_available() -> Vec<Simd> {
        [Simd::Scalar, Simd::Avx2, Simd::Avx512]
            .into_iter()
            .filter(|s| s.available())
            .collect()
    }

    /// Its name, as `leaksweep` shows it (e.g. a word filter's strategy).
    pub fn name(self) -> &'static str {
        match self {
            Simd::Scalar => "scalar",
            Simd::Avx2 => "avx2",
            Simd::Avx512 => "avx512",
        }
    }
}
