//! Hosts on loopback: nodes in two processes' worth of hosts (threads
//! here) exchange messages over authenticated channels; strangers, forged
//! senders, replays and garbage are refused and counted; a message to a
//! host that is down comes back as undeliverable.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sfumato_net::directory::to_hex;
use sfumato_net::frame::Frame;
use sfumato_net::tls::TlsSetup;
use sfumato_net::{
    Counters, Directory, DirectoryEntry, Host, HostConfig, HostEntry, Membership, NodeIdentity,
};
use sfumato_protocol::{Message, Node, NodeContext, NodeId, Time};
use tokio::io::AsyncWriteExt;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Ping {
    Ping(u32),
    Pong(u32),
}
impl Message for Ping {}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Seen {
    Pong { from: u32, value: u32 },
    Ping { from: u32, value: u32 },
    Undeliverable { to: u32 },
}

/// Node 0 pings every other node of `n` at start; they answer.
struct Pinger {
    n: u32,
}

impl Node for Pinger {
    type Message = Ping;
    type Timer = u8;
    type Event = Seen;

    fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
        if ctx.id() == NodeId(0) {
            for k in 1..self.n {
                ctx.send(NodeId(k), Ping::Ping(k * 10));
            }
        }
    }

    fn handle_message(
        &mut self,
        _: Time,
        from: NodeId,
        msg: Ping,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        match msg {
            Ping::Ping(v) => {
                ctx.report(Seen::Ping {
                    from: from.0,
                    value: v,
                });
                ctx.send(from, Ping::Pong(v + 1));
            }
            Ping::Pong(v) => ctx.report(Seen::Pong {
                from: from.0,
                value: v,
            }),
        }
    }

    fn handle_timer(&mut self, _: Time, _: u8, _: &mut NodeContext<'_, Self>) {}

    fn handle_undeliverable(
        &mut self,
        _: Time,
        to: NodeId,
        _: Ping,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        ctx.report(Seen::Undeliverable { to: to.0 });
    }
}

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

/// A directory of `n` nodes on `hosts` hosts (node k on host k % hosts),
/// with their identities.
fn deployment(n: u32, hosts: u32) -> (Arc<Membership>, Vec<NodeIdentity>) {
    let ids: Vec<NodeIdentity> = (0..n)
        .map(|k| NodeIdentity::generate(NodeId(k)).unwrap())
        .collect();
    let dir = Directory {
        deployment: "test".into(),
        hosts: (0..hosts)
            .map(|h| HostEntry {
                host: h,
                addr: free_port(),
            })
            .collect(),
        nodes: ids
            .iter()
            .map(|i| DirectoryEntry {
                id: i.id,
                host: i.id.0 % hosts,
                certificate: to_hex(&i.certificate),
            })
            .collect(),
    };
    (Arc::new(Membership::new(dir).unwrap()), ids)
}

fn run_host(
    membership: Arc<Membership>,
    ids: &[NodeIdentity],
    host: u32,
    n: u32,
    epoch: u64,
    until: Time,
) -> std::thread::JoinHandle<sfumato_net::HostReport<Seen>> {
    let mine: Vec<NodeIdentity> = ids
        .iter()
        .filter(|i| membership.host_of(i.id) == Some(host))
        .map(|i| NodeIdentity::from_parts(i.id, i.key_pkcs8(), &i.certificate).unwrap())
        .collect();
    std::thread::spawn(move || {
        let mut config = HostConfig::new(host, epoch, until);
        config.retry_delay = Duration::from_millis(50);
        config.connect_attempts = 2;
        Host::<Pinger>::new(config, membership, mine, None, None)
            .unwrap()
            .run(|_, _| Ok(Pinger { n }))
            .unwrap()
    })
}

#[test]
fn nodes_on_three_hosts_exchange_messages() {
    let n = 9;
    let (m, ids) = deployment(n, 3);
    let epoch = unix_micros() + 300_000;
    let until = Time::from_millis(2_500);
    let hosts: Vec<_> = (0..3)
        .map(|h| run_host(m.clone(), &ids, h, n, epoch, until))
        .collect();
    let reports: Vec<_> = hosts.into_iter().map(|h| h.join().unwrap()).collect();
    let mut pongs: Vec<(u32, u32)> = reports[0]
        .events
        .iter()
        .filter_map(|e| match e.event {
            Seen::Pong { from, value } if e.node == NodeId(0) => Some((from, value)),
            _ => None,
        })
        .collect();
    pongs.sort_unstable();
    assert_eq!(pongs, (1..n).map(|k| (k, k * 10 + 1)).collect::<Vec<_>>());
    let pings: usize = reports
        .iter()
        .flat_map(|r| &r.events)
        .filter(|e| matches!(e.event, Seen::Ping { from: 0, value } if value == e.node.0 * 10))
        .count();
    assert_eq!(pings, n as usize - 1);
    let total = reports
        .iter()
        .fold(sfumato_net::CounterSnapshot::default(), |a, r| {
            a.merged(&r.facts.counters)
        });
    assert_eq!(total.rejected(), 0);
    // Local messages (same host) do not cross the network.
    assert!(total.frames_in >= 2 * (n as u64 - 1) - 2 * 2, "{total:?}");
}

#[test]
fn a_message_to_a_host_that_is_down_comes_back() {
    let n = 4;
    let (m, ids) = deployment(n, 2);
    let epoch = unix_micros() + 200_000;
    // Only host 0 (nodes 0 and 2) runs: 1 and 3 cannot be reached.
    let r = run_host(m, &ids, 0, n, epoch, Time::from_millis(1_500))
        .join()
        .unwrap();
    let mut down: Vec<u32> = r
        .events
        .iter()
        .filter_map(|e| match e.event {
            Seen::Undeliverable { to } => Some(to),
            _ => None,
        })
        .collect();
    down.sort_unstable();
    assert_eq!(down, vec![1, 3]);
    assert!(
        r.events
            .iter()
            .any(|e| e.event == Seen::Pong { from: 2, value: 21 })
    );
    assert_eq!(r.facts.counters.undeliverable, 2);
}

/// Opens a TLS channel to node `to` as `me`, then writes `bytes`.
async fn raw_channel(
    membership: Arc<Membership>,
    me: &NodeIdentity,
    to: NodeId,
    bytes: Vec<u8>,
) -> std::io::Result<()> {
    let counters = Arc::new(Counters::default());
    let setup = TlsSetup::new(membership.clone(), std::slice::from_ref(me), counters).unwrap();
    let connector = tokio_rustls::TlsConnector::from(setup.clients[&me.id].clone());
    let tcp = tokio::net::TcpStream::connect(membership.addr_of(to).unwrap()).await?;
    let name = rustls::pki_types::ServerName::try_from(format!("n{}.sfumato", to.0)).unwrap();
    let mut s = connector.connect(name, tcp).await?;
    s.write_all(&bytes).await?;
    s.flush().await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = s.shutdown().await;
    Ok(())
}

fn frame(from: u32, to: u32, seq: u64, msg: &Ping) -> Vec<u8> {
    Frame {
        from: NodeId(from),
        to: NodeId(to),
        epoch: 1,
        seq,
        payload: sfumato_protocol::encode(msg).unwrap(),
    }
    .encode(1 << 20)
    .unwrap()
}

#[test]
fn strangers_forgeries_replays_and_garbage_are_refused_and_counted() {
    let n = 3;
    let (m, ids) = deployment(n, 2);
    let epoch = unix_micros() + 200_000;
    // Host 1 runs node 1; we play nodes 0 and 2 (host 0) by hand.
    let host = run_host(m.clone(), &ids, 1, n, epoch, Time::from_millis(2_000));
    std::thread::sleep(Duration::from_millis(300));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // A stranger: a key the directory does not list.
        let stranger = NodeIdentity::generate(NodeId(0)).unwrap();
        let refused = raw_channel(
            m.clone(),
            &stranger,
            NodeId(1),
            frame(0, 1, 1, &Ping::Ping(666)),
        )
        .await;
        let _ = refused;
        // Node 0 honestly, then a replay of the same frame, then a new one.
        let mut bytes = frame(0, 1, 1, &Ping::Ping(7));
        bytes.extend(frame(0, 1, 1, &Ping::Ping(7)));
        bytes.extend(frame(0, 1, 2, &Ping::Ping(8)));
        raw_channel(m.clone(), &ids[0], NodeId(1), bytes)
            .await
            .unwrap();
        // Node 2 (host 0) claims to be node 1, which host 1 runs.
        raw_channel(
            m.clone(),
            &ids[2],
            NodeId(1),
            frame(1, 1, 9, &Ping::Ping(99)),
        )
        .await
        .unwrap();
        // Node 2 sends a frame whose payload is no message after a good one.
        let mut bytes = frame(2, 1, 1, &Ping::Ping(5));
        bytes.extend(
            Frame {
                from: NodeId(2),
                to: NodeId(1),
                epoch: 1,
                seq: 2,
                payload: vec![9, 9],
            }
            .encode(1 << 20)
            .unwrap(),
        );
        raw_channel(m.clone(), &ids[2], NodeId(1), bytes)
            .await
            .unwrap();
    });
    let r = host.join().unwrap();
    let mut pings: Vec<(u32, u32)> = r
        .events
        .iter()
        .filter_map(|e| match e.event {
            Seen::Ping { from, value } => Some((from, value)),
            _ => None,
        })
        .collect();
    pings.sort_unstable();
    assert_eq!(pings, vec![(0, 7), (0, 8), (2, 5)]);
    assert!(
        r.facts.counters.rejected_peers >= 1,
        "{:?}",
        r.facts.counters
    );
    assert_eq!(r.facts.counters.replays, 1, "{:?}", r.facts.counters);
    assert_eq!(r.facts.counters.forged_senders, 1, "{:?}", r.facts.counters);
    assert_eq!(r.facts.counters.malformed, 1, "{:?}", r.facts.counters);
}
