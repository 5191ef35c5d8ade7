//! Privacy budgets held exactly.

use core::fmt;
use core::str::FromStr;

use num_rational::BigRational;
use num_traits::{Signed, Zero};

use crate::error::{DpError, Result};
use crate::rational::{parse_rational, ratio_to_decimal_string, ratio_to_f64, ratio_to_f64_down};

/// A privacy parameter ε ≥ 0, held as an exact rational so that sequential
/// composition (sums of ε) is exact: `0.1 + 0.2` spends exactly `0.3`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Epsilon(BigRational);

impl Epsilon {
    /// ε = 0 (nothing spent; an iteration that releases nothing).
    pub fn zero() -> Self {
        Epsilon(BigRational::zero())
    }

    /// Reads a non-negative decimal or fraction exactly (`"0.69"`, `"ln2"` is not
    /// accepted; `"1/3"` is).
    pub fn parse(text: &str) -> Result<Self> {
        Self::from_ratio(parse_rational(text)?)
    }

    /// From an exact rational; refuses negatives.
    pub fn from_ratio(r: BigRational) -> Result<Self> {
        if r.is_negative() {
            return Err(DpError::invalid("epsilon", "must not be negative"));
        }
        Ok(Epsilon(r))
    }

    /// The exact value of a finite non-negative `f64` (every double is a dyadic
    /// rational, so nothing is rounded).
    pub fn from_f64(x: f64) -> Result<Self> {
        if !x.is_finite() || x < 0.0 {
            return Err(DpError::invalid(
                "epsilon",
                format!("must be finite and not negative (got {x})"),
            ));
        }
        BigRational::from_float(x)
            .map(Epsilon)
            .ok_or_else(|| DpError::invalid("epsilon", "not a finite number"))
    }

    /// Whether ε = 0.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// The exact value.
    pub fn as_ratio(&self) -> &BigRational {
        &self.0
    }

    /// Nearest `f64`, for display.
    pub fn to_f64(&self) -> f64 {
        ratio_to_f64(&self.0)
    }

    /// Largest `f64` not above ε: what a mechanism may safely be calibrated
    /// with when it needs a float.
    pub fn to_f64_down(&self) -> f64 {
        ratio_to_f64_down(&self.0)
    }

    /// The exact sum.
    pub fn add(&self, other: &Epsilon) -> Epsilon {
        Epsilon(&self.0 + &other.0)
    }

    /// `self − other`, or `None` if it would be negative.
    pub fn checked_sub(&self, other: &Epsilon) -> Option<Epsilon> {
        let d = &self.0 - &other.0;
        (!d.is_negative()).then_some(Epsilon(d))
    }

    /// ε divided by a positive integer (the exact quotient).
    pub fn div_int(&self, k: u64) -> Epsilon {
        if k == 0 {
            return Epsilon::zero();
        }
        Epsilon(&self.0 / BigRational::from_integer(k.into()))
    }

    /// The exact value as text: a terminating decimal when it has one, e.g.
    /// `"0.043125"`, otherwise the fraction, e.g. `"1/3"`.
    pub fn exact_string(&self) -> String {
        let d = ratio_to_decimal_string(&self.0);
        if parse_rational(&d).is_ok_and(|back| back == self.0) {
            d
        } else {
            format!("{}/{}", self.0.numer(), self.0.denom())
        }
    }
}

impl fmt::Display for Epsilon {
    /// The decimal when it terminates, otherwise the nearest `f64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&ratio_to_decimal_string(&self.0))
    }
}

impl fmt::Debug for Epsilon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Epsilon({})", self.exact_string())
    }
}

impl FromStr for Epsilon {
    type Err = DpError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact() {
        let a = Epsilon::parse("0.1").unwrap();
        let b = Epsilon::parse("0.2").unwrap();
        assert_eq!(a.add(&b), Epsilon::parse("0.3").unwrap());
        assert!(Epsilon::parse("-1").is_err());
        assert!(Epsilon::from_f64(f64::NAN).is_err());
    }

    #[test]
    fn renders() {
        assert_eq!(
            Epsilon::parse("0.69").unwrap().div_int(16).to_string(),
            "0.043125"
        );
        assert_eq!(
            Epsilon::parse("1").unwrap().div_int(3).exact_string(),
            "1/3"
        );
        assert_eq!(Epsilon::parse("1/4").unwrap().exact_string(), "0.25");
        let third = Epsilon::parse("1/3").unwrap();
        assert!(Epsilon::from_f64(third.to_f64_down()).unwrap() <= third);
    }
}
