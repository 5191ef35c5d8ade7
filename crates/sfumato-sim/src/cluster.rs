//! Connecting the processes of a cluster (timely's process mode) without
//! timely's own set-up, which retries forever and prints to stdout: here
//! every failure is one clear error within a deadline, and stdout stays the
//! report's.
//!
//! Process `i` listens on its own address, connects to every process
//! `j < i` and accepts one connection from every `j > i`; each connection
//! starts with a 16-byte hello (`sfumato1` and the connecting process's
//! index) so a stray client cannot take a process's place.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::config::Cluster;
use crate::error::{Result, SimError};

const HELLO: &[u8; 8] = b"sfumato1";

/// How long processes wait for each other.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// One connected stream per other process, indexed by process (`None` at
/// this process's own index).
pub(crate) fn connect(cluster: &Cluster, timeout: Duration) -> Result<Vec<Option<TcpStream>>> {
    let me = cluster.process;
    let n = cluster.addresses.len();
    let deadline = Instant::now() + timeout;
    let listener = TcpListener::bind(&cluster.addresses[me]).map_err(|e| {
        SimError::Runtime(format!(
            "process {me} cannot listen on {}: {e}",
            cluster.addresses[me]
        ))
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| SimError::Runtime(format!("listener: {e}")))?;
    let mut streams: Vec<Option<TcpStream>> = (0..n).map(|_| None).collect();
    // Connect to the processes before us (they may not be up yet).
    for (j, address) in cluster.addresses.iter().enumerate().take(me) {
        let stream = loop {
            match TcpStream::connect(address) {
                Ok(s) => break s,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => {
                    return Err(SimError::Runtime(format!(
                        "process {me} could not reach process {j} at {address} within {} s: {e}",
                        timeout.as_secs()
                    )));
                }
            }
        };
        let mut stream = stream;
        let mut hello = [0u8; 16];
        hello[..8].copy_from_slice(HELLO);
        hello[8..].copy_from_slice(&(me as u64).to_le_bytes());
        stream
            .write_all(&hello)
            .and_then(|_| stream.set_nodelay(true))
            .map_err(|e| SimError::Runtime(format!("greeting process {j} at {address}: {e}")))?;
        streams[j] = Some(stream);
    }
    // Accept the processes after us.
    let mut missing = n - me - 1;
    while missing > 0 {
        match listener.accept() {
            Ok((mut stream, peer)) => {
                let mut hello = [0u8; 16];
                let greeted = stream
                    .set_nonblocking(false)
                    .and_then(|_| stream.set_read_timeout(Some(Duration::from_secs(5))))
                    .and_then(|_| stream.read_exact(&mut hello));
                let index = u64::from_le_bytes(hello[8..].try_into().unwrap_or([0xff; 8]));
                let valid = greeted.is_ok()
                    && &hello[..8] == HELLO
                    && index > me as u64
                    && index < n as u64
                    && streams[index as usize].is_none();
                if !valid {
                    // Not one of ours (or a duplicate): drop it and wait on.
                    let _ = peer;
                    continue;
                }
                stream
                    .set_read_timeout(None)
                    .and_then(|_| stream.set_nodelay(true))
                    .map_err(|e| {
                        SimError::Runtime(format!("connection from process {index}: {e}"))
                    })?;
                streams[index as usize] = Some(stream);
                missing -= 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    let absent: Vec<String> = (me + 1..n)
                        .filter(|j| streams[*j].is_none())
                        .map(|j| j.to_string())
                        .collect();
                    return Err(SimError::Runtime(format!(
                        "process {me} waited {} s for process(es) {} to connect to {}",
                        timeout.as_secs(),
                        absent.join(", "),
                        cluster.addresses[me]
                    )));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(SimError::Runtime(format!("accepting connections: {e}"))),
        }
    }
    Ok(streams)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_peer_is_a_clear_error_not_a_hang() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let other = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster {
            process: 0,
            addresses: vec![format!("127.0.0.1:{port}"), format!("127.0.0.1:{other}")],
        };
        let err = connect(&cluster, Duration::from_millis(300)).unwrap_err();
        assert!(
            err.to_string().contains("waited 0 s for process(es) 1"),
            "{err}"
        );
        let cluster = Cluster {
            process: 1,
            addresses: cluster.addresses.clone(),
        };
        let err = connect(&cluster, Duration::from_millis(300)).unwrap_err();
        assert!(
            err.to_string().contains("could not reach process 0"),
            "{err}"
        );
    }

    #[test]
    fn two_processes_connect_and_strangers_are_ignored() {
        let ports: Vec<u16> = (0..2)
            .map(|_| {
                TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port()
            })
            .collect();
        let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let a = Cluster {
            process: 0,
            addresses: addresses.clone(),
        };
        let b = Cluster {
            process: 1,
            addresses: addresses.clone(),
        };
        let first = std::thread::spawn(move || connect(&a, Duration::from_secs(10)));
        std::thread::sleep(Duration::from_millis(100));
        // A stranger says something else first.
        if let Ok(mut s) = TcpStream::connect(&addresses[0]) {
            let _ = s.write_all(b"GET / HTTP/1.1\r\n");
        }
        let second = connect(&b, Duration::from_secs(10)).unwrap();
        let first = first.join().unwrap().unwrap();
        assert!(first[0].is_none() && first[1].is_some());
        assert!(second[0].is_some() && second[1].is_none());
    }
}
