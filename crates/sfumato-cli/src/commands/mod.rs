//! One module per command; each exposes `run(args, out)`.

pub(crate) mod cluster_costs;
mod cluster_latency;
pub(crate) mod cluster_run;
mod crypto;
mod crypto_bench;
mod dashboard;
mod demo;
mod demo_cluster;
mod demo_dream;
mod dp_budget;
mod dp_calibrate;
mod dp_gossip;
mod dp_sample;
mod dream_experiment;
pub(crate) mod dream_run;
mod net;
mod net_cluster;
mod overlay;
mod query_experiment;
mod query_net;
pub(crate) mod query_run;
mod results;
mod sim_bench;
mod sim_broadcast;
mod sim_gossip;
pub(crate) mod sim_runtime;
pub(crate) mod store_run;
mod stream_bench;
mod stream_generate;
mod stream_run;
mod traces_generate;
mod traces_import;
mod traces_stats;

use crate::cli::{Command, CryptoCommand, DpCommand, OverlayCommand, TracesCommand};
use crate::cli_cluster::ClusterCommand;
use crate::cli_dream::DreamCommand;
use crate::cli_net::NetCommand;
use crate::cli_query::QueryCommand;
use crate::cli_sim::SimCommand;
use crate::cli_stream::StreamCommand;
use crate::error::CliError;
use crate::output::Output;

/// Runs one parsed command, printing to `out`.
pub(crate) fn run(command: &Command, out: &mut Output) -> Result<(), CliError> {
    match command {
        Command::Dp(DpCommand::Sample(args)) => dp_sample::run(args, out),
        Command::Dp(DpCommand::GossipExchanges(args)) => dp_gossip::run(args, out),
        Command::Dp(DpCommand::Budget(args)) => dp_budget::run(args, out),
        Command::Dp(DpCommand::Calibrate(args)) => dp_calibrate::run(args, out),
        Command::Traces(TracesCommand::Generate(args)) => traces_generate::run(args, out),
        Command::Traces(TracesCommand::Stats(args)) => traces_stats::run(args, out),
        Command::Traces(TracesCommand::Import(args)) => traces_import::run(args, out),
        Command::Traces(TracesCommand::Replicate(args)) => traces_import::replicate(args, out),
        Command::Crypto(CryptoCommand::Keygen(args)) => crypto::keygen(args, out),
        Command::Crypto(CryptoCommand::Encrypt(args)) => crypto::encrypt(args, out),
        Command::Crypto(CryptoCommand::Add(args)) => crypto::add(args, out),
        Command::Crypto(CryptoCommand::Decrypt(args)) => crypto::decrypt(args, out),
        Command::Crypto(CryptoCommand::PartialDecrypt(args)) => crypto::partial_decrypt(args, out),
        Command::Crypto(CryptoCommand::Combine(args)) => crypto::combine(args, out),
        Command::Crypto(CryptoCommand::Bench(args)) => crypto_bench::run(args, out),
        Command::Overlay(OverlayCommand::Primes(args)) => overlay::primes(args, out),
        Command::Overlay(OverlayCommand::Gaps(args)) => overlay::gaps(args, out),
        Command::Dream(DreamCommand::Run(args)) => dream_run::run(args, out),
        Command::Query(QueryCommand::Run(args)) => query_run::run(args, out),
        Command::Results(c) => results::run(c, out),
        Command::Dashboard(a) => dashboard::run(a, out),
        Command::Stream(StreamCommand::Generate(a)) => stream_generate::run(a, out),
        Command::Stream(StreamCommand::Run(a)) => stream_run::run(a, out),
        Command::Stream(StreamCommand::Bench(a)) => stream_bench::run(a, out),
        Command::Query(QueryCommand::Experiment(args)) => query_experiment::run(args, out),
        Command::Dream(DreamCommand::Experiment(args)) => dream_experiment::run(args, out),
        Command::Sim(SimCommand::PushSum(args)) => {
            sim_gossip::run_gossip(sim_gossip::Protocol::PushSum, args, out)
        }
        Command::Sim(SimCommand::PushPull(args)) => {
            sim_gossip::run_gossip(sim_gossip::Protocol::PushPull, args, out)
        }
        Command::Sim(SimCommand::Broadcast(args)) => sim_broadcast::run(args, out),
        Command::Sim(SimCommand::Bench(args)) => sim_bench::run_bench(args, out),
        Command::Cluster(ClusterCommand::Run(args)) => cluster_run::run(args, out),
        Command::Cluster(ClusterCommand::Costs(args)) => cluster_costs::run(args, out),
        Command::Net(NetCommand::Create(args)) => net::create(args, out),
        Command::Net(NetCommand::Run(args)) => net::run(args, out),
        Command::Net(NetCommand::Up(args)) => net::up(args, out),
        Command::Net(NetCommand::Report(args)) => net::report(args, out),
        Command::Net(NetCommand::Cluster(args)) => net_cluster::run(args, out),
        Command::Demo(args) => demo::run(args, out),
    }
}
