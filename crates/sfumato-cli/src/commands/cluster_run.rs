//! `sfumato cluster run`: Chiaroscuro's private k-means on simulated
//! participants, and the evaluation of §6 — per iteration the intra-cluster
//! inertia before and after perturbation (an oracle computed from the true
//! data, which no participant has), the inter-cluster inertia and the live
//! centroids; the same for Lloyd's k-means and for the paper's centralized
//! perturbed k-means from the same initial centroids.

use std::path::Path;
use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::Serialize;
use serde_json::json;
use sfumato_crypto::dj::{PrivateKey, ShortExponentEncryptor};
use sfumato_dp::Epsilon;
use sfumato_protocol::chiaroscuro::packing::{
    DEPTH_PER_PERIOD, chiaroscuro_layout, depth_allowance,
};
use sfumato_protocol::chiaroscuro::params::periods_for_exchanges;
use sfumato_protocol::chiaroscuro::{
    AdditiveScheme, Baselines, ChiaroscuroEvent, ChiaroscuroParams, DamgardJurik, DpInit,
    InsecureKeyShare, InsecurePlaintext, KMEANS_PP_RESTARTS, Participant, Quality, Shared,
    SmoothingMode, baselines, inertia, lloyd_step,
};
use sfumato_protocol::gossip::PeerSampling;
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::chiaroscuro::{ChiaroscuroProbe, ChiaroscuroSummary};
use sfumato_sim::chiaroscuro_phases::{Disconnections, Watched};
use sfumato_sim::{Faults, LatencyModel, Metrics, Mode, ProgressFn, RunInfo, SimConfig};
use sfumato_traces::synthetic::{Dataset, cer_like, from_csv, numed_like, points_2d};

use crate::cli_cluster::{ClusterRunArgs, EncryptionArg, InitArg, SmoothingModeArg, SyntheticArg};
use crate::commands::sim_runtime::{config, describe_workers, progress};
use crate::error::CliError;
use crate::output::{Output, ReportExtra, human_bytes, number};
use crate::progress::Progress;

/// One gossip period of the simulated participants.
pub(crate) const PERIOD: Time = Time::from_millis(10);

/// The data a run clusters, and where its initial centroids come from.
pub(crate) struct Data {
    pub(crate) name: String,
    pub(crate) set: Dataset,
    /// The initial centroids; with DP initialisation, the one centroid of
    /// iteration 0 (the range's centre: every participant joins it).
    pub(crate) initial: Vec<Vec<f64>>,
    /// DP initialisation into k centroids.
    pub(crate) dp_init: bool,
    /// How the initial centroids were chosen, for the report.
    pub(crate) init: &'static str,
}

/// Reads or generates the data and the initial centroids.
pub(crate) fn data(args: &ClusterRunArgs) -> Result<Data, CliError> {
    let k = u64::from(args.k);
    let seed = args.runtime.seed;
    if args.synthetic.is_some() && args.range.is_some() {
        return Err(CliError::usage(
            "--range applies to --input only: a synthetic data set has its own range",
        ));
    }
    let init = match (args.init, &args.initial, &args.input) {
        (_, Some(_), _) => None,
        (Some(i), None, _) => Some(i),
        (None, None, Some(_)) => Some(InitArg::Dp),
        (None, None, None) => Some(InitArg::Generator),
    };
    if init == Some(InitArg::Generator) && args.input.is_some() {
        return Err(CliError::usage(
            "--init generator needs --synthetic: a file has no generator (use dp or range)",
        ));
    }
    let (name, mut set, initial) = match (&args.input, args.synthetic) {
        (Some(path), _) => {
            let range = parse_range(args.range.as_deref().unwrap_or(""))?;
            let mut set = from_csv(path, range)?;
            if let Some(p) = args.participants {
                if p as usize > set.rows.len() {
                    return Err(CliError::usage(format!(
                        "--participants {p}: {} has only {} rows",
                        path.display(),
                        set.rows.len()
                    )));
                }
                set.rows.truncate(p as usize);
            }
            let initial = match (&args.initial, init) {
                (Some(f), _) => from_csv(f, range)?.rows,
                (None, Some(InitArg::Range)) => {
                    uniform_centroids(k, set.rows[0].len(), range, seed)
                }
                _ => Vec::new(),
            };
            (path.display().to_string(), set, initial)
        }
        (None, Some(kind)) => {
            let p = u64::from(args.participants.unwrap_or(10_000));
            let make = |count: u64, s: u64| match kind {
                SyntheticArg::Cer => cer_like(count, s),
                SyntheticArg::Numed => numed_like(count, s),
                SyntheticArg::Points2d => points_2d(count, s),
            };
            let set = make(p, seed)?;
            // Initial centroids from the generator under another seed, as
            // the paper drew CER's from a generator (§6.1.3): public, and
            // no participant's data.
            let initial = match (&args.initial, init) {
                (Some(f), _) => from_csv(f, set.range)?.rows,
                (None, Some(InitArg::Generator)) => make(k, seed ^ 0x1417_1a1c_0000_0001)?.rows,
                (None, Some(InitArg::Range)) => {
                    uniform_centroids(k, set.rows[0].len(), set.range, seed)
                }
                _ => Vec::new(),
            };
            let name = match kind {
                SyntheticArg::Cer => "synthetic CER-like daily profiles",
                SyntheticArg::Numed => "synthetic NUMED-like tumour sizes",
                SyntheticArg::Points2d => "synthetic 2-D points in 50 clusters",
            };
            (name.to_string(), set, initial)
        }
        (None, None) => return Err(CliError::usage("give --input or --synthetic")),
    };
    if set.rows.len() < 2 {
        return Err(CliError::usage("at least 2 participants are needed"));
    }
    let n = set.rows[0].len();
    let dp_init = init == Some(InitArg::Dp);
    let initial = if dp_init {
        let (lo, hi) = set.range;
        vec![vec![(lo + hi) / 2.0; n]]
    } else {
        initial
    };
    if initial.len() != k as usize && args.initial.is_some() {
        return Err(CliError::usage(format!(
            "--initial has {} centroids for --k {k}",
            initial.len()
        )));
    }
    if let Some(c) = initial.iter().find(|c| c.len() != n) {
        return Err(CliError::usage(format!(
            "an initial centroid of {} values for series of {n}",
            c.len()
        )));
    }
    set.rows.shrink_to_fit();
    let init = match init {
        None => "from --initial",
        Some(InitArg::Dp) => "DP initialisation (the mean of all series, expanded into k)",
        Some(InitArg::Range) => "uniform in the declared range",
        Some(InitArg::Generator) => "drawn from the generator under another seed",
    };
    Ok(Data {
        name,
        set,
        initial,
        dp_init,
        init,
    })
}

fn parse_range(text: &str) -> Result<(f64, f64), CliError> {
    let bad = || CliError::usage(format!("--range `{text}` is not LO,HI"));
    let (lo, hi) = text.split_once(',').ok_or_else(bad)?;
    let lo: f64 = lo.trim().parse().map_err(|_| bad())?;
    let hi: f64 = hi.trim().parse().map_err(|_| bad())?;
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// k centroids uniformly in the range (a data-independent start for a file).
fn uniform_centroids(k: u64, n: usize, (lo, hi): (f64, f64), seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x0c3e_7701);
    (0..k)
        .map(|_| {
            (0..n)
                .map(|_| {
                    let u = (sfumato_dp::exact::uniform_below(&mut rng, 1 << 53) as f64)
                        / (1u64 << 53) as f64;
                    lo + u * (hi - lo)
                })
                .collect()
        })
        .collect()
}

/// The budgets of each iteration (§5.1). With DP initialisation the
/// first is the initialisation's share f of ε and the strategy allocates
/// (1 − f)·ε over the iterations after it, so the total stays within ε.
fn budgets(args: &ClusterRunArgs, dp_init: bool) -> Result<Vec<f64>, CliError> {
    let total = Epsilon::parse(&args.epsilon)
        .map_err(|e| CliError::usage(format!("--epsilon {}: {e}", args.epsilon)))?;
    if total.is_zero() {
        return Err(CliError::usage("--epsilon must be positive"));
    }
    let f = if dp_init {
        if !(args.init_budget > 0.0 && args.init_budget < 1.0) {
            return Err(CliError::usage(
                "--init-budget must be a fraction in (0, 1)",
            ));
        }
        args.init_budget
    } else {
        0.0
    };
    // Rounded down so that the parts never add up to more than ε.
    let down = 1.0 - 1e-12;
    let eps = total.to_f64_down();
    let mut out = Vec::new();
    if dp_init {
        out.push(eps * f * down);
    }
    out.extend(
        args.strategy
            .strategy(args.floor, args.iterations)
            .allocate(&total, args.iterations)?
            .iter()
            .map(|e| e.to_f64_down() * (1.0 - f) * down),
    );
    Ok(out)
}

/// The run's quality options from the command line.
fn quality(args: &ClusterRunArgs, d: &Data) -> Result<Quality, CliError> {
    let stop_noise = match args.stop_noise.trim() {
        "off" => None,
        text => match text.parse::<f64>() {
            Ok(r) if r.is_finite() && r > 0.0 => Some(r),
            _ => {
                return Err(CliError::usage(format!(
                    "--stop-noise `{text}` is not a positive ratio or `off`"
                )));
            }
        },
    };
    let (lo, hi) = d.set.range;
    Ok(Quality {
        init: d.dp_init.then_some(DpInit {
            k: args.k as usize,
            radius: 1e-3 * (hi - lo),
            seed: args.runtime.seed ^ 0x0d91_417a,
        }),
        smoothing: match args.smoothing_mode {
            SmoothingModeArg::Adaptive => SmoothingMode::Adaptive,
            SmoothingModeArg::Always => SmoothingMode::Always,
        },
        stop_noise,
    })
}

/// The periods of the correction's dissemination (§4.2.2): 2(b + 4), b the
/// bit length of P (⌈log₂ P⌉, one more for a power of two).
pub(crate) fn dissemination_periods(population: u32) -> u32 {
    let log2 = 32 - population.leading_zeros();
    2 * (log2 + 4)
}

/// n_ν, a lower bound on the noise shares that will be summed (App. B.1.2:
/// "the expected maximal lower bound"): 99 % of the participants expected
/// to be connected in an iteration, less five standard deviations of their
/// number when a fraction `iteration_churn` is disconnected at random.
pub(crate) fn default_noise_shares(population: u32, iteration_churn: f64) -> u64 {
    let p = f64::from(population);
    let q = 1.0 - iteration_churn;
    let connected = p * q - 5.0 * (p * q * iteration_churn).sqrt();
    (connected * 0.99).floor().max(1.0) as u64
}

/// Everything the run decided before simulating.
pub(crate) struct Plan {
    pub(crate) params: ChiaroscuroParams,
    pub(crate) n_e: u64,
    pub(crate) committee: u32,
    pub(crate) threshold: u32,
}

/// The run's plan: parameters, Theorem 3's exchanges, the committee.
pub(crate) fn plan(args: &ClusterRunArgs, d: &Data) -> Result<Plan, CliError> {
    if !(0.0..1.0).contains(&args.churn) {
        return Err(CliError::usage("--churn must be in [0, 1)"));
    }
    if !(0.0..1.0).contains(&args.iteration_churn) {
        return Err(CliError::usage("--iteration-churn must be in [0, 1)"));
    }
    if !(0.0..=1.0).contains(&args.smoothing) {
        return Err(CliError::usage("--smoothing must be a fraction in [0, 1]"));
    }
    if args.encryption == EncryptionArg::InsecurePlaintext && (args.packing || args.short_exponents)
    {
        return Err(CliError::usage(
            "--packing and --short-exponents apply to --encryption damgard-jurik only",
        ));
    }
    let population =
        u32::try_from(d.set.rows.len()).map_err(|_| CliError::usage("too many participants"))?;
    let n = d.set.rows[0].len();
    let budgets = budgets(args, d.dp_init)?;
    // Theorem 3: the data variance is at most (range / 2)².
    let (lo, hi) = d.set.range;
    let t3 = sfumato_dp::gossip::GossipParameters {
        population: u64::from(population),
        variance: ((hi - lo) / 2.0).powi(2),
        e_max: args.e_max,
    };
    let iota = sfumato_dp::gossip::iota(args.delta, budgets.len() as u64, n as u64)?;
    let n_e = t3.exchanges(iota)?;
    // A request fails if its peer is disconnected for the exchange or for
    // the whole iteration.
    let failing = 1.0 - (1.0 - args.churn) * (1.0 - args.iteration_churn);
    let exchanges = args
        .exchanges
        .unwrap_or_else(|| periods_for_exchanges(n_e, failing));
    let committee = args.committee.unwrap_or(population.min(10));
    let threshold = args.threshold.unwrap_or(committee.div_ceil(3).max(1));
    if threshold > committee {
        return Err(CliError::usage(format!(
            "--threshold {threshold} is above --committee {committee}"
        )));
    }
    let dissemination = dissemination_periods(population);
    let params = ChiaroscuroParams {
        population,
        length: n,
        range: d.set.range,
        initial: d.initial.clone(),
        budgets,
        theta: args.theta,
        smoothing: (args.smoothing > 0.0).then_some(args.smoothing),
        exchanges,
        dissemination,
        decryption: dissemination + 4 * threshold,
        period: PERIOD,
        noise_shares: args
            .noise_shares
            .unwrap_or_else(|| default_noise_shares(population, args.iteration_churn)),
        e_max: args.e_max,
        fixed_point_bits: 16,
        committee,
        noise: args.noise.into(),
        sampling: args.peers.sampling(PeerSampling::CHIAROSCURO_VIEW),
        quality: quality(args, d)?,
    };
    params.validate()?;
    Ok(Plan {
        params,
        n_e,
        committee,
        threshold,
    })
}

/// What the simulation returned.
pub(crate) struct Simulated {
    pub(crate) summary: ChiaroscuroSummary,
    pub(crate) metrics: Metrics,
    pub(crate) run: RunInfo,
    /// CPU seconds of this process spent by the participants (the run's,
    /// less the dealer's key generation).
    pub(crate) cpu_seconds: f64,
    /// Participants that combined τ partial decryptions themselves, over
    /// all iterations (the others adopted a decrypted result).
    pub(crate) decryptions: u64,
}

fn simulate<S: AdditiveScheme>(
    shared: Arc<Shared<S>>,
    shares: Vec<Arc<S::KeyShare>>,
    rows: Arc<Vec<Vec<f64>>>,
    config: &SimConfig,
    progress: Option<(Arc<Progress>, ProgressFn)>,
    disconnections: Option<Arc<Disconnections>>,
) -> Result<Option<Simulated>, CliError> {
    let callback = progress.as_ref().map(|(_, f)| f.clone());
    let shares = Arc::new(shares);
    let make = move |id: NodeId, rng: &mut NodeRng| {
        let share = shares.get(id.index()).cloned();
        let row = rows[id.index()].clone();
        Participant::new(id, Arc::clone(&shared), row, share, rng)
            .expect("parameters and rows were checked before the run")
    };
    let report = match disconnections {
        None => sfumato_sim::run(config, make, ChiaroscuroProbe, callback)?,
        Some(d) => {
            let watched =
                move |id: NodeId, rng: &mut NodeRng| Watched::new(make(id, rng), Some(d.clone()));
            sfumato_sim::run(config, watched, ChiaroscuroProbe, callback)?
        }
    };
    if let Some((bar, _)) = progress {
        bar.finish();
    }
    Ok(report.map(|r| Simulated {
        decryptions: r
            .events
            .iter()
            .filter(|e| matches!(e.event, ChiaroscuroEvent::Decrypted { .. }))
            .count() as u64,
        summary: r
            .samples
            .last()
            .map(|s| s.summary.clone())
            .unwrap_or_default(),
        metrics: r.metrics,
        run: r.run,
        cpu_seconds: 0.0,
    }))
}

/// How to run the protocol.
pub(crate) struct Setup<'a> {
    pub(crate) params: &'a ChiaroscuroParams,
    pub(crate) committee: u32,
    pub(crate) threshold: u32,
    pub(crate) encryption: EncryptionArg,
    pub(crate) key_bits: u32,
    pub(crate) short_exponents: bool,
    pub(crate) packing: bool,
    pub(crate) seed: u64,
    /// Say on stderr that a key is being generated.
    pub(crate) announce: bool,
    pub(crate) progress: Option<(Arc<Progress>, ProgressFn)>,
    /// §6.1.5's per-iteration churn, if any.
    pub(crate) disconnections: Option<Arc<Disconnections>>,
}

/// Runs the protocol on `rows` with the encryption `setup` names (for a
/// real key: generated from the seed and dealt to the committee).
pub(crate) fn execute(
    setup: &Setup<'_>,
    rows: Arc<Vec<Vec<f64>>>,
    config: &SimConfig,
) -> Result<Option<Simulated>, CliError> {
    let p = setup.params;
    let progress = setup.progress.clone();
    let cpu = sfumato_sim::memory::process_cpu_seconds;
    let mut start = cpu();
    let sim = match setup.encryption {
        EncryptionArg::InsecurePlaintext => {
            let shared = Shared::new(
                p.clone(),
                InsecurePlaintext {
                    threshold: setup.threshold,
                },
            )?;
            let shares = (1..=setup.committee)
                .map(|i| Arc::new(InsecureKeyShare(i)))
                .collect();
            simulate(
                shared,
                shares,
                rows,
                config,
                progress,
                setup.disconnections.clone(),
            )
        }
        EncryptionArg::DamgardJurik => {
            let mut rng = ChaCha20Rng::seed_from_u64(setup.seed ^ 0x00d1_5ea1);
            if setup.announce {
                eprintln!("generating a {}-bit threshold key…", setup.key_bits);
            }
            let sk = PrivateKey::generate(&mut rng, setup.key_bits, 1, 2, &|_| {})?;
            let (tpk, shares) = sk.deal(setup.committee, setup.threshold, &mut rng)?;
            drop(sk);
            start = cpu();
            let layout = if setup.packing {
                Some(chiaroscuro_layout(&tpk, p)?)
            } else {
                None
            };
            if let (Some(l), true) = (&layout, setup.announce) {
                eprintln!(
                    "packing {} values of {}-bit slots a plaintext ({} ciphertexts a vector of {})",
                    l.slots(),
                    l.slot_bits(),
                    l.plaintexts_needed(p.vector_len()),
                    p.vector_len()
                );
            }
            let scheme = if setup.short_exponents {
                let fast = ShortExponentEncryptor::new(tpk.public(), &mut rng);
                DamgardJurik::with_short_exponents(Arc::new(tpk), fast)
            } else {
                DamgardJurik::new(Arc::new(tpk))
            };
            let scheme = match layout {
                Some(l) => scheme.with_packing(l)?,
                None => scheme,
            };
            let shared = Shared::new(p.clone(), scheme)?;
            simulate(
                shared,
                shares.into_iter().map(Arc::new).collect(),
                rows,
                config,
                progress,
                setup.disconnections.clone(),
            )
        }
    }?;
    Ok(sim.map(|mut s| {
        s.cpu_seconds = cpu() - start;
        s
    }))
}

/// One iteration's figures.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct IterationRow {
    pub(crate) iteration: u32,
    pub(crate) epsilon: f64,
    /// Centroids entering the iteration.
    pub(crate) centroids_in: usize,
    /// Intra-cluster inertia of the clustering they induce, by its exact
    /// means (before perturbation).
    pub(crate) intra_before: f64,
    /// Intra-cluster inertia by the published means (after perturbation).
    pub(crate) intra_after: Option<f64>,
    /// Inter-cluster inertia by the published means.
    pub(crate) inter_after: Option<f64>,
    /// Published means that survived.
    pub(crate) centroids_out: Option<usize>,
    /// Participants holding the published result.
    pub(crate) participants_with_result: u64,
    /// Different results held (1: everyone agrees).
    pub(crate) results: usize,
    /// The root's estimate of the participants and the surplus shares removed.
    pub(crate) participants_estimate: Option<f64>,
    pub(crate) removed_shares: Option<u64>,
}

/// Runs the command.
pub(crate) fn run(args: &ClusterRunArgs, out: &mut Output) -> Result<(), CliError> {
    crate::commands::store_run::check(args.store.as_ref())?;
    let d = data(args)?;
    let plan = plan(args, &d)?;
    let p = &plan.params;
    let until = p.end(p.max_iterations());
    let mode = Mode::VirtualTime {
        tick: Time::from_millis(1),
        until,
        latency: LatencyModel::Fixed(Time::from_millis(1)),
        sample_every: until,
    };
    let faults = Faults {
        churn: args.churn,
        ..Faults::none()
    };
    let config = config(&args.runtime, p.population, mode, faults)?;
    let rows = Arc::new(d.set.rows.clone());
    let started = std::time::Instant::now();
    let simulated = execute(
        &Setup {
            params: p,
            committee: plan.committee,
            threshold: plan.threshold,
            encryption: args.encryption,
            key_bits: args.key_bits,
            short_exponents: args.short_exponents,
            packing: args.packing,
            seed: args.runtime.seed,
            announce: !args.runtime.quiet,
            progress: progress(&args.runtime, "chiaroscuro", config.mode.last_tick() + 1),
            disconnections: (args.iteration_churn > 0.0).then(|| {
                Arc::new(Disconnections {
                    probability: args.iteration_churn,
                    seed: args.runtime.seed,
                    // The weight origin (participant 0) and the key holders.
                    spared: (0..plan.committee).collect(),
                })
            }),
        },
        rows,
        &config,
    )?;
    let Some(sim) = simulated else {
        // Another process of a cluster run reports.
        return Ok(());
    };
    let simulated_seconds = started.elapsed().as_secs_f64();
    report(
        args,
        &d,
        &plan,
        &sim,
        simulated_seconds,
        &describe_workers(&config),
        None,
        out,
    )
}

/// Prints the report of run `sim` of `plan` on data `d` (from the
/// simulator or, with `extra`, another runtime): per iteration the
/// inertia before and after the noise beside the centralized and Lloyd
/// references, the result against k-means++ and DPLloyd, and the
/// participants' counters. `workers` says what ran it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn report(
    args: &ClusterRunArgs,
    d: &Data,
    plan: &Plan,
    sim: &Simulated,
    simulated_seconds: f64,
    workers: &str,
    extra: Option<ReportExtra>,
    out: &mut Output,
) -> Result<(), CliError> {
    let p = &plan.params;
    let secure = args.encryption == EncryptionArg::DamgardJurik;
    let rows = evaluate(d, p, &sim.summary);
    let refs = references(d, p, &sim.summary, args)?;
    if let Some(path) = &args.centroids_out {
        write_centroids(path, &sim.summary)?;
    }
    let lloyd = &refs.lloyd;
    let centralized = &refs.centralized;
    let best = |xs: &mut dyn Iterator<Item = f64>| xs.fold(f64::INFINITY, f64::min);
    let best_private = best(&mut rows.iter().map(|r| r.intra_before));
    let best_private_post = best(&mut rows.iter().filter_map(|r| r.intra_after));
    let best_central = best(&mut centralized.iter().map(|r| r.intra_before));
    let best_central_post = best(&mut centralized.iter().map(|r| r.intra_after));
    let best_lloyd = best(&mut lloyd.iter().map(|r| r.intra_before));
    let full = inertia(&d.set.rows, &d.initial).full;
    let last = rows
        .iter()
        .rev()
        .find(|r| r.intra_after.is_some() && r.centroids_out.unwrap_or(0) > 0);
    let participants = f64::from(p.population);
    let scheme = if secure {
        format!(
            "threshold damgard-jurik, {}-bit modulus, {}{}",
            args.key_bits,
            if args.short_exponents {
                "short-exponent encryption (DJN 2010)"
            } else {
                "full-randomness encryption"
            },
            if args.packing { ", packed" } else { "" }
        )
    } else {
        "INSECURE plaintext stand-in (nothing was encrypted)".to_string()
    };
    let runtime_extra = extra;
    let doc = {
        let extra = json!({
        "best_intra_post": {"chiaroscuro": best_private_post, "centralized_perturbed": best_central_post},
        "init": d.init,
        "init_budget": d.dp_init.then_some(args.init_budget),
        "smoothing_mode": format!("{:?}", p.quality.smoothing),
        "stop_noise": p.quality.stop_noise,
        "result": last.map(|r| json!({
        "iteration": r.iteration + 1,
        "centroids": r.centroids_out,
        "intra": r.intra_after,
        })),
        "kmeans_pp": refs.kmeans_pp.map(|q| json!({"intra": q, "restarts": KMEANS_PP_RESTARTS})),
        "dp_lloyd": {
        "algorithm": "DPLloyd (Su et al. 2016) as diffprivlib 0.6 KMeans implements it",
        "iterations": refs.dp_lloyd.iterations,
        "intra": refs.dp_lloyd.intra,
        "centroids_used": refs.dp_lloyd.used,
        },
        });
        let mut doc = json!({
            "data": d.name,
            "participants": p.population,
            "length": p.length,
            "range": [p.range.0, p.range.1],
            "clipped_values": d.set.clipped,
            "k": p.k(),
            "encryption": if secure { "damgard-jurik" } else { "insecure-plaintext" },
            "secure": secure,
            "key_bits": secure.then_some(args.key_bits),
            "short_exponents": secure && args.short_exponents,
            "packing": secure && args.packing,
            "committee": plan.committee,
            "threshold": plan.threshold,
            "epsilon": args.epsilon,
            "delta": args.delta,
            "strategy": format!("{:?}", args.strategy),
            "budgets": p.budgets,
            "n_e": plan.n_e,
            "periods": {"sum": p.exchanges, "correction": p.dissemination, "decryption": p.decryption},
            "noise_shares": p.noise_shares,
            "noise": format!("{:?}", p.noise),
            "churn": args.churn,
            "iteration_churn": args.iteration_churn,
            "peers": format!("{:?}", p.sampling),
            "full_inertia": full,
            "iterations": rows,
            "lloyd": lloyd,
            "centralized_perturbed": centralized,
            "best_intra": {"chiaroscuro": best_private, "centralized_perturbed": best_central, "lloyd": best_lloyd},
            "status": sim.summary.status,
            "exchanges": sim.summary.stats,
            "depth_allowed": depth_allowance(p),
            "messages_per_participant": sim.summary.messages as f64 / participants,
            "bytes_per_participant": sim.summary.bytes as f64 / participants,
            "metrics": sim.metrics,
            "wall_seconds": simulated_seconds,
            "peak_memory_bytes": sim.run.peak_memory_bytes,
            "cpu_seconds": sim.cpu_seconds,
            "decryptions": sim.decryptions,
            "cpu_seconds_per_participant": sim.cpu_seconds / participants,
            "workers": workers,
        });
        if let (Some(doc), serde_json::Value::Object(extra)) = (doc.as_object_mut(), extra) {
            doc.extend(extra);
        }
        if let (Some(doc), Some(e)) = (doc.as_object_mut(), runtime_extra.as_ref()) {
            doc.insert("command".into(), json!(e.command));
            doc.extend(e.json.clone());
        }
        doc
    };
    let stored = match &args.store {
        Some(path) => Some(crate::commands::store_run::cluster(
            path,
            args,
            d,
            &plan.params,
            &sim.summary,
            &rows,
            &doc,
        )?),
        None => None,
    };
    if crate::commands::store_run::announce(out, doc, stored.zip(args.store.as_deref()))? {
        return Ok(());
    }
    out.line(format!(
        "Chiaroscuro: {} participants ({}), n = {}, range [{}, {}], {} values clipped",
        p.population,
        d.name,
        p.length,
        number(p.range.0),
        number(p.range.1),
        d.set.clipped
    ))?;
    out.line(format!("encryption: {scheme}"))?;
    out.line(format!(
        "initial centroids: {}; smoothing {:?}; stop rule {}",
        d.init,
        p.quality.smoothing,
        p.quality.stop_noise.map_or("off".to_string(), |r| format!(
            "at {r} of the inter-cluster inertia"
        ))
    ))?;
    out.line(format!(
        "k = {}, ε = {} ({:?}: {}), δ = {}, n_ν = {} {:?} shares, key holders {} (τ = {})",
        p.k(),
        args.epsilon,
        args.strategy,
        p.budgets
            .iter()
            .map(|e| format!("{e:.4}"))
            .collect::<Vec<_>>()
            .join(" "),
        args.delta,
        p.noise_shares,
        p.noise,
        plan.committee,
        plan.threshold
    ))?;
    out.line(format!(
        "gossip: n_e = {} (Theorem 3, e_max = {}) → {} EESum periods, {} correction, {} decryption; churn {}; peers {:?}",
        plan.n_e, args.e_max, p.exchanges, p.dissemination, p.decryption, args.churn, p.sampling
    ))?;
    if args.iteration_churn > 0.0 {
        out.line(format!(
            "iteration churn {}: each iteration, each participant but the key holders is disconnected \
             with this probability (§6.1.5) — excluded from the sums, it only fetches the result",
            args.iteration_churn
        ))?;
    }
    out.line("")?;
    out.line(format!(
        "{:>4} {:>8} {:>5} {:>12} {:>12} {:>12} {:>5} {:>10} | {:>12} {:>12} {:>5} | {:>12}",
        "it",
        "ε_i",
        "k_in",
        "intra pre",
        "intra post",
        "inter post",
        "k_out",
        "with res.",
        "central pre",
        "central post",
        "k",
        "Lloyd"
    ))?;
    for (i, r) in rows.iter().enumerate() {
        let c = centralized.get(i);
        let opt = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.3}"));
        out.line(format!(
            "{:>4} {:>8.4} {:>5} {:>12.3} {:>12} {:>12} {:>5} {:>10} | {:>12} {:>12} {:>5} | {:>12}",
            r.iteration + 1,
            r.epsilon,
            r.centroids_in,
            r.intra_before,
            opt(r.intra_after),
            opt(r.inter_after),
            r.centroids_out.map_or("—".into(), |k| k.to_string()),
            r.participants_with_result,
            opt(c.map(|c| c.intra_before)),
            opt(c.map(|c| c.intra_after)),
            c.map_or("—".into(), |c| c.centroids.to_string()),
            opt(lloyd.get(i).map(|l| l.intra_before)),
        ))?;
    }
    out.line("")?;
    out.line(format!(
        "full inertia {full:.3}; best intra-cluster inertia pre / post: Chiaroscuro {best_private:.3} / \
         {best_private_post:.3}, centralized perturbed {best_central:.3} / {best_central_post:.3}, \
         Lloyd {best_lloyd:.3}",
    ))?;
    let against = |x: f64, reference: f64| format!("{:.2}×", x / reference);
    match last {
        Some(r) => {
            let q = r.intra_after.unwrap_or(f64::NAN);
            out.line(format!(
                "result: iteration {}'s {} centroids, intra-cluster inertia {q:.3} — {} k-means++ \
                 (non-private, best of {KMEANS_PP_RESTARTS}: {}), {} Lloyd from the same start, {} \
                 DPLloyd as diffprivlib does it (centralized, {} iterations: {:.3}, {} of {} centroids used)",
                r.iteration + 1,
                r.centroids_out.unwrap_or(0),
                refs.kmeans_pp.map_or("—".into(), |k| against(q, k)),
                refs.kmeans_pp.map_or("—".into(), |k| format!("{k:.3}")),
                against(q, best_lloyd),
                against(q, refs.dp_lloyd.intra),
                refs.dp_lloyd.iterations,
                refs.dp_lloyd.intra,
                refs.dp_lloyd.used,
                p.k(),
            ))?;
        }
        None => out.line("result: no iteration published centroids")?,
    }
    let s = &sim.summary.stats;
    out.line(format!(
        "per participant: {:.1} messages, {}; EESum exchanges {} completed, {} refused, {} late; errors {}; \
         {} combined τ partial decryptions themselves",
        sim.summary.messages as f64 / participants,
        human_bytes((sim.summary.bytes as f64 / participants) as u64),
        s.sum_exchanges,
        s.sum_refused,
        s.stale,
        s.errors,
        sim.decryptions
    ))?;
    out.line(format!(
        "deepest chain of exchanges behind a mean: {} (packing allows {} = {DEPTH_PER_PERIOD} × {} EESum periods); \
         {} exchanges refused as too deep",
        s.deepest,
        depth_allowance(p),
        p.exchanges,
        s.too_deep
    ))?;
    out.line(format!(
        "stopped: {}",
        sim.summary
            .status
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    match runtime_extra {
        Some(e) => {
            for l in e.lines {
                out.line(l)?;
            }
        }
        None => out.line(format!(
            "simulated in {:.1} s on {}, {:.1} s of CPU ({:.3} s per participant), peak memory {}",
            simulated_seconds,
            workers,
            sim.cpu_seconds,
            sim.cpu_seconds / participants,
            human_bytes(sim.run.peak_memory_bytes)
        ))?,
    }
    if !secure {
        out.line("WARNING: insecure plaintext stand-in — nothing was encrypted")?;
    }
    Ok(())
}

/// Runs the baselines on the true data (oracles no participant has).
pub(crate) fn references(
    d: &Data,
    p: &ChiaroscuroParams,
    s: &ChiaroscuroSummary,
    args: &ClusterRunArgs,
) -> Result<Baselines, CliError> {
    // With DP initialisation, the same start as the protocol's first
    // clustering iteration.
    let start = d.dp_init.then(|| {
        s.iterations
            .first()
            .and_then(|i| i.result.as_ref())
            .map(|r| r.centroids.clone())
            .unwrap_or_else(|| d.initial.clone())
    });
    let total = Epsilon::parse(&args.epsilon)
        .map_err(|e| CliError::usage(format!("--epsilon {}: {e}", args.epsilon)))?
        .to_f64_down();
    Ok(baselines(
        &d.set.rows,
        p,
        start.as_deref(),
        args.k as usize,
        total,
        args.runtime.seed,
    )?)
}

/// The oracle's figures per iteration.
pub(crate) fn evaluate(
    d: &Data,
    p: &ChiaroscuroParams,
    s: &ChiaroscuroSummary,
) -> Vec<IterationRow> {
    let mut centroids = d.initial.clone();
    let mut out = Vec::new();
    for (i, seen) in s.iterations.iter().enumerate() {
        // The exact means of the clustering the centroids induce: a Lloyd step.
        let before = inertia(&d.set.rows, &lloyd_step(&d.set.rows, &centroids));
        let result = seen.result.as_ref();
        let after = result
            .filter(|r| !r.centroids.is_empty())
            .map(|r| inertia(&d.set.rows, &r.centroids));
        out.push(IterationRow {
            iteration: i as u32,
            epsilon: p.budgets.get(i).copied().unwrap_or(0.0),
            centroids_in: centroids.len(),
            intra_before: before.intra,
            intra_after: after.map(|a| a.intra),
            inter_after: after.map(|a| a.inter),
            centroids_out: result.map(|r| r.centroids.len()),
            participants_with_result: seen.by_root.values().sum(),
            results: seen.by_root.len(),
            participants_estimate: result.map(|r| r.participants),
            removed_shares: result.map(|r| r.removed_shares),
        });
        match result {
            Some(r) if !r.centroids.is_empty() => centroids = r.centroids.clone(),
            _ => break,
        }
    }
    out
}

fn write_centroids(path: &Path, s: &ChiaroscuroSummary) -> Result<(), CliError> {
    let last = s
        .iterations
        .iter()
        .rev()
        .find_map(|i| i.result.as_ref())
        .ok_or_else(|| CliError::usage("no iteration published centroids to write"))?;
    let mut text = String::new();
    for c in &last.centroids {
        let row: Vec<String> = c.iter().map(|v| format!("{v}")).collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    std::fs::write(path, text)
        .map_err(|e| CliError::usage(format!("cannot write {}: {e}", path.display())))
}
