//! The generated population against published ranges: annual consumption by
//! household size, morning and evening peaks, a night base load, and
//! per-appliance rows that sum to the total. Figures are printed with
//! `cargo test -p sfumato-traces --test calibration -- --nocapture`.

use sfumato_traces::generator::{
    Generator, GeneratorOptions, LIGHTING, PopulationPlan, generate_population,
};
use sfumato_traces::model::Model;
use sfumato_traces::{Date, DayProfile, Resolution};

/// Households × sampled days: every 7th day of a year (52 days, each weekday
/// equally often, every season).
const HOUSEHOLDS: u64 = 600;
const DAY_STEP: i32 = 7;

struct Sample {
    /// (residents, annual-equivalent kWh) per household.
    annual: Vec<(u8, f64)>,
    /// Mean kW by hour over all household-days.
    hourly_kw: [f64; 24],
    /// kWh by appliance name over the sample.
    by_part: std::collections::BTreeMap<String, f64>,
    total_kwh: f64,
}

fn sample(seed: u64) -> Sample {
    let options = GeneratorOptions {
        resolution: Resolution::HOUR,
        per_appliance: true,
        ..Default::default()
    };
    let g = Generator::new(Model::builtin().unwrap(), options, seed).unwrap();
    let start: Date = "2023-01-02".parse().unwrap();
    let days: Vec<Date> = (0..52).map(|i| start.add_days(i * DAY_STEP)).collect();
    let weather: Vec<_> = days.iter().map(|&d| g.weather(d)).collect();
    let mut s = Sample {
        annual: vec![],
        hourly_kw: [0.0; 24],
        by_part: Default::default(),
        total_kwh: 0.0,
    };
    let mut n_days = 0.0;
    for k in 0..HOUSEHOLDS {
        let h = g.household(k);
        let mut kwh = 0.0;
        for (d, w) in days.iter().zip(&weather) {
            let rows = g.day(&h, *d, w);
            let (total, parts) = rows.split_first().unwrap();
            check_parts_sum(total, parts);
            kwh += total.total_kwh();
            for (i, v) in total.values.iter().enumerate() {
                s.hourly_kw[i] += v;
            }
            n_days += 1.0;
            for p in parts {
                *s.by_part.entry(p.appliance.clone().unwrap()).or_default() += p.total_kwh();
            }
        }
        s.total_kwh += kwh;
        s.annual
            .push((h.size() as u8, kwh / days.len() as f64 * 365.25));
    }
    for v in &mut s.hourly_kw {
        *v /= n_days;
    }
    s
}

fn check_parts_sum(total: &DayProfile, parts: &[DayProfile]) {
    assert_eq!(total.appliance.as_deref(), Some("total"));
    assert_eq!(parts.last().unwrap().appliance.as_deref(), Some(LIGHTING));
    for j in 0..total.values.len() {
        let sum: f64 = parts.iter().map(|p| p.values[j]).sum();
        assert!(
            (sum - total.values[j]).abs() < 1e-9,
            "slot {j}: {sum} vs {}",
            total.values[j]
        );
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn population_matches_published_ranges() {
    let s = sample(2024);
    println!("annual-equivalent kWh by household size (n, median, mean):");
    let mut medians = vec![];
    for size in 1..=5u8 {
        let v: Vec<f64> = s
            .annual
            .iter()
            .filter(|(n, _)| *n == size)
            .map(|(_, k)| *k)
            .collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let med = median(v.clone());
        println!("  {size}: {:4} {med:7.0} {mean:7.0}", v.len());
        medians.push(med);
    }
    println!(
        "mean kW by hour: {:?}",
        s.hourly_kw.map(|x| (x * 1000.0).round() / 1000.0)
    );
    println!("share of energy by appliance:");
    let mut parts: Vec<_> = s.by_part.iter().collect();
    parts.sort_by(|a, b| b.1.total_cmp(a.1));
    for (name, kwh) in parts {
        println!("  {name:24} {:5.1} %", 100.0 * kwh / s.total_kwh);
    }

    // UK typical annual use: about 1,800 kWh (1 resident) to 5,500 kWh
    // (large households), rising with size.
    assert!(
        (1_500.0..2_800.0).contains(&medians[0]),
        "1 resident: {}",
        medians[0]
    );
    assert!(
        (3_800.0..6_000.0).contains(&medians[4]),
        "5 residents: {}",
        medians[4]
    );
    assert!(medians.windows(2).all(|w| w[0] < w[1]), "{medians:?}");
    let all = median(s.annual.iter().map(|a| a.1).collect());
    assert!((2_300.0..3_800.0).contains(&all), "all households: {all}");

    // Shape: a morning peak (06–10) above the night, an evening peak
    // (17–22) that is the day's maximum, and a night base load (02–05) of
    // cold appliances and standby well below the evening but not zero.
    let kw = &s.hourly_kw;
    let peak_hour = (0..24).max_by(|&a, &b| kw[a].total_cmp(&kw[b])).unwrap();
    assert!(
        (17..=21).contains(&peak_hour),
        "evening peak at {peak_hour}:00"
    );
    let night = (kw[2] + kw[3] + kw[4]) / 3.0;
    let morning = kw[6..10].iter().cloned().fold(0.0, f64::max);
    let midday = kw[11..15].iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(morning > 1.4 * night, "morning {morning} vs night {night}");
    assert!(
        kw[peak_hour] > 2.0 * night,
        "evening {} vs night {night}",
        kw[peak_hour]
    );
    assert!((0.08..0.35).contains(&night), "night base load {night} kW");
    assert!(midday < kw[peak_hour], "midday {midday}");

    // Cold appliances and lighting carry plausible shares.
    let share = |name: &str| s.by_part.get(name).copied().unwrap_or(0.0) / s.total_kwh;
    let cold: f64 = [
        "fridge_freezer",
        "refrigerator",
        "chest_freezer",
        "upright_freezer",
    ]
    .iter()
    .map(|n| share(n))
    .sum();
    assert!((0.08..0.25).contains(&cold), "cold {cold}");
    assert!(
        (0.05..0.20).contains(&share(LIGHTING)),
        "lighting {}",
        share(LIGHTING)
    );
}

#[test]
fn generation_is_deterministic_and_independent_of_batching() {
    let options = GeneratorOptions {
        resolution: "10m".parse().unwrap(),
        ..Default::default()
    };
    let g = Generator::new(Model::builtin().unwrap(), options, 7).unwrap();
    let start: Date = "2023-03-20".parse().unwrap();
    let collect = |first: u64, households: u64, days: u32, threads: usize| {
        let plan = PopulationPlan {
            first_household: first,
            households,
            start,
            days,
        };
        let mut rows = Vec::new();
        generate_population(
            &g,
            &plan,
            threads,
            |batch| {
                rows.extend_from_slice(batch);
                Ok(())
            },
            |_| {},
        )
        .unwrap();
        rows
    };
    let big = collect(0, 50, 3, 2);
    let small = collect(10, 5, 3, 1);
    assert_eq!(big.len(), 150);
    assert_eq!(
        &big[30..45],
        &small[..],
        "households 10–14 differ when generated alone"
    );
    // Day 2 of a household is the same whether generated alone.
    let one_day = collect(10, 1, 1, 1);
    assert_eq!(big[30], one_day[0]);
    let later = {
        let plan = PopulationPlan {
            first_household: 10,
            households: 1,
            start: start.add_days(2),
            days: 1,
        };
        let mut rows = Vec::new();
        generate_population(
            &g,
            &plan,
            3,
            |b| {
                rows.extend_from_slice(b);
                Ok(())
            },
            |_| {},
        )
        .unwrap();
        rows
    };
    assert_eq!(big[32], later[0]);
    // Another seed gives another population.
    let g2 = Generator::new(
        Model::builtin().unwrap(),
        GeneratorOptions {
            resolution: "10m".parse().unwrap(),
            ..Default::default()
        },
        8,
    )
    .unwrap();
    assert_ne!(
        g2.day(&g2.household(10), start, &g2.weather(start)),
        g.day(&g.household(10), start, &g.weather(start))
    );
}

#[test]
fn hvac_adds_cooling_in_a_hot_climate() {
    let base = GeneratorOptions {
        resolution: Resolution::HOUR,
        per_appliance: true,
        climate: "us".into(),
        ..Default::default()
    };
    let with = Generator::new(
        Model::builtin().unwrap(),
        GeneratorOptions {
            hvac: true,
            ..base.clone()
        },
        3,
    )
    .unwrap();
    let without = Generator::new(Model::builtin().unwrap(), base, 3).unwrap();
    let july: Date = "2023-07-18".parse().unwrap();
    let (mut cooling, mut total_with, mut total_without) = (0.0, 0.0, 0.0);
    for k in 0..300 {
        for row in with.day(&with.household(k), july, &with.weather(july)) {
            match row.appliance.as_deref() {
                Some("total") => total_with += row.total_kwh(),
                Some(n) if n.contains("air_conditioner") || n == "furnace_fan" => {
                    cooling += row.total_kwh()
                }
                _ => {}
            }
        }
        total_without +=
            without.day(&without.household(k), july, &without.weather(july))[0].total_kwh();
    }
    assert!(
        cooling > 0.1 * total_with,
        "cooling {cooling} of {total_with}"
    );
    assert!((total_with - cooling - total_without).abs() < 1e-6 * total_with);
}
