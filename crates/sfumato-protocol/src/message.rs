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
        postcard::serialize_with_flavor::<Self, postcard::ser_flavors::Size, usize>(
            self,
            postcard::ser_flavors::Size::default(),
        )
        .unwrap_or(0)
    }
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
    fn bad_bytes_are_errors_not_panics() {
        assert!(decode::<Demo>(&[]).is_err());
        assert!(decode::<Demo>(&[9, 9, 9]).is_err());
        let mut bytes = encode(&Demo::Ids(vec![1])).unwrap();
        bytes.push(0);
        assert!(decode::<Demo>(&bytes).is_err());
        assert!(decode::<Demo>(&[1, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    }
}
