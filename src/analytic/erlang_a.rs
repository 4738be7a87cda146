//! Erlang A: M/M/c+M, Palm's model of a queue whose customers hang up after
//! an exponential patience.

use super::{
    common_inputs, ln_add, ln_one_minus_exp, ln_sum_below_c, positive, prob, AnalyticError, LogSum,
    LN_TAIL_EPS,
};

/// Most queue states [`erlang_a()`] enumerates (each costs a few `exp`/`ln`).
pub const MAX_QUEUE_STATES: u64 = 10_000_000;

/// Steady-state figures of an M/M/c+M queue (Erlang A).
///
/// Waits are times in queue (until answered or hung up); probabilities are
/// per arrival, the denominators the simulator calls "queued".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangA {
    /// a = λ·h, in Erlangs.
    pub offered_load: f64,
    /// (1 − p_abandon)·a/c: the share of agent time spent handling.
    pub occupancy: f64,
    /// P(an arrival has to wait), i.e. finds all agents busy.
    pub p_wait: f64,
    /// Mean time in queue over all arrivals, abandoners' waits included.
    pub mean_wait_s: f64,
    /// Mean time in queue of the arrivals that are answered (ASA).
    pub asa_s: f64,
    /// P(an arrival hangs up before being answered).
    pub p_abandon: f64,
    /// P(an arrival is answered after at most `sla_s` in queue): answered
    /// within the threshold over all arrivals, the contract's
    /// `service_level`. Those who hang up, however early, do not count as
    /// answered. Tends to 1 − `p_abandon` as `sla_s` grows.
    pub service_level: f64,
    /// P(W ≤ `sla_s`) where W is the time in queue until answered *or* hung
    /// up: early abandoners count as within the threshold. Tends to 1 as
    /// `sla_s` grows. Some planning tools call this the service level.
    pub p_left_queue_within_sla: f64,
}

/// Erlang A for Poisson arrivals at `rate_per_s`, exponential handle times
/// of mean `mean_handle_s`, `agents` agents, exponential patience of mean
/// `mean_patience_s` and service-level threshold `sla_s` (0 allowed).
///
/// Any load is allowed: abandonment keeps the queue finite. Errors when an
/// input is not finite or out of range (an infinite patience is Erlang C:
/// use [`erlang_c()`](super::erlang_c())), when `agents == 0`, or when the
/// queue would spread over more than [`MAX_QUEUE_STATES`] states (patience
/// extremely long compared with the overload).
pub fn erlang_a(
    rate_per_s: f64,
    mean_handle_s: f64,
    agents: u32,
    mean_patience_s: f64,
    sla_s: f64,
) -> Result<ErlangA, AnalyticError> {
    let (lambda, handle, c, load, t) = common_inputs(rate_per_s, mean_handle_s, agents, sla_s)?;
    let patience = positive(
        "mean_patience_s",
        mean_patience_s,
        "a finite mean patience > 0 seconds (no abandonment is Erlang C)",
    )?;
    let theta = 1.0 / patience;
    let c_mu = c / handle; // service rate when all agents are busy

    // In overload the queue settles around (λ − cμ)/θ customers.
    let centre = (lambda - c_mu) / theta;
    if centre > MAX_QUEUE_STATES as f64 {
        return Err(too_large(centre));
    }

    // Tagged customer finding k ahead, with x = e^(−θt) and u = (1 − x)/θ:
    // P(not reached an agent by t) = F_k = P(NegBin(cμ/θ, x) ≤ k),
    // P(answered within t) = cμ/(cμ + (k+1)θ) · (1 − G_k),
    //   G_k = P(NegBin(cμ/θ + 1, x) ≤ k).
    // NegBin(r, x) point masses: p_0 = x^r, p_b = p_{b−1}·(1−x)(r+b−1)/b;
    // with r = cμ/θ that is (1−x)(r+b−1)/b = u·(cμ + (b−1)θ)/b, which stays
    // finite even when θ is tiny and r astronomically large.
    let u = -(-theta * t).exp_m1() / theta;
    let mut ln_f_mass = -c_mu * t; // ln x^r
    let mut ln_g_mass = -c_mu * t - theta * t; // ln x^(r+1)
    let mut f_cdf = LogSum::new();
    let mut g_cdf = LogSum::new();

    // Sums over waiting states n = c + k of π_n/π_c times, respectively:
    let mut waiting = LogSum::new(); // 1
    let mut queue_len = LogSum::new(); // k
    let mut answered = LogSum::new(); // P(answered | k)
    let mut answered_wait = LogSum::new(); // E[wait; answered | k]
    let mut not_reached = LogSum::new(); // F_k
    let mut answered_in_sla = LogSum::new(); // P(answered within t | k)

    let mut ln_pi = 0.0; // ln(π_{c+k}/π_c)
    let mut mean_to_answer = 0.0; // Σ_{j≤k} 1/(cμ + (j+1)θ)
    let mut k: u64 = 0;
    loop {
        let kf = k as f64;
        if k > 0 {
            ln_pi += (lambda / (c_mu + kf * theta)).ln();
            ln_f_mass += (u * (c_mu + (kf - 1.0) * theta) / kf).ln();
            ln_g_mass += (u * (c_mu + kf * theta) / kf).ln();
        }
        f_cdf.add(ln_f_mass);
        g_cdf.add(ln_g_mass);

        // E[V e^(−θV)] over the k+1 stages: P(answered)·Σ 1/(rate_j + θ).
        let next_rate = c_mu + (kf + 1.0) * theta;
        let ln_answered = (c_mu / next_rate).ln();
        mean_to_answer += 1.0 / next_rate;

        waiting.add(ln_pi);
        if k > 0 {
            queue_len.add(ln_pi + kf.ln());
        }
        answered.add(ln_pi + ln_answered);
        answered_wait.add(ln_pi + ln_answered + mean_to_answer.ln());
        not_reached.add(ln_pi + f_cdf.ln());
        answered_in_sla.add(ln_pi + ln_answered + ln_one_minus_exp(g_cdf.ln()));

        // Past the centre the ratio r = π_{n+1}/π_n < 1 keeps falling, so the
        // rest of Σ (j+1)·π_{c+j} is at most π_{c+k}·((k+1)r/(1−r) + r/(1−r)²).
        // Once that is negligible against both the waiting mass and the queue
        // length, so is the rest of every sum above: their weights are at most
        // 1, or (j+1)/cμ for the answered customers' waits.
        let r = lambda / next_rate;
        if r < 1.0 {
            let ln_rest = ln_pi + ((kf + 1.0) * r / (1.0 - r) + r / (1.0 - r).powi(2)).ln();
            if ln_rest < waiting.ln() + LN_TAIL_EPS && ln_rest < queue_len.ln() + LN_TAIL_EPS {
                break;
            }
        }
        k += 1;
        if k >= MAX_QUEUE_STATES {
            return Err(too_large(k as f64));
        }
    }

    // States below c, relative to π_c; stop once they dwarf every sum above.
    let ln_top = [
        waiting.ln(),
        queue_len.ln(),
        answered_wait.ln(),
        not_reached.ln(),
    ]
    .into_iter()
    .fold(f64::NEG_INFINITY, f64::max);
    let ln_below = ln_sum_below_c(load, agents, ln_top + 800.0);
    let ln_total = ln_add(ln_below, waiting.ln());
    let share = |ln_x: f64| (ln_x - ln_total).exp();

    let mean_queue_len = share(queue_len.ln());
    let p_abandon = prob(theta * mean_queue_len / lambda); // Little on the queue
    let ln_answered_all = ln_add(ln_below, answered.ln());
    Ok(ErlangA {
        offered_load: load,
        occupancy: prob((1.0 - p_abandon) * load / c),
        p_wait: prob(share(waiting.ln())),
        mean_wait_s: mean_queue_len / lambda, // Little
        asa_s: (answered_wait.ln() - ln_answered_all).exp(),
        p_abandon,
        service_level: prob(share(ln_add(ln_below, answered_in_sla.ln()))),
        p_left_queue_within_sla: prob(1.0 - (-theta * t).exp() * share(not_reached.ln())),
    })
}

fn too_large(states: f64) -> AnalyticError {
    AnalyticError::StateSpaceTooLarge {
        states,
        limit: MAX_QUEUE_STATES,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{erlang_c, test_data};
    use super::*;

    fn rel(x: f64, want: f64) -> f64 {
        ((x - want) / want).abs()
    }

    fn in_unit(r: &ErlangA) -> bool {
        [
            r.p_wait,
            r.p_abandon,
            r.service_level,
            r.p_left_queue_within_sla,
            r.occupancy,
        ]
        .iter()
        .all(|p| p.is_finite() && (0.0..=1.0).contains(p))
            && r.mean_wait_s.is_finite()
            && r.mean_wait_s >= 0.0
            && r.asa_s.is_finite()
            && r.asa_s >= 0.0
    }

    #[test]
    fn matches_every_erlang_a_row_of_the_public_table() {
        let mut n = 0;
        for row in test_data::cases() {
            let Some(patience) = row.mean_patience_s else {
                continue;
            };
            n += 1;
            let case = &row.case;
            let r = erlang_a(
                row.rate_per_s,
                row.mean_handle_s,
                row.agents,
                patience,
                row.sla_s,
            )
            .unwrap_or_else(|e| panic!("{case}: {e}"));
            assert!((r.p_wait - row.p_wait).abs() < 5e-5, "{case}: {r:?}");
            assert!(rel(r.mean_wait_s, row.mean_wait_s) < 1e-4, "{case}: {r:?}");
            assert!((r.p_abandon - row.p_abandon).abs() < 5e-5, "{case}: {r:?}");
            if let Some(sl) = row.service_level {
                // The contract's definition: answered within the SLA.
                assert!((r.service_level - sl).abs() < 5e-5, "{case}: {r:?}");
            }
        }
        assert!(n > 0, "no Erlang A rows in the table");
    }

    #[test]
    fn very_patient_customers_reproduce_the_erlang_c_rows() {
        for row in test_data::cases() {
            if row.mean_patience_s.is_some() {
                continue;
            }
            let case = &row.case;
            let r = erlang_a(
                row.rate_per_s,
                row.mean_handle_s,
                row.agents,
                1e9,
                row.sla_s,
            )
            .unwrap();
            assert!((r.p_wait - row.p_wait).abs() < 5e-5, "{case}: {r:?}");
            assert!(rel(r.mean_wait_s, row.mean_wait_s) < 1e-4, "{case}: {r:?}");
            assert!(r.p_abandon < 5e-5, "{case}: {r:?}");
            if let Some(sl) = row.service_level {
                assert!((r.service_level - sl).abs() < 5e-5, "{case}: {r:?}");
            }
        }
    }

    #[test]
    fn converges_to_erlang_c_as_patience_grows() {
        for (rate, handle, c, sla) in [
            (0.25, 120.0, 33, 20.0),
            (1.0, 15.0, 17, 15.0),
            (0.9 / 60.0, 60.0, 1, 30.0),
            (0.99 * 200.0 / 300.0, 300.0, 200, 20.0),
        ] {
            let ec = erlang_c(rate, handle, c, sla).unwrap();
            let ea = erlang_a(rate, handle, c, 1e10, sla).unwrap();
            let what = format!("{ec:?}\n{ea:?}");
            assert!((ea.p_wait - ec.p_wait).abs() < 1e-6, "{what}");
            assert!(rel(ea.mean_wait_s, ec.mean_wait_s) < 1e-5, "{what}");
            assert!(rel(ea.asa_s, ec.asa_s) < 1e-5, "{what}");
            assert!((ea.service_level - ec.service_level).abs() < 1e-6, "{what}");
            assert!(
                (ea.p_left_queue_within_sla - ec.service_level).abs() < 1e-6,
                "{what}"
            );
            assert!((ea.occupancy - ec.occupancy).abs() < 1e-6, "{what}");
        }
    }

    /// Values from an independent script (mpmath, 30 digits): the birth–death
    /// chain normalised directly, and the tagged customer's absorbing chain
    /// (k ahead → answered / hung up) solved by a matrix exponential for the
    /// service levels and by its fundamental matrix for the ASA.
    #[test]
    fn match_an_independent_matrix_computation() {
        for (rate, handle, c, patience, sla, sl, left, asa) in [
            (
                0.5,
                60.0,
                28,
                120.0,
                20.0,
                0.694_004_668_0,
                0.773_538_570_9,
                11.672_400_507_231,
            ),
            (
                0.2,
                180.0,
                30,
                300.0,
                30.0,
                0.245_449_450_1,
                0.325_990_916_0,
                54.689_060_624_980,
            ),
            (
                0.1,
                60.0,
                3,
                30.0,
                15.0,
                0.276_742_300_8,
                0.587_059_953_2,
                15.618_400_506_184,
            ),
        ] {
            let r = erlang_a(rate, handle, c, patience, sla).unwrap();
            assert!((r.service_level - sl).abs() < 2e-9, "{r:?}");
            assert!((r.p_left_queue_within_sla - left).abs() < 2e-9, "{r:?}");
            assert!(rel(r.asa_s, asa) < 1e-11, "{r:?}");
        }
    }

    /// Uniformisation of the tagged customer's chain, computed here from
    /// scratch with plain (small) numbers: an independent check of the
    /// negative-binomial closed forms on arbitrary small cases.
    fn brute_force(rate: f64, handle: f64, c: u32, patience: f64, sla: f64) -> (f64, f64, f64) {
        let (mu, theta) = (1.0 / handle, 1.0 / patience);
        let cu = c as usize;
        let kmax = 400;
        let mut pi = vec![1.0f64];
        for n in 1..=cu + kmax {
            let death = if n <= cu {
                n as f64 * mu
            } else {
                f64::from(c) * mu + (n - cu) as f64 * theta
            };
            pi.push(pi[n - 1] * rate / death);
        }
        let z: f64 = pi.iter().sum();
        pi.iter_mut().for_each(|p| *p /= z);
        // States 0..=kmax (customers ahead), then answered, hung up.
        let c_mu = f64::from(c) * mu;
        let big = c_mu + (kmax as f64 + 1.0) * theta;
        let (served, gone) = (kmax + 1, kmax + 2);
        // v[s] = P(in `served` after m steps | start s), and likewise w for
        // "left the queue" (served or hung up); start from step 0.
        let mut v = vec![0.0; kmax + 3];
        v[served] = 1.0;
        let mut w = v.clone();
        w[gone] = 1.0;
        let lt = big * sla;
        let mut poisson = (-lt).exp();
        let mut acc_v = vec![0.0; kmax + 3];
        let mut acc_w = vec![0.0; kmax + 3];
        let steps = (lt + 12.0 * lt.sqrt() + 30.0) as usize;
        for m in 0..=steps {
            for s in 0..kmax + 3 {
                acc_v[s] += poisson * v[s];
                acc_w[s] += poisson * w[s];
            }
            let step = |x: &Vec<f64>| {
                let mut y = x.clone();
                for j in 0..=kmax {
                    let ahead = c_mu + j as f64 * theta;
                    let down = if j == 0 { x[served] } else { x[j - 1] };
                    y[j] = (ahead * down + theta * x[gone] + (big - ahead - theta) * x[j]) / big;
                }
                y
            };
            v = step(&v);
            w = step(&w);
            poisson *= lt / (m as f64 + 1.0);
        }
        let no_wait: f64 = pi[..cu].iter().sum();
        let (mut sl, mut left, mut lq) = (no_wait, no_wait, 0.0);
        for k in 0..kmax {
            sl += pi[cu + k] * acc_v[k];
            left += pi[cu + k] * acc_w[k];
            lq += k as f64 * pi[cu + k];
        }
        (sl, left, theta * lq / rate)
    }

    #[test]
    fn service_levels_match_uniformisation() {
        for (rate, handle, c, patience, sla) in [
            (0.1, 60.0, 3, 30.0, 15.0),
            (0.05, 60.0, 1, 200.0, 40.0),
            (0.4, 30.0, 8, 45.0, 10.0),
            (0.3, 60.0, 10, 20.0, 5.0), // 180 % load
            (0.3, 60.0, 10, 20.0, 0.0),
        ] {
            let r = erlang_a(rate, handle, c, patience, sla).unwrap();
            let (sl, left, p_ab) = brute_force(rate, handle, c, patience, sla);
            let what = format!("{r:?} vs {sl} {left} {p_ab}");
            assert!((r.service_level - sl).abs() < 1e-10, "{what}");
            assert!((r.p_left_queue_within_sla - left).abs() < 1e-10, "{what}");
            assert!((r.p_abandon - p_ab).abs() < 1e-10, "{what}");
        }
    }

    #[test]
    fn little_and_the_tagged_customer_agree() {
        // As the threshold grows, answered-within-SLA tends to P(answered),
        // computed per arrival as cμ/(cμ + (k+1)θ) (PASTA); 1 − p_abandon
        // comes from Little's law instead. Everyone leaves the queue.
        for (rate, handle, c, patience) in [
            (0.5, 60.0, 28, 120.0),
            (2.0, 300.0, 400, 90.0),
            (0.2, 180.0, 30, 300.0),
        ] {
            let r = erlang_a(rate, handle, c, patience, 1e7).unwrap();
            assert!(
                (r.service_level - (1.0 - r.p_abandon)).abs() < 1e-12,
                "{r:?}"
            );
            assert!((r.p_left_queue_within_sla - 1.0).abs() < 1e-12, "{r:?}");
        }
    }

    #[test]
    fn large_teams_at_high_load_and_in_overload_stay_finite() {
        for c in [500u32, 2000] {
            for load in [0.95, 1.3, 5.0] {
                let handle = 300.0;
                let rate = load * f64::from(c) / handle;
                let r = erlang_a(rate, handle, c, 180.0, 20.0).unwrap();
                assert!(in_unit(&r), "c={c} load={load}: {r:?}");
                if load > 1.0 {
                    // At least the excess must hang up; agents nearly saturated.
                    assert!(r.p_abandon >= 1.0 - 1.0 / load - 1e-9, "{r:?}");
                    assert!(r.occupancy > 0.99, "{r:?}");
                }
            }
        }
        // A long patience in heavy overload needs a long (but finite) queue.
        let r = erlang_a(2.0, 300.0, 300, 36_000.0, 20.0).unwrap();
        assert!(in_unit(&r) && r.p_abandon > 0.49, "{r:?}");
        // Many agents, tiny load.
        let r = erlang_a(1.0 / 60.0, 60.0, u32::MAX, 60.0, 20.0).unwrap();
        assert_eq!(r.p_wait, 0.0);
        assert_eq!(r.service_level, 1.0);
    }

    #[test]
    fn more_agents_mean_less_waiting_and_abandoning() {
        let mut last: Option<ErlangA> = None;
        for c in 20..=60 {
            let r = erlang_a(0.5, 60.0, c, 120.0, 20.0).unwrap();
            if let Some(p) = last {
                assert!(r.p_wait < p.p_wait, "c={c}");
                assert!(r.p_abandon < p.p_abandon, "c={c}");
                assert!(r.mean_wait_s < p.mean_wait_s, "c={c}");
                assert!(r.service_level > p.service_level, "c={c}");
            }
            last = Some(r);
        }
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let bad = [
            erlang_a(f64::NAN, 60.0, 10, 60.0, 20.0),
            erlang_a(0.0, 60.0, 10, 60.0, 20.0),
            erlang_a(0.1, -60.0, 10, 60.0, 20.0),
            erlang_a(0.1, 60.0, 0, 60.0, 20.0),
            erlang_a(0.1, 60.0, 10, 0.0, 20.0),
            erlang_a(0.1, 60.0, 10, f64::INFINITY, 20.0),
            erlang_a(0.1, 60.0, 10, 60.0, -5.0),
        ];
        for (i, r) in bad.iter().enumerate() {
            assert!(r.is_err(), "case {i}: {r:?}");
        }
        let e = erlang_a(0.1, 60.0, 10, f64::INFINITY, 20.0).unwrap_err();
        assert!(e.to_string().contains("mean_patience_s"), "{e}");
        // Overload with practically infinite patience: refused, not hung.
        let e = erlang_a(2.0, 60.0, 10, 1e12, 20.0).unwrap_err();
        assert!(matches!(e, AnalyticError::StateSpaceTooLarge { .. }), "{e}");
        assert!(e.to_string().contains("shorter patience"), "{e}");
    }
}
