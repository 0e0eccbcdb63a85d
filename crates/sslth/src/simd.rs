//! The one AVX2 dispatch every hot loop uses.
//!
//! [`avx2_or_plain!`] compiles a body twice, once as it is and once with
//! AVX2 enabled, and runs the AVX2 copy when the CPU has it (checked at run
//! time; the check is cached by the standard library). Both copies perform
//! the same floating-point operations in the same order, so results are the
//! same bits with or without AVX2: the compiler only picks wider
//! instructions for them. Hand-rolled rather than a crate: a dozen lines,
//! and crates such as `multiversion` bring a proc-macro for what this does.

/// `avx2_or_plain!(fn(a: A, b: B) -> R { body })`, inside a function whose
/// locals `a` and `b` it names: returns `body`'s value, computed by an
/// AVX2-compiled copy of `body` when the CPU has AVX2 (see the module
/// docs). `body` may use only the listed arguments.
macro_rules! avx2_or_plain {
    (fn($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx2")]
            unsafe fn wide($($arg: $ty),*) -> $ret $body
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2, checked just above.
                return unsafe { wide($($arg),*) };
            }
        }
        $body
    }};
}

pub(crate) use avx2_or_plain;
