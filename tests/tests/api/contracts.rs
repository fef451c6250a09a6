//! The generated contracts stay in sync: `schema.graphql` (the full federated SDL) and
//! `schemas/<agency>.graphql` (each agency's contract) must equal what `ctex schema` prints. On a
//! mismatch the file is rewritten, so the diff shows in review, and the test fails.

use std::path::PathBuf;

use ctex_tests::ctex::domain::Agency;
use ctex_tests::ctex::graphql::{Audience, sdl};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check(path: PathBuf, expected: String) -> Option<String> {
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == expected {
        return None;
    }
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(&path, &expected);
    Some(format!(
        "{} was out of date and has been rewritten; review and commit it",
        path.display()
    ))
}

#[test]
fn schema_graphql_is_in_sync() {
    let problem = check(
        root().join("schema.graphql"),
        sdl(Audience::Full).expect("sdl"),
    );
    assert!(problem.is_none(), "{}", problem.unwrap_or_default());
}

#[test]
fn agency_contract_schemas_are_in_sync() {
    let problems: Vec<String> = Agency::ALL
        .iter()
        .filter_map(|a| {
            let path = root().join("schemas").join(format!("{}.graphql", a.code()));
            check(path, sdl(Audience::Agency(*a)).expect("sdl"))
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_readme_access_matrix_is_generated_from_the_policy_table() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (start, end) = (
        "<!-- access-matrix:start -->\n",
        "<!-- access-matrix:end -->",
    );
    let from = readme.find(start).expect("start marker") + start.len();
    let to = readme.find(end).expect("end marker");
    let expected = ctex_tests::ctex::policy::matrix::markdown();
    if readme[from..to] != expected {
        let updated = format!("{}{}{}", &readme[..from], expected, &readme[to..]);
        let _ = std::fs::write(&path, updated);
        panic!(
            "README.md's access matrix was out of date and has been rewritten; review and commit it"
        );
    }
}
