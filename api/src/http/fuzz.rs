//! Property-based fuzzing (proptest) of what a request goes through before and during
//! execution: body parsing, the allow-list, the document guards, parsing and validation by
//! async-graphql, execution without a database, error classification, and the normalization
//! functions. cargo-fuzz needs a nightly toolchain; proptest runs on stable, shrinks failures and
//! records them under `proptest-regressions/`.
//!
//! CI runs the default number of cases (256 per property, a few seconds); run it longer by hand:
//! `PROPTEST_CASES=100000 cargo test -p ctex --lib http::fuzz -- --nocapture`.
//!
//! Properties: nothing panics; every error a caller could see carries a documented code and none
//! is `INTERNAL`; the guards agree with themselves (the canonical form of a document is stable
//! and counts as the document does); batches never exceed their bound.

use std::sync::LazyLock;

use async_graphql::{Request, Value};
use proptest::prelude::*;

use super::allowlist::{self, AllowList, Named};
use super::graphql::{BodyError, Incoming, classify, parse_body};
use crate::graphql::{Audience, Limits, Schemas, armor};
use crate::normalize::{self, IdentifierKind};

/// The codes of DESIGN §3.4 a fuzzed request may get.
const CODES: [&str; 8] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "PURPOSE_REQUIRED",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "QUERY_TOO_COMPLEX",
    "RATE_LIMITED",
];

static SCHEMAS: LazyLock<Option<Schemas>> =
    LazyLock::new(|| Schemas::build(Limits::default()).ok());

static RUNTIME: LazyLock<Option<tokio::runtime::Runtime>> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
});

static LIST: LazyLock<AllowList> = LazyLock::new(|| {
    let json = serde_json::json!({ "Me": "query Me { me { agency } }", "Cases": "{ cases { totalCount } }" });
    AllowList::parse(&json.to_string()).unwrap_or_default()
});

/// Words of the API and of GraphQL, to build documents that get past the parser often.
const WORDS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "!",
    "$n",
    "=",
    "@",
    "...",
    "query",
    "mutation",
    "subscription",
    "fragment F on Case",
    "fragment G on Query",
    "...F",
    "...G",
    "... on Case",
    "on",
    "cases",
    "case(id: \"x\")",
    "nodes",
    "edges",
    "node",
    "parties",
    "person",
    "fullName",
    "id",
    "title",
    "me",
    "agency",
    "subject",
    "__typename",
    "__schema",
    "__type(name: \"Case\")",
    "types",
    "fields",
    "name",
    "type",
    "ofType",
    "first: 5",
    "first: 1000",
    "first: $n",
    "a1:",
    "a2:",
    "@include(if: true)",
    "@skip(if: $b)",
    "@aa",
    "\"str\"",
    "\"\"\"block\"\"\"",
    "#comment\n",
    ",",
    "1e400",
    "-1",
    "\u{0}",
    "é",
    "persons(filter: { name: \"x\" })",
    "openCase(input: {})",
    "identifierHits(kind: PHONE, value: \"1\")",
    "totalCount",
    "_entities(representations: [{__typename: \"Case\", id: \"x\"}])",
    "_service",
    "sdl",
];

fn word_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..60).prop_map(|w| w.join(" "))
}

fn selection() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        "id",
        "title",
        "__typename",
        "agency",
        "fullName",
        "caseNumber",
        "totalCount",
        "name",
        "kind",
        "status",
    ])
    .prop_map(String::from);
    leaf.prop_recursive(8, 96, 5, |inner| {
        (
            prop::sample::select(vec![
                "cases",
                "case(id: \"00000000-0000-7000-8000-000000000000\")",
                "nodes",
                "edges",
                "node",
                "parties",
                "person",
                "me",
                "__schema",
                "types",
                "fields",
                "type",
                "ofType",
                "persons(first: 3)",
                "cases(first: 100)",
                "cases(first: $n)",
                "flags",
                "networks",
                "members",
                "... on Case",
                "...F",
                "network(caseId: \"x\")",
            ]),
            prop::option::of(prop::sample::select(vec!["a:", "b:", "c:"])),
            prop::option::of(prop::sample::select(vec![
                "@include(if: true)",
                "@skip(if: $b)",
                "@aa",
            ])),
            prop::collection::vec(inner, 1..5),
        )
            .prop_map(|(field, alias, directive, children)| {
                let alias = if field.starts_with("...") {
                    None
                } else {
                    alias
                };
                format!(
                    "{} {field} {} {{ {} }}",
                    alias.unwrap_or(""),
                    directive.unwrap_or(""),
                    children.join(" ")
                )
            })
    })
}

fn document() -> impl Strategy<Value = String> {
    prop_oneof![
        (selection(), selection()).prop_map(|(q, f)| format!(
            "query Q($n: Int, $b: Boolean) {{ {q} }} fragment F on Case {{ {f} }}"
        )),
        selection().prop_map(|q| format!("{{ {q} }}")),
        word_soup(),
        any::<String>(),
    ]
}

fn variables() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::json!({})),
        (any::<i64>(), any::<bool>()).prop_map(|(n, b)| serde_json::json!({ "n": n, "b": b })),
        Just(serde_json::json!({ "n": 1e300, "b": "x" })),
        Just(serde_json::json!({ "n": [1, 2], "b": null })),
    ]
}

/// Runs `query` with `variables` through the guards and the full schema, without a request
/// context (so no resolver reaches a database); returns the error codes a caller would see.
fn run(query: &str, variables: serde_json::Value) -> Vec<String> {
    let (Some(schemas), Some(rt)) = (SCHEMAS.as_ref(), RUNTIME.as_ref()) else {
        return vec!["setup failed".into()];
    };
    let limits = Limits::default();
    let mut request = Request::new(query).variables(async_graphql::Variables::from_json(variables));
    let mut schema = &schemas.full;
    let refused = armor::scan(query, &limits).err().or_else(|| {
        let vars = request.variables.clone();
        match request.parsed_query() {
            Err(_) => None,
            Ok(doc) => match armor::check_document(doc, schemas.full.registry(), &vars, &limits) {
                Ok(shape) => {
                    // As a request runs it, introspection aside (answered by a contract).
                    if shape.entities {
                        schema = &schemas.full_entities;
                    }
                    None
                }
                Err(err) => Some(err),
            },
        }
    });
    if let Some(err) = refused {
        return vec![err.code().as_str().to_string()];
    }
    let mut response = rt.block_on(crate::graphql::batch::driven(schema.execute(request)));
    classify(&mut response.errors, "fuzz");
    response
        .errors
        .iter()
        .map(
            |e| match e.extensions.as_ref().and_then(|x| x.get("code")) {
                Some(Value::String(c)) => c.clone(),
                _ => "NO CODE".to_string(),
            },
        )
        .collect()
}

proptest! {
    #[test]
    fn bodies_never_panic_and_batches_stay_bounded(bytes in prop::collection::vec(any::<u8>(), 0..512), max in 1usize..8) {
        match parse_body(&bytes, max) {
            Ok(Incoming::Batch(b)) => prop_assert!(!b.is_empty() && b.len() <= max),
            Ok(Incoming::Single(_)) | Err(BodyError::NotGraphql | BodyError::TooMany | BodyError::Empty) => {}
        }
    }

    #[test]
    fn json_bodies_parse_as_requests_or_are_refused(
        queries in prop::collection::vec((document(), variables(), prop::option::of("[A-Za-z]{0,8}")), 1..9),
        max in 1usize..8,
        batch in any::<bool>(),
    ) {
        let items: Vec<serde_json::Value> = queries
            .iter()
            .map(|(q, v, id)| serde_json::json!({ "query": q, "variables": v, "id": id }))
            .collect();
        let body = if batch { serde_json::json!(items) } else { items[0].clone() };
        match parse_body(body.to_string().as_bytes(), max) {
            Ok(Incoming::Single(_)) => prop_assert!(!batch),
            Ok(Incoming::Batch(b)) => prop_assert!(batch && b.len() == items.len() && b.len() <= max),
            Err(BodyError::TooMany) => prop_assert!(batch && items.len() > max),
            Err(e) => prop_assert!(false, "a well-formed body refused: {e:?}"),
        }
    }

    #[test]
    fn the_guards_never_panic_and_canonical_forms_are_stable(query in document()) {
        let limits = Limits::default();
        let first = armor::scan(&query, &limits);
        let canonical = armor::canonical(&query);
        prop_assert_eq!(armor::canonical(&canonical), canonical.clone());
        if let (Ok(a), Ok(b)) = (first, armor::scan(&canonical, &limits)) {
            prop_assert_eq!((a.tokens, a.aliases, a.directives, a.nesting), (b.tokens, b.aliases, b.directives, b.nesting));
        }
        for named in [
            Named { query: Some(&query), ..Named::default() },
            Named { query: Some(&query), sha256: Some(&query), ..Named::default() },
            Named { id: Some(&query), ..Named::default() },
        ] {
            let _ = allowlist::resolve(Some(&LIST), named);
            let _ = allowlist::resolve(None, named);
        }
    }

    #[test]
    fn every_error_has_a_documented_code_and_none_is_internal(query in document(), vars in variables()) {
        for code in run(&query, vars) {
            prop_assert!(CODES.contains(&code.as_str()), "{code} for {query:?}");
        }
    }

    #[test]
    fn normalization_never_panics_and_is_idempotent(value in any::<String>(), platform in prop::option::of("[a-zA-Z]{0,12}")) {
        use strum::IntoEnumIterator;
        for kind in IdentifierKind::iter() {
            if let Ok(n) = normalize::normalize_identifier(kind, &value, platform.as_deref()) {
                let again = normalize::normalize_identifier(kind, &n.value, n.platform.as_deref());
                prop_assert_eq!(again, Ok(n));
            }
        }
        let key = normalize::fold_name(&value);
        prop_assert_eq!(normalize::fold_name(&key), key);
    }
}

#[test]
fn the_harness_reaches_every_stage() {
    assert!(SCHEMAS.is_some());
    assert!(crate::graphql::build(Audience::Full, Limits::default()).is_ok());
    let none: Vec<String> = Vec::new();
    assert_eq!(
        run("{ __typename }", serde_json::json!({})),
        none,
        "executed"
    );
    assert_eq!(
        run("{ me { agency } }", serde_json::json!({})),
        ["UNAUTHENTICATED"],
        "resolved"
    );
    assert_eq!(
        run("{ me { agenc } }", serde_json::json!({})),
        ["BAD_USER_INPUT"],
        "validated"
    );
    assert_eq!(
        run("{ me { ", serde_json::json!({})),
        ["BAD_USER_INPUT"],
        "parsed"
    );
    let deep = format!("{}{}", "{ a ".repeat(40), "}".repeat(40));
    assert_eq!(
        run(&deep, serde_json::json!({})),
        ["QUERY_TOO_COMPLEX"],
        "guarded"
    );
}
