//! Confidence intervals over replications (Student t).

/// Two-sided 97.5 % quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: u32) -> f64 {
    const TABLE: [f64; 30] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
        2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
        2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
        2.048407, 2.045230, 2.042272,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df as usize - 1],
        _ => {
            // Cornish-Fisher expansion around the normal quantile; error < 1e-5 for df > 30.
            let z = 1.959_963_984_540_054_f64;
            let d = df as f64;
            z + (z.powi(3) + z) / (4.0 * d)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
                + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z)
                    / (384.0 * d.powi(3))
        }
    }
}

/// Mean, 95 % half-width (NaN with fewer than two values), min and max.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: f64,
    pub min: f64,
    pub max: f64,
    pub n: u32,
}

/// Summarises the finite values of `xs` (undefined values, NaN, are left out).
pub fn estimate(xs: impl IntoIterator<Item = f64>) -> Estimate {
    let v: Vec<f64> = xs.into_iter().filter(|x| x.is_finite()).collect();
    let n = v.len();
    if n == 0 {
        return Estimate {
            mean: f64::NAN,
            ci95: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
            n: 0,
        };
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ci95 = if n < 2 {
        f64::NAN
    } else {
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        t975(n as u32 - 1) * (var / n as f64).sqrt()
    };
    Estimate {
        mean,
        ci95,
        min,
        max,
        n: n as u32,
    }
}

/// The difference of means `mean(b) - mean(a)` over the finite values and
/// the half-width of its Welch 95 % confidence interval (unequal variances;
/// Welch–Satterthwaite degrees of freedom, rounded down, at least 1). The
/// half-width is NaN with fewer than two values on a side, and 0 when both
/// samples are constant.
pub fn welch(a: &[f64], b: &[f64]) -> (f64, f64) {
    let stats = |xs: &[f64]| {
        let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (n, mean, var)
    };
    let (na, ma, va) = stats(a);
    let (nb, mb, vb) = stats(b);
    let diff = mb - ma;
    if na < 2.0 || nb < 2.0 {
        return (diff, f64::NAN);
    }
    let (qa, qb) = (va / na, vb / nb);
    let se2 = qa + qb;
    if se2 == 0.0 {
        return (diff, 0.0);
    }
    let df = se2 * se2 / (qa * qa / (na - 1.0) + qb * qb / (nb - 1.0));
    let df = (df.floor() as u32).max(1);
    (diff, t975(df) * se2.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles() {
        assert!((t975(1) - 12.7062).abs() < 1e-3);
        assert!((t975(10) - 2.2281).abs() < 1e-3);
        assert!((t975(31) - 2.0395).abs() < 1e-3);
        assert!((t975(60) - 2.0003).abs() < 1e-3);
        assert!((t975(1000) - 1.9623).abs() < 1e-3);
        // The expansion continues the table smoothly.
        assert!(t975(31) < t975(30));
    }

    #[test]
    fn welch_known_samples() {
        // a: mean 2.5, var 5/3; b: mean 6, var 2/3 (n = 4 each).
        // se^2 = 5/12 + 2/12 = 7/12; df = (7/12)^2 / ((5/12)^2/3 + (2/12)^2/3) = 147/29 = 5.07 -> 5.
        let (d, h) = welch(&[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 6.0, 7.0]);
        assert_eq!(d, 3.5);
        assert!((h - 2.570582 * (7.0f64 / 12.0).sqrt()).abs() < 1e-9, "{h}");
        assert!(welch(&[1.0], &[2.0, 3.0]).1.is_nan());
        assert_eq!(welch(&[1.0, 1.0], &[2.0, 2.0]), (1.0, 0.0));
        // Undefined values are left out, as in `estimate`.
        assert_eq!(welch(&[1.0, 1.0, f64::NAN], &[1.0, 1.0]), (0.0, 0.0));
    }

    #[test]
    fn estimate_known_sample() {
        let e = estimate([1.0, 2.0, 3.0, 4.0, f64::NAN]);
        assert_eq!(e.n, 4);
        assert_eq!(e.mean, 2.5);
        assert_eq!((e.min, e.max), (1.0, 4.0));
        // sd = 1.29099, se = 0.645497, t(3) = 3.182446
        assert!((e.ci95 - 3.182446 * 0.645_497).abs() < 1e-4);
        assert!(estimate([5.0]).ci95.is_nan());
    }
}
