//! Oracle test: the simulator on the contract's M/M/c(+M) scenario agrees with
//! the published Erlang C / Erlang A values (tests/data/erlang-public.csv, a
//! copy of shared/validation/erlang-public.csv).

mod common;

use common::{erlang_rows, load, mmc_scenario, summarise};

/// Simulated estimate vs reference: within 2 x ci95 and within `tol`.
fn check(
    case: &str,
    metric: &str,
    mean: f64,
    ci95: f64,
    want: f64,
    tol: f64,
    failures: &mut Vec<String>,
) {
    let diff = (mean - want).abs();
    let ok = diff <= 2.0 * ci95 && diff <= tol;
    eprintln!("{case} {metric}: simulated {mean:.5} ± {ci95:.5}, reference {want:.5}, |diff| {diff:.5} (tol {tol:.5}) {}", if ok { "ok" } else { "FAIL" });
    if !ok {
        failures.push(format!(
            "{case} {metric}: simulated {mean} ± {ci95}, reference {want}"
        ));
    }
}

#[test]
fn simulation_matches_erlang_table() {
    let mut failures = Vec::new();
    for row in erlang_rows() {
        // About 150k tasks per replication, 12 replications per row.
        let hours = (150_000.0 / row.rate / 3600.0).ceil();
        let text = mmc_scenario(
            row.rate,
            row.handle,
            row.agents,
            row.patience,
            row.sla,
            hours,
            12,
        );
        let scn = load(&text);
        let s = summarise(&scn);
        let get = |m: &str| *s.get("support", m).unwrap();
        let pw = get("p_wait");
        check(
            &row.case,
            "p_wait",
            pw.mean,
            pw.ci95,
            row.p_wait,
            0.01,
            &mut failures,
        );
        let mw = get("mean_wait_s");
        check(
            &row.case,
            "mean_wait_s",
            mw.mean,
            mw.ci95,
            row.mean_wait,
            0.03 * row.mean_wait,
            &mut failures,
        );
        if let Some(sl) = row.service_level {
            let e = get("service_level");
            check(
                &row.case,
                "service_level",
                e.mean,
                e.ci95,
                sl,
                0.01,
                &mut failures,
            );
        }
        let pa = get("p_abandon");
        if row.patience.is_some() {
            check(
                &row.case,
                "p_abandon",
                pa.mean,
                pa.ci95,
                row.p_abandon,
                0.01,
                &mut failures,
            );
        } else {
            assert_eq!(
                pa.mean, 0.0,
                "{}: nobody abandons without patience",
                row.case
            );
        }
    }
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
}

/// `routesim erlang` reproduces the same table to 4 decimals.
#[test]
fn erlang_command_matches_the_table() {
    for row in erlang_rows() {
        let mut cmd = assert_cmd::Command::cargo_bin("routesim").unwrap();
        cmd.args([
            "erlang",
            "--rate",
            &format!("{}/s", row.rate),
            "--handle-time",
            &format!("{}s", row.handle),
            "--agents",
            &row.agents.to_string(),
            "--sla",
            &format!("{}s", row.sla),
        ]);
        if let Some(p) = row.patience {
            cmd.args(["--patience", &format!("{p}s")]);
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        let text = String::from_utf8(out).unwrap();
        let value = |key: &str| -> f64 {
            text.lines()
                .find_map(|l| l.strip_prefix(key).filter(|r| r.starts_with(' ')))
                .unwrap_or_else(|| panic!("{}: no {key} in\n{text}", row.case))
                .trim()
                .parse()
                .unwrap()
        };
        let close = |got: f64, want: f64, what: &str| {
            assert!(
                (got - want).abs() < 5e-5 * want.abs().max(1.0),
                "{} {what}: {got} vs {want}",
                row.case
            );
        };
        close(value("p_wait"), row.p_wait, "p_wait");
        close(value("mean_wait_s"), row.mean_wait, "mean_wait_s");
        if let Some(sl) = row.service_level {
            close(value("service_level"), sl, "service_level");
        }
        if row.patience.is_some() {
            close(value("p_abandon"), row.p_abandon, "p_abandon");
        }
    }
}
