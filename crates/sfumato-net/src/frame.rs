//! Frames: how a protocol message travels on a channel.
//!
//! A channel carries the messages of one sender node to one receiver node,
//! inside TLS 1.3 (see [`crate::tls`]). Each message is one frame:
//!
//! ```text
//! length  u32 BE   bytes that follow (header + payload), at most the limit
//! version u8       1
//! from    u32 LE   the sending node
//! to      u32 LE   the receiving node
//! epoch   u64 LE   the sender's incarnation (grows at every restart)
//! seq     u64 LE   the frame's number on this channel in this incarnation (from 1)
//! payload          the message's postcard encoding (sfumato_protocol::encode)
//! ```
//!
//! The payload is exactly the bytes the simulator accounts for a message,
//! so the two runtimes send the same messages. The decoder takes bytes in
//! whatever pieces the socket delivers, yields every whole frame, and on
//! a bad one returns an error that names it; frames before it are kept.

use sfumato_protocol::NodeId;

use crate::error::{NetError, Result};

/// The frame format's version.
pub const FRAME_VERSION: u8 = 1;

/// Header bytes after the length: version, from, to, epoch, seq.
pub const HEADER_LEN: usize = 1 + 4 + 4 + 8 + 8;

/// The default largest frame (header and payload): 64 MiB, room for a
/// Chiaroscuro vector of 2048-bit ciphertexts.
pub const DEFAULT_MAX_FRAME: usize = 64 << 20;

/// One frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The sending node.
    pub from: NodeId,
    /// The receiving node.
    pub to: NodeId,
    /// The sender's incarnation.
    pub epoch: u64,
    /// The frame's number on its channel within the incarnation.
    pub seq: u64,
    /// The encoded message.
    pub payload: Vec<u8>,
}

impl Frame {
    /// The frame's bytes on the wire. Errors: a payload beyond `max_frame`.
    pub fn encode(&self, max_frame: usize) -> Result<Vec<u8>> {
        let len = HEADER_LEN + self.payload.len();
        if len > max_frame || len > u32::MAX as usize {
            return Err(NetError::Frame(format!(
                "a frame of {len} bytes is over the limit of {max_frame}"
            )));
        }
        let mut out = Vec::with_capacity(4 + len);
        out.extend_from_slice(&(len as u32).to_be_bytes());
        out.push(FRAME_VERSION);
        out.extend_from_slice(&self.from.0.to_le_bytes());
        out.extend_from_slice(&self.to.0.to_le_bytes());
        out.extend_from_slice(&self.epoch.to_le_bytes());
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.payload);
        Ok(out)
    }
}

/// Reassembles frames from a byte stream.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    start: usize,
    max_frame: usize,
    failed: bool,
}

impl FrameDecoder {
    /// A decoder that refuses frames longer than `max_frame` bytes.
    pub fn new(max_frame: usize) -> FrameDecoder {
        FrameDecoder {
            buf: Vec::new(),
            start: 0,
            max_frame: max_frame.max(HEADER_LEN),
            failed: false,
        }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > (1 << 16) && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet part of a whole frame.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next whole frame, `None` if more bytes are needed. After an
    /// error the stream cannot be resynchronised: every later call
    /// returns the same kind of error.
    pub fn next_frame(&mut self) -> Result<Option<Frame>> {
        if self.failed {
            return Err(NetError::Frame("the stream failed earlier".into()));
        }
        let rest = &self.buf[self.start..];
        if rest.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if len < HEADER_LEN {
            return self.fail(format!(
                "a frame of {len} bytes is shorter than its {HEADER_LEN}-byte header"
            ));
        }
        if len > self.max_frame {
            return self.fail(format!(
                "a frame of {len} bytes is over the limit of {}",
                self.max_frame
            ));
        }
        if rest.len() > 4 && rest[4] != FRAME_VERSION {
            return self.fail(format!("unknown frame version {}", rest[4]));
        }
        if rest.len() < 4 + len {
            return Ok(None);
        }
        let h = &rest[5..4 + HEADER_LEN];
        let word = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let long = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let frame = Frame {
            from: NodeId(word(0)),
            to: NodeId(word(4)),
            epoch: long(8),
            seq: long(16),
            payload: rest[4 + HEADER_LEN..4 + len].to_vec(),
        };
        self.start += 4 + len;
        Ok(Some(frame))
    }

    fn fail(&mut self, why: String) -> Result<Option<Frame>> {
        self.failed = true;
        Err(NetError::Frame(why))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: u64, payload: &[u8]) -> Frame {
        Frame {
            from: NodeId(3),
            to: NodeId(70_000),
            epoch: 2,
            seq,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn a_known_vector() {
        let bytes = frame(1, &[0xaa]).encode(DEFAULT_MAX_FRAME).unwrap();
        assert_eq!(
            bytes,
            [
                0, 0, 0, 26, 1, 3, 0, 0, 0, 0x70, 0x11, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
                0, 0, 0, 0, 0xaa
            ]
        );
    }

    #[test]
    fn frames_survive_any_split_of_the_stream() {
        let frames: Vec<Frame> = (1..=5)
            .map(|i| frame(i, &vec![i as u8; i as usize * 7]))
            .collect();
        let stream: Vec<u8> = frames
            .iter()
            .flat_map(|f| f.encode(DEFAULT_MAX_FRAME).unwrap())
            .collect();
        for piece in [1, 2, 3, 5, 29, 64, stream.len()] {
            let mut d = FrameDecoder::new(DEFAULT_MAX_FRAME);
            let mut got = Vec::new();
            for chunk in stream.chunks(piece) {
                d.push(chunk);
                while let Some(f) = d.next_frame().unwrap() {
                    got.push(f);
                }
            }
            assert_eq!(got, frames, "pieces of {piece}");
            assert_eq!(d.pending(), 0);
        }
    }

    #[test]
    fn bad_frames_are_errors_and_earlier_frames_are_kept() {
        let mut stream = frame(1, b"ok").encode(DEFAULT_MAX_FRAME).unwrap();
        stream.extend_from_slice(&[0, 0, 0, 3, 1, 0, 0]);
        let mut d = FrameDecoder::new(DEFAULT_MAX_FRAME);
        d.push(&stream);
        assert_eq!(d.next_frame().unwrap(), Some(frame(1, b"ok")));
        let e = d.next_frame().unwrap_err().to_string();
        assert!(e.contains("shorter than its"), "{e}");
        assert!(d.next_frame().is_err());

        let mut d = FrameDecoder::new(100);
        d.push(&[0, 0, 1, 0, 1]);
        assert!(
            d.next_frame()
                .unwrap_err()
                .to_string()
                .contains("over the limit")
        );
        let mut d = FrameDecoder::new(100);
        d.push(&[0, 0, 0, 30, 9]);
        assert!(
            d.next_frame()
                .unwrap_err()
                .to_string()
                .contains("version 9")
        );
        assert!(frame(1, &[0; 100]).encode(100).is_err());
    }
}
