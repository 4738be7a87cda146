//! Every metric, column and outcome that an output can hold is documented,
//! and the README links only to files in the repository.

use routesim::model::Outcome;

fn readme() -> String {
    std::fs::read_to_string("README.md").unwrap()
}

fn names(header: &str) -> Vec<&str> {
    header.trim_end().split(',').collect()
}

fn missing<'a>(doc: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    names
        .into_iter()
        .filter(|n| {
            !doc.contains(&format!("`{n}`"))
                && !doc.contains(&format!(" {n},"))
                && !doc.contains(&format!(" {n}`"))
                && !doc.contains(&format!("`{n},"))
        })
        .collect()
}

#[test]
fn every_run_output_name_is_in_the_readme() {
    use routesim::report::{streams, summary};
    let doc = readme();
    let mut all: Vec<&str> = Vec::new();
    for h in [
        streams::SESSIONS_HEADER,
        streams::INTERVALS_HEADER,
        summary::USERS_HEADER,
        summary::REPLICATIONS_HEADER,
        summary::SUMMARY_HEADER,
        routesim::report::compare::COMPARISON_HEADER,
        routesim::report::compare_intervals::COMPARISON_INTERVALS_HEADER,
        routesim::report::interval_counts::INTERVAL_COUNTS_HEADER,
    ] {
        all.extend(names(h));
    }
    all.extend(routesim::stats::METRICS);
    all.extend([
        "comparison_intervals.csv",
        "interval_counts.csv",
        "sweep_interval_counts.csv",
    ]);
    let m = missing(&doc, all);
    assert!(m.is_empty(), "not in README.md: {m:?}");
    let outcomes = [
        Outcome::CustomerHangupBeforeAccept,
        Outcome::CustomerHangupInWorkflow,
        Outcome::CustomerHangupInWorkflowAfterQueue,
        Outcome::CustomerHangupInQueue,
        Outcome::UserAccepted,
        Outcome::UserTransferSuccess,
        Outcome::TransferredByWorkflow,
        Outcome::Cancelled,
        Outcome::Abandoned,
        Outcome::DisconnectedByWorkflow,
        Outcome::Failed,
    ];
    let m = missing(
        &doc,
        outcomes.iter().flat_map(|o| [o.name(), o.group().name()]),
    );
    assert!(m.is_empty(), "outcomes not in README.md: {m:?}");
}

#[test]
fn readme_links_only_to_files_in_the_repository() {
    let doc = readme();
    let mut n = 0;
    for (i, _) in doc.match_indices("](") {
        let rest = &doc[i + 2..];
        let target = &rest[..rest.find(')').unwrap()];
        if target.starts_with('#') {
            continue;
        }
        assert!(
            !target.contains("://") && !target.contains("shared"),
            "README links outside the repository: {target}"
        );
        let path = target.split('#').next().unwrap();
        assert!(
            std::path::Path::new(path).exists(),
            "README links to a missing file: {target}"
        );
        n += 1;
    }
    assert!(n > 0);
}

#[test]
fn every_staffing_column_is_in_the_planner_doc() {
    let doc = std::fs::read_to_string("docs/planner.md").unwrap();
    let m = missing(
        &doc,
        names(routesim::planner::staff::STAFFING_COLUMNS)
            .into_iter()
            .chain(["scheduled_agent_intervals", "shrinkage"]),
    );
    assert!(
        m.is_empty(),
        "staffing.csv columns not in docs/planner.md: {m:?}"
    );
}
