//! Lower-case hexadecimal text for public values (keys, signatures) in
//! serde and `Display`/`FromStr`. Private to the module: not a primitive of
//! the protocols, only their text form.

use crate::error::{CryptoError, Result};

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lower-case hex, two digits a byte.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Reads exactly `N` bytes written as `2N` hex digits (either case).
/// Surrounding whitespace is refused like any other stray character, so a
/// value read from a file must be trimmed first.
pub(crate) fn decode_array<const N: usize>(what: &'static str, text: &str) -> Result<[u8; N]> {
    let bytes = text.as_bytes();
    if bytes.len() != 2 * N {
        return Err(CryptoError::input(
            what,
            format!(
                "expected {} hex digits ({N} bytes), got {} characters",
                2 * N,
                text.chars().count()
            ),
        ));
    }
    let mut out = [0u8; N];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hi = digit(pair[0]);
        let lo = digit(pair[1]);
        match (hi, lo) {
            (Some(h), Some(l)) => out[i] = (h << 4) | l,
            _ => {
                let pos = if hi.is_none() { 2 * i } else { 2 * i + 1 };
                // `pos` is a byte offset; report the character found there
                // (or say it is inside a multi-byte character).
                let shown = text
                    .get(pos..)
                    .and_then(|s| s.chars().next())
                    .map_or_else(|| "a non-ASCII character".to_string(), |c| format!("{c:?}"));
                return Err(CryptoError::input(
                    what,
                    format!("{shown} at byte {pos} is not a hex digit"),
                ));
            }
        }
    }
    Ok(out)
}

/// `Display` (lower-case hex), `FromStr` (hex, either case) and serde as a
/// hex string for a public fixed-size value. The type must have
/// `fn to_bytes(&self) -> [u8; N]` and `fn from_bytes(&[u8; N]) -> Result<Self>`.
macro_rules! hex_text {
    ($ty:ty, $n:expr, $what:expr) => {
        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&$crate::symmetric::hex::encode(&self.to_bytes()))
            }
        }

        impl core::str::FromStr for $ty {
            type Err = $crate::error::CryptoError;

            fn from_str(s: &str) -> $crate::error::Result<Self> {
                let bytes = $crate::symmetric::hex::decode_array::<{ $n }>($what, s)?;
                <$ty>::from_bytes(&bytes)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(&$crate::symmetric::hex::encode(&self.to_bytes()))
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> core::result::Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use hex_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let bytes = [0x00, 0x9f, 0xa0, 0xff];
        assert_eq!(encode(&bytes), "009fa0ff");
        assert_eq!(decode_array::<4>("x", "009FA0ff").unwrap(), bytes);
        let err = decode_array::<4>("x", "009fa0f").unwrap_err().to_string();
        assert!(err.contains("expected 8 hex digits"), "{err}");
        let err = decode_array::<4>("x", "009fa0fg").unwrap_err().to_string();
        assert!(err.contains("'g' at byte 7"), "{err}");
        let err = decode_array::<2>("x", "0é0").unwrap_err().to_string();
        assert!(err.contains("not a hex digit"), "{err}");
    }
}
