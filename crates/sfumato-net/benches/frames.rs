//! `cargo bench -p sfumato-net --bench frames`: the frame decoder's fuzz
//! check at scale — 10⁶ random and mutated frames (the test suite runs
//! 2·10⁴) — and its throughput on clean DREAM readings.

use std::time::Instant;

use sfumato_net::frame::{DEFAULT_MAX_FRAME, Frame, FrameDecoder};
use sfumato_net::fuzz::{dream_payload, fuzz_frames};
use sfumato_protocol::NodeId;
use sfumato_protocol::dream::DreamMessage;

fn main() {
    let frames: u64 = std::env::var("SFUMATO_FUZZ_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut payload = dream_payload;
    let t = Instant::now();
    let r = fuzz_frames::<DreamMessage>(frames, 1, 4096, &mut payload);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "fuzz: {} frames in {secs:.2} s: {} intact, {} streams failed cleanly, {} waiting, {} payloads decoded, {} refused, {} violations",
        r.frames, r.intact, r.errors, r.waiting, r.messages, r.bad_payloads, r.violations
    );
    assert_eq!(r.violations, 0, "the decoder broke a property");

    // Throughput on a clean stream of readings, in 64 KiB reads.
    let n = 1_000_000u64;
    let mut stream = Vec::new();
    for i in 0..n {
        let payload = sfumato_protocol::encode(&DreamMessage::Reading {
            slot: i as u32,
            ciphertext: i,
        })
        .unwrap_or_default();
        stream.extend(
            Frame {
                from: NodeId(1),
                to: NodeId(0),
                epoch: 1,
                seq: i + 1,
                payload,
            }
            .encode(DEFAULT_MAX_FRAME)
            .unwrap_or_default(),
        );
    }
    let t = Instant::now();
    let mut d = FrameDecoder::new(DEFAULT_MAX_FRAME);
    let mut got = 0u64;
    for chunk in stream.chunks(64 * 1024) {
        d.push(chunk);
        while let Ok(Some(f)) = d.next_frame() {
            if sfumato_protocol::decode::<DreamMessage>(&f.payload).is_ok() {
                got += 1;
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(got, n);
    println!(
        "decode: {n} reading frames ({} MB) in {secs:.3} s: {:.2} M frames/s, {:.0} MB/s",
        stream.len() / 1_000_000,
        n as f64 / secs / 1e6,
        stream.len() as f64 / secs / 1e6
    );
}
