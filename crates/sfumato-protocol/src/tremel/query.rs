//! Aggregation queries (Tremel §2.1, §4.3): any associative, commutative
//! aggregate over the values the meters hold — sums, counts, several sums at
//! once, histograms, minima and maxima.
//!
//! A meter holds a *record* per window: a few integer fields (say the
//! energy used since the last query, and the part of it drawn by appliances
//! whose load can be shifted, in watt-hours). A [`QuerySpec`] lists the
//! [`Aggregate`]s to compute; each proxy turns a tuple's record into a
//! [`Partial`], and partials merge up the aggregation tree in any order and
//! grouping with the same result, because every merge is exact integer
//! arithmetic (sums in 128 bits) — so two groups that aggregated the same
//! tuples report bit-identical results.

use serde::{Deserialize, Serialize};

use crate::error::{ProtocolError, Result};

/// Most aggregates in one query.
pub const MAX_AGGREGATES: usize = 64;

/// Most histogram bucket edges.
pub const MAX_EDGES: usize = 1024;

/// One aggregate of a query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Aggregate {
    /// The sum of a field.
    Sum(u16),
    /// The number of contributing meters.
    Count,
    /// The least value of a field.
    Min(u16),
    /// The greatest value of a field.
    Max(u16),
    /// How many values of a field fall in each bucket: below `edges[0]`,
    /// in `[edges[i], edges[i+1])`, and from the last edge on.
    Histogram {
        /// The field.
        field: u16,
        /// Increasing bucket edges.
        edges: Vec<i64>,
    },
}

impl Aggregate {
    fn field(&self) -> Option<u16> {
        match self {
            Aggregate::Sum(f) | Aggregate::Min(f) | Aggregate::Max(f) => Some(*f),
            Aggregate::Histogram { field, .. } => Some(*field),
            Aggregate::Count => None,
        }
    }
}

/// Which meters take part in a query (Tremel §2.1's *filtered* queries):
/// each meter applies the filter to itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MeterFilter {
    /// The meters with these identifiers.
    Ids(Vec<u32>),
    /// The meters whose `field` lies in `[lo, hi]`.
    Field {
        /// The field.
        field: u16,
        /// Least value selected.
        lo: i64,
        /// Greatest value selected.
        hi: i64,
    },
}

/// A range clause (Tremel §6.4's pollution filter): honest proxies leave
/// out of the aggregate any tuple whose `field` lies outside `[lo, hi]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeClause {
    /// The field.
    pub field: u16,
    /// Least accepted value.
    pub lo: i64,
    /// Greatest accepted value.
    pub hi: i64,
}

/// What a query computes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuerySpec {
    /// The aggregates, in the order of the answer.
    pub aggregates: Vec<Aggregate>,
    /// Range clauses: tuples outside any are not aggregated.
    #[serde(default)]
    pub ranges: Vec<RangeClause>,
    /// Which meters contribute (all, without one).
    #[serde(default)]
    pub filter: Option<MeterFilter>,
}

/// The partial value of one aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartialValue {
    /// A sum.
    Sum(i128),
    /// A count.
    Count(u64),
    /// A minimum (none before any value).
    Min(Option<i64>),
    /// A maximum (none before any value).
    Max(Option<i64>),
    /// Bucket counts.
    Histogram(Vec<u64>),
}

/// The partial result of a query over some tuples: one value per
/// aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partial(pub Vec<PartialValue>);

impl QuerySpec {
    /// A query for `aggregates`.
    pub fn new(aggregates: Vec<Aggregate>) -> Result<QuerySpec> {
        let q = QuerySpec {
            aggregates,
            ranges: Vec::new(),
            filter: None,
        };
        q.validate()?;
        Ok(q)
    }

    /// Checks the query (also one received from the network).
    pub fn validate(&self) -> Result<()> {
        if self.aggregates.is_empty() || self.aggregates.len() > MAX_AGGREGATES {
            return Err(ProtocolError::invalid(
                "query",
                format!("1 to {MAX_AGGREGATES} aggregates"),
            ));
        }
        if self.ranges.iter().any(|r| r.lo > r.hi) {
            return Err(ProtocolError::invalid("range", "lo must not exceed hi"));
        }
        match &self.filter {
            Some(MeterFilter::Ids(ids)) if ids.windows(2).any(|w| w[0] >= w[1]) => {
                return Err(ProtocolError::invalid("filter", "ids must increase"));
            }
            Some(MeterFilter::Field { lo, hi, .. }) if lo > hi => {
                return Err(ProtocolError::invalid("filter", "lo must not exceed hi"));
            }
            _ => {}
        }
        for a in &self.aggregates {
            if let Aggregate::Histogram { edges, .. } = a {
                if edges.is_empty() || edges.len() > MAX_EDGES {
                    return Err(ProtocolError::invalid(
                        "histogram",
                        format!("1 to {MAX_EDGES} edges"),
                    ));
                }
                if edges.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(ProtocolError::invalid("histogram", "edges must increase"));
                }
            }
        }
        Ok(())
    }

    /// The number of fields a record needs for this query.
    pub fn fields_needed(&self) -> usize {
        let filter_field = match &self.filter {
            Some(MeterFilter::Field { field, .. }) => Some(*field),
            _ => None,
        };
        self.aggregates
            .iter()
            .filter_map(Aggregate::field)
            .chain(self.ranges.iter().map(|r| r.field))
            .chain(filter_field)
            .map(|f| usize::from(f) + 1)
            .max()
            .unwrap_or(0)
    }

    /// The same query with range clauses and a meter filter.
    pub fn with(
        mut self,
        ranges: Vec<RangeClause>,
        filter: Option<MeterFilter>,
    ) -> Result<QuerySpec> {
        self.ranges = ranges;
        self.filter = filter;
        self.validate()?;
        Ok(self)
    }

    /// Whether meter `id` with `record` takes part (the filter; a record
    /// too short for it does not).
    pub fn selects(&self, id: u32, record: &[i64]) -> bool {
        match &self.filter {
            None => true,
            Some(MeterFilter::Ids(ids)) => ids.binary_search(&id).is_ok(),
            Some(MeterFilter::Field { field, lo, hi }) => record
                .get(usize::from(*field))
                .is_some_and(|v| (*lo..=*hi).contains(v)),
        }
    }

    /// Whether a tuple's record passes the range clauses.
    pub fn in_range(&self, record: &[i64]) -> bool {
        self.ranges.iter().all(|r| {
            record
                .get(usize::from(r.field))
                .is_some_and(|v| (r.lo..=r.hi).contains(v))
        })
    }

    /// [`QuerySpec::in_range`] widened by each noisy field's band `B`
    /// (the Byzantine variant's pollution filter, §6.4: an honest tuple's
    /// noisy value leaves `[lo, hi]` but, except with probability β, not
    /// `[lo − B, hi + B]`).
    pub fn in_range_within(
        &self,
        record: &[i64],
        noise: Option<&crate::tremel::noise::NoisePlan>,
    ) -> bool {
        self.ranges.iter().all(|r| {
            let b = noise.and_then(|n| n.field(r.field)).map_or(0, |f| f.band);
            record
                .get(usize::from(r.field))
                .is_some_and(|v| (r.lo.saturating_sub(b)..=r.hi.saturating_add(b)).contains(v))
        })
    }

    /// Checks that `noise` fits this query (Byzantine variant): every
    /// aggregate a sum or a count, every sum's field noised and ranged
    /// (its sensitivity is the range's width).
    pub fn check_noise(&self, noise: &crate::tremel::noise::NoisePlan) -> Result<()> {
        noise.validate()?;
        for a in &self.aggregates {
            match a {
                Aggregate::Count => {}
                Aggregate::Sum(f) => {
                    if noise.field(*f).is_none() || !self.ranges.iter().any(|r| r.field == *f) {
                        return Err(ProtocolError::invalid(
                            "noise",
                            format!("field {f} is summed without a range and noise"),
                        ));
                    }
                }
                _ => {
                    return Err(ProtocolError::invalid(
                        "noise",
                        "differentially private queries take sums and counts only",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The partial of no tuples (the identity of [`QuerySpec::merge`]).
    pub fn empty(&self) -> Partial {
        Partial(
            self.aggregates
                .iter()
                .map(|a| match a {
                    Aggregate::Sum(_) => PartialValue::Sum(0),
                    Aggregate::Count => PartialValue::Count(0),
                    Aggregate::Min(_) => PartialValue::Min(None),
                    Aggregate::Max(_) => PartialValue::Max(None),
                    Aggregate::Histogram { edges, .. } => {
                        PartialValue::Histogram(vec![0; edges.len() + 1])
                    }
                })
                .collect(),
        )
    }

    /// The partial of one record; a record too short for the query is an
    /// error (a proxy drops such a tuple).
    pub fn of_record(&self, record: &[i64]) -> Result<Partial> {
        let get = |f: u16| {
            record.get(usize::from(f)).copied().ok_or_else(|| {
                ProtocolError::invalid(
                    "record",
                    format!("{} fields; the query reads field {f}", record.len()),
                )
            })
        };
        let mut out = Vec::with_capacity(self.aggregates.len());
        for a in &self.aggregates {
            out.push(match a {
                Aggregate::Sum(f) => PartialValue::Sum(i128::from(get(*f)?)),
                Aggregate::Count => PartialValue::Count(1),
                Aggregate::Min(f) => PartialValue::Min(Some(get(*f)?)),
                Aggregate::Max(f) => PartialValue::Max(Some(get(*f)?)),
                Aggregate::Histogram { field, edges } => {
                    let v = get(*field)?;
                    let mut h = vec![0u64; edges.len() + 1];
                    h[edges.partition_point(|e| *e <= v)] = 1;
                    PartialValue::Histogram(h)
                }
            });
        }
        Ok(Partial(out))
    }

    /// Whether `p` has the shape of this query's partials (checked on
    /// partials received from other nodes).
    pub fn fits(&self, p: &Partial) -> bool {
        p.0.len() == self.aggregates.len()
            && self.aggregates.iter().zip(&p.0).all(|(a, v)| {
                matches!(
                    (a, v),
                    (Aggregate::Sum(_), PartialValue::Sum(_))
                        | (Aggregate::Count, PartialValue::Count(_))
                        | (Aggregate::Min(_), PartialValue::Min(_))
                        | (Aggregate::Max(_), PartialValue::Max(_))
                ) || matches!((a, v), (Aggregate::Histogram { edges, .. }, PartialValue::Histogram(h)) if h.len() == edges.len() + 1)
            })
    }

    /// Merges `other` into `acc`; both must [`fit`](QuerySpec::fits).
    /// Associative and commutative. Sums and counts saturate rather than
    /// wrap (128-bit sums of 64-bit values do not saturate below 2⁶⁴
    /// records).
    pub fn merge(&self, acc: &mut Partial, other: &Partial) {
        for (a, b) in acc.0.iter_mut().zip(&other.0) {
            match (a, b) {
                (PartialValue::Sum(x), PartialValue::Sum(y)) => *x = x.saturating_add(*y),
                (PartialValue::Count(x), PartialValue::Count(y)) => *x = x.saturating_add(*y),
                (PartialValue::Min(x), PartialValue::Min(y)) => {
                    *x = match (*x, *y) {
                        (Some(p), Some(q)) => Some(p.min(q)),
                        (p, q) => p.or(q),
                    }
                }
                (PartialValue::Max(x), PartialValue::Max(y)) => {
                    *x = match (*x, *y) {
                        (Some(p), Some(q)) => Some(p.max(q)),
                        (p, q) => p.or(q),
                    }
                }
                (PartialValue::Histogram(x), PartialValue::Histogram(y)) => {
                    for (p, q) in x.iter_mut().zip(y) {
                        *p = p.saturating_add(*q);
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spec() -> QuerySpec {
        QuerySpec::new(vec![
            Aggregate::Sum(0),
            Aggregate::Sum(1),
            Aggregate::Count,
            Aggregate::Min(0),
            Aggregate::Max(1),
            Aggregate::Histogram {
                field: 0,
                edges: vec![-10, 0, 100],
            },
        ])
        .unwrap()
    }

    #[test]
    fn a_record_and_the_identity() {
        let q = spec();
        assert_eq!(q.fields_needed(), 2);
        let p = q.of_record(&[5, -3]).unwrap();
        assert_eq!(
            p.0,
            vec![
                PartialValue::Sum(5),
                PartialValue::Sum(-3),
                PartialValue::Count(1),
                PartialValue::Min(Some(5)),
                PartialValue::Max(Some(-3)),
                PartialValue::Histogram(vec![0, 0, 1, 0]),
            ]
        );
        let mut e = q.empty();
        q.merge(&mut e, &p);
        assert_eq!(e, p);
        assert!(q.fits(&p) && !q.fits(&Partial(vec![])));
        assert!(q.of_record(&[1]).is_err());
        // Range clauses and filters.
        let f = q
            .clone()
            .with(
                vec![RangeClause {
                    field: 0,
                    lo: 0,
                    hi: 10,
                }],
                Some(MeterFilter::Ids(vec![2, 5])),
            )
            .unwrap();
        assert!(f.in_range(&[3, 0]) && !f.in_range(&[11, 0]) && !f.in_range(&[]));
        assert!(f.selects(5, &[]) && !f.selects(4, &[]));
        let g = q
            .clone()
            .with(
                Vec::new(),
                Some(MeterFilter::Field {
                    field: 2,
                    lo: 1,
                    hi: 1,
                }),
            )
            .unwrap();
        assert_eq!(g.fields_needed(), 3);
        assert!(g.selects(0, &[0, 0, 1]) && !g.selects(0, &[0, 0, 2]));
        assert!(
            q.clone()
                .with(
                    vec![RangeClause {
                        field: 0,
                        lo: 2,
                        hi: 1
                    }],
                    None
                )
                .is_err()
        );
        assert!(
            q.clone()
                .with(Vec::new(), Some(MeterFilter::Ids(vec![3, 3])))
                .is_err()
        );
        assert!(QuerySpec::new(vec![]).is_err());
        assert!(
            QuerySpec::new(vec![Aggregate::Histogram {
                field: 0,
                edges: vec![2, 2]
            }])
            .is_err()
        );
    }

    proptest! {
        /// Any grouping and order of merges gives the same partial.
        #[test]
        fn merging_is_associative_and_commutative(
            records in proptest::collection::vec((any::<i64>(), -1000i64..1000), 1..40),
            cut in 0usize..40,
        ) {
            let q = spec();
            let parts: Vec<Partial> = records.iter().map(|(a, b)| q.of_record(&[*a, *b]).unwrap()).collect();
            let mut forward = q.empty();
            for p in &parts { q.merge(&mut forward, p); }
            let cut = cut.min(parts.len());
            let (mut left, mut right) = (q.empty(), q.empty());
            for p in parts[..cut].iter().rev() { q.merge(&mut left, p); }
            for p in parts[cut..].iter().rev() { q.merge(&mut right, p); }
            q.merge(&mut right, &left);
            prop_assert_eq!(forward, right);
        }
    }
}
