//! Exact rational numbers read from text, and the exact noise scale the
//! integer samplers take.
//!
//! Floating point is fine for reproducing the papers' figures, but the privacy
//! of the discrete mechanisms must not depend on how `0.1` rounds. Scales and
//! budgets given as decimal text (`"0.69"`, `"1920"`, `"2/3"`, `"1.5e3"`) are
//! therefore read into exact rationals.

use core::fmt;
use core::str::FromStr;

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::error::{DpError, Result};

/// Largest numerator or denominator an [`ExactScale`] keeps (2⁶²). Keeps every
/// intermediate product of the samplers inside `u128`.
pub const MAX_SCALE_PART: u64 = 1 << 62;

/// Largest scale accepted by the exact samplers (2⁴⁰ ≈ 1.1·10¹²), so that a
/// sample overflows `i64` only with probability below e^(-2²³).
pub const MAX_SCALE: u64 = 1 << 40;

/// Reads a decimal (`12`, `-0.25`, `1.5e-3`) or a fraction (`2/3`) exactly.
pub fn parse_rational(text: &str) -> Result<BigRational> {
    let bad = || DpError::Parse {
        text: text.to_string(),
        expected: "a decimal number or a fraction a/b",
    };
    let t = text.trim();
    if t.is_empty() || t.len() > 200 {
        return Err(bad());
    }
    if let Some((a, b)) = t.split_once('/') {
        let num = parse_rational(a).map_err(|_| bad())?;
        let den = parse_rational(b).map_err(|_| bad())?;
        if den.is_zero() {
            return Err(bad());
        }
        return Ok(num / den);
    }
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => {
            let e: i32 = t[i + 1..].parse().map_err(|_| bad())?;
            if e.abs() > 400 {
                return Err(bad());
            }
            (&t[..i], e)
        }
        None => (t, 0),
    };
    let (negative, digits) = match mantissa.as_bytes().first() {
        Some(b'-') => (true, &mantissa[1..]),
        Some(b'+') => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad());
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let all_digits = format!("{int_part}{frac_part}");
    let mut value =
        BigRational::from_integer(BigInt::parse_bytes(all_digits.as_bytes(), 10).ok_or_else(bad)?);
    let scale = exponent - i32::try_from(frac_part.len()).map_err(|_| bad())?;
    let ten = BigRational::from_integer(BigInt::from(10u8));
    let power = num_traits::pow(ten, scale.unsigned_abs() as usize);
    if scale >= 0 {
        value *= power;
    } else {
        value /= power;
    }
    Ok(if negative { -value } else { value })
}

/// Nearest `f64` to an exact rational (ties to even).
pub fn ratio_to_f64(r: &BigRational) -> f64 {
    r.to_f64().unwrap_or(if r.is_negative() {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    })
}

/// Largest `f64` not above `r`: use it where overstating a value would
/// overstate privacy (an ε to spend).
pub fn ratio_to_f64_down(r: &BigRational) -> f64 {
    let f = ratio_to_f64(r);
    match BigRational::from_float(f) {
        Some(exact) if &exact > r => f.next_down(),
        _ => f,
    }
}

/// Smallest `f64` not below `r`: use it where understating a value would
/// weaken privacy (a noise scale).
pub fn ratio_to_f64_up(r: &BigRational) -> f64 {
    let f = ratio_to_f64(r);
    match BigRational::from_float(f) {
        Some(exact) if &exact < r => f.next_up(),
        _ => f,
    }
}

/// Renders an exact rational as a decimal when it terminates within 40
/// places, otherwise as the nearest `f64` (shortest round-trip digits).
pub fn ratio_to_decimal_string(r: &BigRational) -> String {
    let mut den = r.denom().clone();
    let two = BigInt::from(2u8);
    let five = BigInt::from(5u8);
    let (mut twos, mut fives) = (0usize, 0usize);
    while den.is_even() {
        den /= &two;
        twos += 1;
    }
    while (&den % &five).is_zero() {
        den /= &five;
        fives += 1;
    }
    let places = twos.max(fives);
    if !den.is_one() || places > 40 {
        return format!("{}", ratio_to_f64(r));
    }
    let scaled = r * BigRational::from_integer(num_traits::pow(BigInt::from(10u8), places));
    let int = scaled.to_integer();
    let negative = int.sign() == Sign::Minus;
    let digits = int.abs().to_string();
    if places == 0 {
        return format!("{}{digits}", if negative { "-" } else { "" });
    }
    let padded = format!("{digits:0>width$}", width = places + 1);
    let (a, b) = padded.split_at(padded.len() - places);
    let b = b.trim_end_matches('0');
    let sign = if negative { "-" } else { "" };
    if b.is_empty() {
        format!("{sign}{a}")
    } else {
        format!("{sign}{a}.{b}")
    }
}

/// A positive noise scale held exactly as `num / den` (reduced), the form the
/// exact integer samplers need (Canonne–Kamath–Steinke 2020, Alg. 2 takes the
/// scale as a ratio t/s of integers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExactScale {
    num: u64,
    den: u64,
}

impl ExactScale {
    /// The scale `num / den`. Both must be at least 1, at most
    /// [`MAX_SCALE_PART`], and the value at most [`MAX_SCALE`].
    pub fn new(num: u64, den: u64) -> Result<Self> {
        if num == 0 || den == 0 {
            return Err(DpError::invalid("scale", "must be positive"));
        }
        let g = num.gcd(&den);
        let (num, den) = (num / g, den / g);
        if num > MAX_SCALE_PART || den > MAX_SCALE_PART {
            return Err(DpError::invalid(
                "scale",
                format!("numerator and denominator must be at most 2^62 (got {num}/{den})"),
            ));
        }
        if num / den >= MAX_SCALE {
            return Err(DpError::invalid(
                "scale",
                format!("must be below 2^40 ≈ 1.1e12 (got {num}/{den})"),
            ));
        }
        Ok(ExactScale { num, den })
    }

    /// The integer scale `t`.
    pub fn integer(t: u64) -> Result<Self> {
        Self::new(t, 1)
    }

    /// Converts an exact rational. When it needs more than 62 bits above or
    /// below the fraction bar it is rounded **up** to a multiple of 2⁻³², so the
    /// noise is never smaller than asked for.
    pub fn from_ratio(r: &BigRational) -> Result<Self> {
        if !r.is_positive() {
            return Err(DpError::invalid("scale", "must be positive"));
        }
        let fits = |x: &BigInt| x.to_u64().is_some_and(|v| v <= MAX_SCALE_PART);
        if fits(r.numer())
            && fits(r.denom())
            && let (Some(n), Some(d)) = (r.numer().to_u64(), r.denom().to_u64())
        {
            return Self::new(n, d);
        }
        let den = 1u64 << 32;
        let scaled = r * BigRational::from_integer(BigInt::from(den));
        let num = scaled.ceil().to_integer();
        let num = num
            .to_u64()
            .filter(|&n| n <= MAX_SCALE_PART)
            .ok_or_else(|| DpError::invalid("scale", "must be below 2^40 ≈ 1.1e12"))?;
        Self::new(num, den)
    }

    /// Reads a scale given as decimal or fraction text, exactly.
    pub fn parse(text: &str) -> Result<Self> {
        Self::from_ratio(&parse_rational(text)?)
    }

    /// Numerator of the reduced fraction.
    pub fn numerator(&self) -> u64 {
        self.num
    }

    /// Denominator of the reduced fraction.
    pub fn denominator(&self) -> u64 {
        self.den
    }

    /// The scale as an exact rational.
    pub fn to_ratio(&self) -> BigRational {
        BigRational::new(BigInt::from(self.num), BigInt::from(self.den))
    }

    /// Nearest `f64`.
    pub fn to_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

impl FromStr for ExactScale {
    type Err = DpError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for ExactScale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&ratio_to_decimal_string(&self.to_ratio()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> BigRational {
        BigRational::new(n.into(), d.into())
    }

    #[test]
    fn parses_decimals_exactly() {
        assert_eq!(parse_rational("0.1").unwrap(), q(1, 10));
        assert_eq!(parse_rational("-2.50").unwrap(), q(-5, 2));
        assert_eq!(parse_rational("1.5e3").unwrap(), q(1500, 1));
        assert_eq!(parse_rational("25E-2").unwrap(), q(1, 4));
        assert_eq!(parse_rational(".5").unwrap(), q(1, 2));
        assert_eq!(parse_rational("2/3").unwrap(), q(2, 3));
        assert_eq!(parse_rational("1920/0.69").unwrap(), q(192000, 69));
    }

    #[test]
    fn refuses_garbage() {
        for t in ["", "abc", "1..2", "1e", "1/0", "--1", "1e9999", "0x10", "."] {
            assert!(parse_rational(t).is_err(), "{t:?} accepted");
        }
    }

    #[test]
    fn scale_reduces_and_validates() {
        let s = ExactScale::parse("0.5").unwrap();
        assert_eq!((s.numerator(), s.denominator()), (1, 2));
        assert!(ExactScale::parse("0").is_err());
        assert!(ExactScale::parse("-3").is_err());
        assert!(ExactScale::parse("1e13").is_err());
        assert_eq!(ExactScale::parse("1920").unwrap().to_f64(), 1920.0);
    }

    #[test]
    fn huge_denominators_round_up() {
        let r = q(1, 3) + BigRational::new(1.into(), BigInt::from(10u8).pow(30));
        let s = ExactScale::from_ratio(&r).unwrap();
        assert!(s.to_ratio() >= r);
        assert!(s.to_ratio() - &r < q(1, 1 << 31));
    }

    #[test]
    fn directed_rounding() {
        let tenth = q(1, 10);
        assert!(BigRational::from_float(ratio_to_f64_down(&tenth)).unwrap() <= tenth);
        assert!(BigRational::from_float(ratio_to_f64_up(&tenth)).unwrap() >= tenth);
        assert_eq!(ratio_to_f64_up(&q(1, 2)), 0.5);
    }

    #[test]
    fn decimal_rendering() {
        assert_eq!(ratio_to_decimal_string(&q(69, 1600)), "0.043125");
        assert_eq!(ratio_to_decimal_string(&q(-5, 2)), "-2.5");
        assert_eq!(ratio_to_decimal_string(&q(1920, 1)), "1920");
        assert_eq!(ratio_to_decimal_string(&q(1, 3)), "0.3333333333333333");
    }
}
