//! Which instruction sets the CatBoost evaluators may use on this CPU,
//! detected once at run time, and which evaluator a loaded model runs.
//!
//! A baseline build (`x86_64-unknown-linux-gnu` with no `-C target-cpu`, as
//! distributions, container images and `cargo install` make it) carries
//! every evaluator; [`ingest`](super::ingest) picks the best one the CPU and
//! the operating system support, once per load, and stores the choice in
//! the model. No evaluator is compiled out: the choice is data.

use core::fmt;

/// An instruction-set level a CatBoost evaluator may use.
///
/// Ordered: `Portable < Avx2 < Avx512`, so a limit is a maximum
/// ([`CatBoost::set_isa_limit`](super::CatBoost::set_isa_limit)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Isa {
    /// What the build targets and nothing more: SSE2 on a baseline x86-64
    /// build, NEON on aarch64, plain scalar code on a microcontroller. Every
    /// target has it.
    Portable,
    /// x86-64 with AVX2 and an operating system that saves the 256-bit
    /// registers (Intel Haswell, AMD Zen 1 and newer).
    Avx2,
    /// x86-64 with AVX-512 F, BW and VBMI and an operating system that saves
    /// the 512-bit and mask registers (Intel Ice Lake, AMD Zen 4 and newer).
    Avx512,
}

impl Isa {
    /// The best level this CPU and operating system support: read with
    /// `cpuid` and `xgetbv` on the first call (slower under a hypervisor
    /// that traps `cpuid`), then from a cached byte. [`Isa::Portable`] on
    /// every target but x86-64.
    #[must_use]
    pub fn detected() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            x86::detected()
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Self::Portable
        }
    }

    /// A short lowercase name: `portable`, `avx2` or `avx512`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Portable => "portable",
            Self::Avx2 => "avx2",
            Self::Avx512 => "avx512",
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The evaluator [`CatBoost::raw`](super::CatBoost::raw) runs for the model
/// loaded now (see the type's "Layout").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Evaluator {
    /// The split evaluator: `BLOCKS = 0`, or a model the table does not take
    /// (mixed depths, depth over 8, `BLOCKS` too small, or a table that
    /// would be slower than the splits: see "Layout" on
    /// [`CatBoost`](super::CatBoost)), or no model.
    Split,
    /// The table evaluator, compiled for what the build targets.
    Table,
    /// The table evaluator with AVX2 (256-bit ORs and compares), for a
    /// model with more than 256 used features (or more than 255 borders on
    /// one) on a CPU with AVX2, unless its table would be slower than its
    /// splits.
    TableAvx2,
    /// The AVX2 evaluator (byte shuffles on binarized features), for a
    /// model the table evaluator would take with at most 256 used features
    /// of at most 255 borders each.
    Avx2,
    /// The AVX-512 evaluator (byte permutes on binarized borders).
    Avx512,
}

impl Evaluator {
    /// A short lowercase name: `split`, `table`, `table-avx2`, `avx2` or
    /// `avx512`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Split => "split",
            Self::Table => "table",
            Self::TableAvx2 => "table-avx2",
            Self::Avx2 => "avx2",
            Self::Avx512 => "avx512",
        }
    }

    /// The instruction-set level it needs.
    #[must_use]
    pub const fn isa(self) -> Isa {
        match self {
            Self::Split | Self::Table => Isa::Portable,
            Self::TableAvx2 | Self::Avx2 => Isa::Avx2,
            Self::Avx512 => Isa::Avx512,
        }
    }
}

impl fmt::Display for Evaluator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::sync::atomic::{AtomicU8, Ordering};

    use super::Isa;

    /// 0: not read yet; else `1 + Isa as u8`.
    static DETECTED: AtomicU8 = AtomicU8::new(0);

    pub(super) fn detected() -> Isa {
        match DETECTED.load(Ordering::Relaxed) {
            1 => Isa::Portable,
            2 => Isa::Avx2,
            3 => Isa::Avx512,
            _ => {
                let isa = detect();
                // Races write the same value.
                DETECTED.store(1 + isa as u8, Ordering::Relaxed);
                isa
            }
        }
    }

    /// What `cpuid` and `xgetbv` say, as Intel's SDM (vol. 1, 13.3 and
    /// 15.2) says to read them: the CPU must have the instructions *and* the
    /// operating system must have turned on saving their registers (XCR0),
    /// or they fault.
    fn detect() -> Isa {
        use core::arch::x86_64::{__cpuid, __cpuid_count, _xgetbv, CpuidResult};

        const OSXSAVE: u32 = 1 << 27;
        // SAFETY: CPUID exists on every x86-64 CPU (the `__cpuid*` functions
        // are safe from Rust 1.94, `unsafe` before, hence `unused_unsafe`).
        // `_xgetbv` needs XSAVE, and runs only when CPUID.1:ECX bit 27
        // (OSXSAVE) says the OS has enabled it, which implies the CPU has it.
        // The only `unsafe` of the detection.
        #[allow(unsafe_code, unused_unsafe)]
        let (max_leaf, leaf1, leaf7, xcr0) = unsafe {
            let max_leaf = __cpuid(0).eax;
            let leaf1 = __cpuid(1);
            let leaf7 =
                if max_leaf >= 7 { __cpuid_count(7, 0) } else { CpuidResult { eax: 0, ebx: 0, ecx: 0, edx: 0 } };
            let xcr0 = if leaf1.ecx & OSXSAVE != 0 { _xgetbv(0) } else { 0 };
            (max_leaf, leaf1, leaf7, xcr0)
        };
        // CPUID.1:ECX bit 28: AVX.
        if max_leaf < 7 || leaf1.ecx & OSXSAVE == 0 || leaf1.ecx & (1 << 28) == 0 {
            return Isa::Portable;
        }
        // XCR0 bits 1 and 2: SSE and AVX (YMM) state; 5, 6 and 7: opmask,
        // upper ZMM0-15 and ZMM16-31 state.
        let ymm = xcr0 & 0b110 == 0b110;
        let zmm = ymm && xcr0 & 0b1110_0000 == 0b1110_0000;
        let avx2 = leaf7.ebx & (1 << 5) != 0;
        let avx512f = leaf7.ebx & (1 << 16) != 0;
        let avx512bw = leaf7.ebx & (1 << 30) != 0;
        let avx512vbmi = leaf7.ecx & (1 << 1) != 0;
        if zmm && avx2 && avx512f && avx512bw && avx512vbmi {
            Isa::Avx512
        } else if ymm && avx2 {
            Isa::Avx2
        } else {
            Isa::Portable
        }
    }

    #[cfg(test)]
    mod tests {
        use super::Isa;

        /// The detection agrees with std's, which reads the same bits its
        /// own way.
        #[test]
        fn detection_agrees_with_std() {
            let std = if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vbmi")
                && std::is_x86_feature_detected!("avx2")
            {
                Isa::Avx512
            } else if std::is_x86_feature_detected!("avx2") {
                Isa::Avx2
            } else {
                Isa::Portable
            };
            assert_eq!(super::detected(), std);
            assert_eq!(super::detected(), std, "the cached value");
        }
    }
}
