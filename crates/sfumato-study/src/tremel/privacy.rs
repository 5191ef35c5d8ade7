//! Differential privacy of the Byzantine-tolerant queries (Tremel §6.6,
//! docs/tremel-bft.md): the noise plan the owner broadcasts with each query,
//! and the privacy ledger of a study.

use serde::{Deserialize, Serialize};
use sfumato_dp::calibrate::exact_scale;
use sfumato_dp::rational::parse_rational;
use sfumato_dp::{Accountant, Epsilon};
use sfumato_protocol::tremel::noise::{FieldNoise, NoisePlan, band};
use sfumato_protocol::tremel::{Aggregate, QuerySpec};

use crate::error::{Result, StudyError};

/// The privacy parameters of a deployment's queries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Privacy {
    /// ε of the answer (`ε_sum`), split evenly over the summed fields.
    pub epsilon_sum: String,
    /// ε of one record a Byzantine proxy glimpses (`ε_rec`), split alike.
    pub epsilon_record: String,
    /// The probability β that an honest tuple falls outside the pollution
    /// filter's band.
    pub beta: f64,
    /// Honest meters the aggregate shares are calibrated for; `None` for
    /// `meters − t`.
    pub parties: Option<u64>,
}

fn epsilon(text: &str, what: &str) -> Result<Epsilon> {
    let e = Epsilon::parse(text).map_err(|e| StudyError::usage(format!("{what} `{text}`: {e}")))?;
    if e.is_zero() {
        return Err(StudyError::usage(format!("{what} must be positive")));
    }
    Ok(e)
}

impl Privacy {
    /// `ε_sum`, `ε_rec` as decimal or rational text, β = 10⁻⁹.
    pub fn new(epsilon_sum: &str, epsilon_record: &str) -> Result<Privacy> {
        let p = Privacy {
            epsilon_sum: epsilon_sum.to_string(),
            epsilon_record: epsilon_record.to_string(),
            beta: 1e-9,
            parties: None,
        };
        p.per_query()?;
        Ok(p)
    }

    /// What one query spends of a household's budget: `ε_sum + ε_rec`.
    pub fn per_query(&self) -> Result<Epsilon> {
        Ok(epsilon(&self.epsilon_sum, "ε_sum")?.add(&epsilon(&self.epsilon_record, "ε_rec")?))
    }

    /// The noise plan of `spec` for `meters` meters and `t` faults: per
    /// summed field of range `[lo, hi]` (sensitivity `hi − lo`, an excluded
    /// meter contributing 0 inside the range), `λ = F·Δ/ε` for `F` summed
    /// fields, and the band of [`band`].
    pub fn noise_plan(&self, spec: &QuerySpec, meters: u64, t: u32) -> Result<NoisePlan> {
        let mut summed: Vec<u16> = spec
            .aggregates
            .iter()
            .filter_map(|a| match a {
                Aggregate::Sum(f) => Some(*f),
                _ => None,
            })
            .collect();
        summed.sort_unstable();
        summed.dedup();
        if summed.is_empty() {
            return Err(StudyError::usage(
                "a differentially private query needs a sum (sum:FIELD)",
            ));
        }
        let k = summed.len() as u64;
        let eps_sum = epsilon(&self.epsilon_sum, "ε_sum")?;
        let eps_rec = epsilon(&self.epsilon_record, "ε_rec")?;
        let mut fields = Vec::new();
        for f in summed {
            let r = spec.ranges.iter().find(|r| r.field == f).ok_or_else(|| {
                StudyError::usage(format!(
                    "field {f} is summed with noise: give its range (--range FIELD:LO:HI)"
                ))
            })?;
            let lo = r.lo.min(0);
            let hi = r.hi.max(0);
            let width = u64::try_from(i128::from(hi) - i128::from(lo))
                .map_err(|_| StudyError::usage("a range too wide"))?
                .max(1);
            let sens = parse_rational(&(u128::from(width) * u128::from(k)).to_string())
                .map_err(|e| StudyError::usage(e.to_string()))?;
            let bad = |e: sfumato_dp::DpError| StudyError::usage(e.to_string());
            let sum = exact_scale(&sens, &eps_sum).map_err(bad)?;
            let rec = exact_scale(&sens, &eps_rec).map_err(bad)?;
            fields.push(FieldNoise {
                field: f,
                sum_scale: (sum.numerator(), sum.denominator()),
                record_scale: (rec.numerator(), rec.denominator()),
                band: band(sum.to_f64(), rec.to_f64(), self.beta),
            });
        }
        let parties = self
            .parties
            .unwrap_or_else(|| meters.saturating_sub(u64::from(t)))
            .max(1);
        let plan = NoisePlan {
            parties,
            meters,
            fields,
        };
        spec.check_noise(&plan)
            .map_err(|e| StudyError::usage(e.to_string()))?;
        Ok(plan)
    }
}

/// A study's privacy ledger: what each query spent, by sequential
/// composition (`sfumato_dp::Accountant`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// ε per query (`ε_sum + ε_rec`), exactly.
    pub per_query: String,
    /// Per query number, ε spent (filtered queries too).
    pub charges: Vec<(u64, String)>,
    /// The total spent.
    pub spent: String,
}

/// The ledger of `queries` queries asked under `privacy`.
pub fn ledger(privacy: &Privacy, queries: &[u64]) -> Result<Ledger> {
    let per = privacy.per_query()?;
    let mut total = Epsilon::zero();
    for _ in queries {
        total = total.add(&per);
    }
    let mut acc = Accountant::new(total);
    for q in queries {
        acc.charge(format!("query {q}"), &per)
            .map_err(|e| StudyError::usage(e.to_string()))?;
    }
    Ok(Ledger {
        per_query: per.exact_string(),
        charges: acc
            .charges()
            .iter()
            .zip(queries)
            .map(|(c, q)| (*q, c.epsilon.exact_string()))
            .collect(),
        spent: acc.spent().exact_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfumato_protocol::tremel::RangeClause;

    #[test]
    fn scales_follow_the_ranges_and_the_ledger_adds_up() {
        let mut spec = QuerySpec::new(vec![Aggregate::Sum(0), Aggregate::Count]).unwrap();
        let p = Privacy::new("0.5", "1").unwrap();
        assert!(p.noise_plan(&spec, 100, 3).is_err(), "no range");
        spec.ranges.push(RangeClause {
            field: 0,
            lo: 0,
            hi: 2500,
        });
        let plan = p.noise_plan(&spec, 100, 3).unwrap();
        assert_eq!(plan.parties, 97);
        let f = plan.fields[0];
        assert_eq!(f.sum_scale, (5000, 1));
        assert_eq!(f.record_scale, (2500, 1));
        // (5000 + 2·2500)·ln(6·10⁹) ≈ 225,172.
        assert!((225_000..225_400).contains(&f.band), "{}", f.band);
        let l = ledger(&p, &[1, 2, 3]).unwrap();
        assert_eq!(l.per_query, "1.5");
        assert_eq!(l.spent, "4.5");
        assert!(Privacy::new("0", "1").is_err());
        assert!(Privacy::new("x", "1").is_err());
        spec.aggregates.push(Aggregate::Max(0));
        assert!(p.noise_plan(&spec, 100, 3).is_err());
    }
}
