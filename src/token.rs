//! Random tokens and their comparison: members' secrets, session and CSRF
//! tokens, per-process keys. One generator (the OS's), one encoding (hex:
//! typeable, URL-, cookie- and header-safe), one constant-time equality.
//!
//! Owns no storage and no policy on what a token is for.

use password_hash::rand_core::{OsRng, RngCore};
use subtle::ConstantTimeEq;

/// 256 bits: out of reach of guessing.
pub const TOKEN_BYTES: usize = 32;

/// `N` bytes from the OS random generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A fresh random 256-bit token, as 64 lowercase hex digits.
pub fn new_token() -> String {
    hex(&random_bytes::<TOKEN_BYTES>())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Token equality whose time does not depend on where they differ; an
/// empty token never matches.
pub fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_hex_and_distinct() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_token());
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &new_token()));
        assert!(!same_token("", ""));
        assert!(!same_token(&a, &a[..63]));
    }
}
