//! Messages and their stable wire encoding (ARCHITECTURE.md, "The node
//! model").
//!
//! Every message is a Rust type with a serde encoding in the **postcard**
//! 1.x wire format (varint integers, IEEE floats in little-endian, length-
//! prefixed sequences), which is specified and stable across releases. The
//! simulator accounts bytes with [`Message::encoded_len`]; the network
//! runtime sends exactly [`encode`]'s bytes and validates input with
//! [`decode`].

use serde::{Deserialize, Serialize};

use crate::error::{ProtocolError, Result};

/// A protocol message.
pub trait Message:
    Clone + core::fmt::Debug + Send + Serialize + for<'de> Deserialize<'de> + 'static
{
    /// The length of [`encode`]'s output, computed without allocating.
    fn encoded_len(&self) -> usize {
        encoded_size(self)
    }
}

/// The length of [`encode`]'s output for any serializable value, computed
/// by serializing into a counter.
pub fn encoded_size<M: Serialize + ?Sized>(m: &M) -> usize {
    postcard::serialize_with_flavor::<M, postcard::ser_flavors::Size, usize>(
        m,
        postcard::ser_flavors::Size::default(),
    )
    .unwrap_or(0)
}

/// The length of postcard's varint encoding of `x` (LEB128: seven bits a
/// byte), as used for `u16`–`u64`, lengths and enum variants.
pub fn varint_len(x: u64) -> usize {
    (64 - (x | 1).leading_zeros() as usize).div_ceil(7)
}

/// A value whose [`encode`]d length is computed arithmetically, without
/// serializing it: for the large vectors that gossip protocols exchange
/// millions of times in a simulation. Tests compare it with the encoding.
pub trait EncodedLen {
    /// The length of the value's postcard encoding.
    fn encoded_len(&self) -> usize;
}

/// The wire bytes of `msg`.
pub fn encode<M: Serialize>(msg: &M) -> Result<Vec<u8>> {
    postcard::to_allocvec(msg).map_err(|e| ProtocolError::Malformed(e.to_string()))
}

/// Decodes a whole message from `bytes`; trailing bytes are an error.
pub fn decode<M: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<M> {
    let (msg, rest) =
        postcard::take_from_bytes(bytes).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(ProtocolError::Malformed(format!(
            "{} trailing bytes",
            rest.len()
        )));
    }
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    enum Demo {
        Share { s: f64, w: f64 },
        Ids(Vec<u32>),
    }
    impl Message for Demo {}

    #[test]
    fn encoded_len_matches_the_encoding_and_round_trips() {
        for m in [
            Demo::Share { s: 1.5, w: -0.25 },
            Demo::Ids(vec![1, 300, 70_000]),
            Demo::Ids(vec![]),
        ] {
            let bytes = encode(&m).unwrap();
            assert_eq!(bytes.len(), m.encoded_len());
            assert_eq!(decode::<Demo>(&bytes).unwrap(), m);
        }
        // The encoding is stable: a known vector.
        assert_eq!(
            encode(&Demo::Ids(vec![1, 300])).unwrap(),
            vec![1, 2, 1, 0xac, 0x02]
        );
    }

    #[test]
    fn varint_len_matches_postcard() {
        for x in [0u64, 1, 127, 128, 16_383, 16_384, 1 << 35, u64::MAX] {
            assert_eq!(varint_len(x), encode(&x).unwrap().len(), "{x}");
        }
    }

    #[test]
    fn bad_bytes_are_errors_not_panics() {
        assert!(decode::<Demo>(&[]).is_err());
        assert!(decode::<Demo>(&[9, 9, 9]).is_err());
        let mut bytes = encode(&Demo::Ids(vec![1])).unwrap();
        bytes.push(0);
        assert!(decode::<Demo>(&bytes).is_err());
        assert!(decode::<Demo>(&[1, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    }
}
