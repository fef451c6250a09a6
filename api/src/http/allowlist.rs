//! The persisted-operation allow-list (`CTEX_ALLOWLIST=path`): when set, only the operations it
//! lists run; agency systems register their queries with the ctex operators.
//!
//! The file is JSON, in either of two shapes:
//! - an object of operation id → document:
//!   `{ "CaseTitle": "query CaseTitle($id: ID!) { case(id: $id) { title } }" }`;
//! - an Apollo persisted-query manifest:
//!   `{ "format": "apollo-persisted-query-manifest", "version": 1, "operations":
//!   [{ "id": "<sha256>", "name": "CaseTitle", "type": "query", "body": "query CaseTitle…" }] }`.
//!
//! A request names its operation by any of:
//! - `"id": "<operation id>"` next to `variables` (the GraphQL-over-HTTP persisted document
//!   style; `documentId` is read too);
//! - `extensions.persistedQuery.sha256Hash`: the SHA-256 (hex) of a listed document's exact text
//!   (Apollo's automatic persisted queries, without registration);
//! - the full `query`, which runs only if a listed document has the same tokens (layout,
//!   comments and commas do not matter; see [`armor::canonical`]).
//!
//! An unlisted operation is `FORBIDDEN`. Without an allow-list, `id` and hash-only requests are
//! `BAD_USER_INPUT` (the hash one with Apollo's message `PersistedQueryNotFound`, so Apollo
//! clients fall back to sending the query). The file is read at start and on SIGHUP.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::graphql::armor;

/// The operations a server runs when an allow-list is configured.
#[derive(Debug, Default)]
pub struct AllowList {
    /// Operation id → document.
    by_id: HashMap<String, Arc<str>>,
    /// SHA-256 (hex) of a document's exact text → document.
    by_hash: HashMap<String, Arc<str>>,
    /// SHA-256 (hex) of each document's canonical form.
    canonical: HashSet<String>,
}

/// How a request names its operation.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Named<'a> {
    /// The `query` text, if sent.
    pub(crate) query: Option<&'a str>,
    /// The `id` (or `documentId`), if sent.
    pub(crate) id: Option<&'a str>,
    /// `extensions.persistedQuery.sha256Hash`, if sent.
    pub(crate) sha256: Option<&'a str>,
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn canonical_hash(text: &str) -> String {
    sha256_hex(&armor::canonical(text))
}

fn forbidden() -> ApiError {
    ApiError::forbidden("this operation is not on the allow-list")
}

impl AllowList {
    /// Reads the allow-list file.
    pub fn load(path: &Path) -> anyhow::Result<AllowList> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the allow-list {}: {e}", path.display()))?;
        AllowList::parse(&text)
            .map_err(|e| anyhow::anyhow!("the allow-list {}: {e:#}", path.display()))
    }

    /// Parses an allow-list (either shape of the module documentation); every document must
    /// parse as GraphQL.
    pub fn parse(json: &str) -> anyhow::Result<AllowList> {
        let value: serde_json::Value = serde_json::from_str(json)?;
        let object = value
            .as_object()
            .ok_or_else(|| anyhow::anyhow!("expected a JSON object"))?;
        let mut entries: Vec<(String, String)> = Vec::new();
        if let Some(operations) = object.get("operations") {
            let operations = operations
                .as_array()
                .ok_or_else(|| anyhow::anyhow!("`operations` must be a list"))?;
            for (i, op) in operations.iter().enumerate() {
                let id = op.get("id").and_then(|v| v.as_str());
                let body = op.get("body").and_then(|v| v.as_str());
                match (id, body) {
                    (Some(id), Some(body)) => entries.push((id.to_string(), body.to_string())),
                    _ => anyhow::bail!("operation {i} needs a string `id` and `body`"),
                }
            }
        } else {
            for (id, doc) in object {
                let doc = doc
                    .as_str()
                    .ok_or_else(|| anyhow::anyhow!("`{id}` must map to a GraphQL document"))?;
                entries.push((id.clone(), doc.to_string()));
            }
        }
        let mut list = AllowList::default();
        for (id, doc) in entries {
            async_graphql::parser::parse_query(&doc)
                .map_err(|e| anyhow::anyhow!("operation `{id}` does not parse: {e}"))?;
            let doc: Arc<str> = Arc::from(doc);
            list.by_hash.insert(sha256_hex(&doc), doc.clone());
            list.canonical.insert(canonical_hash(&doc));
            list.by_id.insert(id, doc);
        }
        Ok(list)
    }

    /// How many operations it lists.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether it lists nothing (every operation is then refused).
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// The document a request runs, given the allow-list (if any) and how the request names it.
pub(crate) fn resolve(list: Option<&AllowList>, named: Named<'_>) -> Result<String, ApiError> {
    let query = named.query.filter(|q| !q.trim().is_empty());
    if let (Some(query), Some(hash)) = (query, named.sha256)
        && !sha256_hex(query).eq_ignore_ascii_case(hash.trim())
    {
        return Err(ApiError::bad_input(
            "extensions.persistedQuery",
            "provided sha256Hash does not match the query",
        ));
    }
    let Some(list) = list else {
        return match (query, named.id, named.sha256) {
            (Some(query), _, _) if named.id.is_none() => Ok(query.to_string()),
            (_, Some(_), _) => Err(ApiError::bad_input(
                "id",
                "this server keeps no persisted operations (no allow-list); send the query",
            )),
            (None, None, Some(_)) => Err(ApiError::bad_input(
                "extensions.persistedQuery",
                "PersistedQueryNotFound",
            )),
            _ => Err(ApiError::bad_input("query", "the request has no query")),
        };
    };
    if let Some(id) = named.id {
        let doc = list.by_id.get(id).ok_or_else(forbidden)?;
        if let Some(query) = query
            && armor::canonical(query) != armor::canonical(doc)
        {
            return Err(ApiError::bad_input(
                "query",
                "the query differs from the listed operation of this id",
            ));
        }
        return Ok(doc.to_string());
    }
    match (query, named.sha256) {
        (Some(query), _) => {
            if list.canonical.contains(&canonical_hash(query)) {
                Ok(query.to_string())
            } else {
                Err(forbidden())
            }
        }
        (None, Some(hash)) => list
            .by_hash
            .get(&hash.trim().to_ascii_lowercase())
            .map(|d| d.to_string())
            .ok_or_else(forbidden),
        (None, None) => Err(ApiError::bad_input("query", "the request has no query")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TITLE: &str = "query CaseTitle($id: ID!) { case(id: $id) { title } }";

    fn list() -> AllowList {
        let json = serde_json::json!({ "CaseTitle": TITLE, "Me": "{ me { agency } }" });
        AllowList::parse(&json.to_string()).unwrap_or_default()
    }

    fn code(r: Result<String, ApiError>) -> String {
        match r {
            Ok(_) => "OK".into(),
            Err(e) => e.code().as_str().into(),
        }
    }

    #[test]
    fn listed_documents_run_by_text_id_or_hash() {
        let list = list();
        assert_eq!(list.len(), 2);
        let relaid = "query CaseTitle($id: ID!) {\n  case(id: $id) {\n    title\n  }\n} # x";
        for named in [
            Named {
                query: Some(TITLE),
                ..Named::default()
            },
            Named {
                query: Some(relaid),
                ..Named::default()
            },
            Named {
                id: Some("CaseTitle"),
                ..Named::default()
            },
            Named {
                sha256: Some(&sha256_hex(TITLE)),
                ..Named::default()
            },
            Named {
                query: Some(TITLE),
                sha256: Some(&sha256_hex(TITLE)),
                ..Named::default()
            },
        ] {
            assert_eq!(code(resolve(Some(&list), named)), "OK", "{named:?}");
        }
        assert_eq!(
            resolve(
                Some(&list),
                Named {
                    id: Some("CaseTitle"),
                    ..Named::default()
                }
            )
            .ok(),
            Some(TITLE.to_string())
        );
    }

    #[test]
    fn unlisted_operations_are_forbidden() {
        let list = list();
        for named in [
            Named {
                query: Some("{ me { agency subject } }"),
                ..Named::default()
            },
            Named {
                id: Some("Nope"),
                ..Named::default()
            },
            Named {
                sha256: Some(&sha256_hex("{ x }")),
                ..Named::default()
            },
        ] {
            assert_eq!(code(resolve(Some(&list), named)), "FORBIDDEN", "{named:?}");
        }
        assert_eq!(
            code(resolve(
                Some(&AllowList::default()),
                Named {
                    query: Some(TITLE),
                    ..Named::default()
                }
            )),
            "FORBIDDEN",
            "an empty list runs nothing"
        );
    }

    #[test]
    fn mismatches_and_missing_queries_are_bad_input() {
        let list = list();
        let wrong_hash = Named {
            query: Some(TITLE),
            sha256: Some(&sha256_hex("{ me { agency } }")),
            ..Named::default()
        };
        assert_eq!(code(resolve(Some(&list), wrong_hash)), "BAD_USER_INPUT");
        let other_doc = Named {
            query: Some("{ me { agency } }"),
            id: Some("CaseTitle"),
            ..Named::default()
        };
        assert_eq!(code(resolve(Some(&list), other_doc)), "BAD_USER_INPUT");
        assert_eq!(
            code(resolve(Some(&list), Named::default())),
            "BAD_USER_INPUT"
        );
    }

    #[test]
    fn without_a_list_queries_run_and_persisted_references_do_not() {
        assert_eq!(
            code(resolve(
                None,
                Named {
                    query: Some("{ x }"),
                    ..Named::default()
                }
            )),
            "OK"
        );
        let hash_only = Named {
            sha256: Some("abc"),
            ..Named::default()
        };
        match resolve(None, hash_only) {
            Err(e) => assert_eq!(e.to_string(), "PersistedQueryNotFound"),
            Ok(_) => panic!("a hash alone cannot run without a list"),
        }
        assert_eq!(
            code(resolve(
                None,
                Named {
                    id: Some("CaseTitle"),
                    ..Named::default()
                }
            )),
            "BAD_USER_INPUT"
        );
    }

    #[test]
    fn apollo_manifests_are_read_and_bad_files_refused() {
        let manifest = serde_json::json!({
            "format": "apollo-persisted-query-manifest", "version": 1,
            "operations": [{ "id": sha256_hex(TITLE), "name": "CaseTitle", "type": "query", "body": TITLE }]
        });
        let list = AllowList::parse(&manifest.to_string()).unwrap_or_default();
        assert_eq!(list.len(), 1);
        assert_eq!(
            code(resolve(
                Some(&list),
                Named {
                    id: Some(&sha256_hex(TITLE)),
                    ..Named::default()
                }
            )),
            "OK"
        );
        for bad in [
            "[]",
            "{\"a\": 1}",
            "{\"a\": \"{ unclosed\"}",
            "{\"operations\": [{\"id\": \"x\"}]}",
        ] {
            assert!(AllowList::parse(bad).is_err(), "{bad}");
        }
    }
}
