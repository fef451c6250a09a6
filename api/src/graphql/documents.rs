//! The parsed-document cache: a query text parsed once is not parsed again.
//!
//! Agency systems send the same few documents over and over with different variables, and
//! async-graphql's parser (pest) cost about 6 % of ctex's instructions on a page of cases
//! (BENCHMARKS.md, "Instructions per request"). Parsing is a pure function of the text, so a
//! cached document is exactly what parsing would give; every check that depends on anything
//! else (the text limits of `armor::scan`, the document limits with the request's variables,
//! validation, the policy) still runs on every request.
//!
//! Only documents that parsed are kept, and the cache is bounded by the total length of the
//! texts it holds ([`CAPACITY_BYTES`]); when a new text would pass the bound the cache is
//! emptied, so a flood of distinct documents costs what parsing them costs anyway.

use std::collections::HashMap;
use std::sync::RwLock;

use async_graphql::parser::types::ExecutableDocument;

/// The most query text (in bytes) whose documents are kept at once.
pub(crate) const CAPACITY_BYTES: usize = 1024 * 1024;

/// Texts longer than this are parsed every time (they are rare, and large).
pub(crate) const LARGEST_TEXT: usize = 16 * 1024;

#[derive(Default)]
struct Entries {
    documents: HashMap<Box<str>, ExecutableDocument>,
    bytes: usize,
}

/// Parsed documents by query text.
#[derive(Default)]
pub(crate) struct DocumentCache {
    entries: RwLock<Entries>,
}

impl DocumentCache {
    /// The document parsed from exactly `text`, if it is cached.
    pub(crate) fn get(&self, text: &str) -> Option<ExecutableDocument> {
        let entries = match self.entries.read() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        };
        entries.documents.get(text).cloned()
    }

    /// Keeps `document`, parsed from `text`.
    pub(crate) fn insert(&self, text: &str, document: ExecutableDocument) {
        if text.len() > LARGEST_TEXT {
            return;
        }
        let mut entries = match self.entries.write() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        };
        if entries.documents.contains_key(text) {
            return;
        }
        if entries.bytes + text.len() > CAPACITY_BYTES {
            entries.documents.clear();
            entries.bytes = 0;
        }
        entries.bytes += text.len();
        entries.documents.insert(text.into(), document);
    }

    /// How many documents are cached.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().map(|e| e.documents.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    #[test]
    fn a_cached_document_is_the_parsed_one_and_only_for_the_same_text() {
        let cache = DocumentCache::default();
        let text = "query Q($id: ID!) { case(id: $id) { id title } }";
        let parsed = parse_query(text).expect("parses");
        assert!(cache.get(text).is_none());
        cache.insert(text, parsed.clone());
        let cached = cache.get(text).expect("cached");
        assert_eq!(format!("{cached:?}"), format!("{parsed:?}"));
        assert!(
            cache
                .get("query Q($id: ID!) { case(id: $id) { id } }")
                .is_none()
        );
        assert!(cache.get(&format!("{text} ")).is_none(), "exact text only");
    }

    #[test]
    fn the_cache_is_bounded_by_the_text_it_holds() {
        let cache = DocumentCache::default();
        let doc = parse_query("{ __typename }").expect("parses");
        let padding = " ".repeat(LARGEST_TEXT - 20);
        let mut inserted = 0;
        for i in 0.. {
            let text = format!("{{ __typename }}{padding}# {i}");
            cache.insert(&text, doc.clone());
            inserted += 1;
            if inserted * text.len() > 3 * CAPACITY_BYTES {
                break;
            }
        }
        let most = CAPACITY_BYTES / (LARGEST_TEXT - 20);
        assert!(cache.len() <= most, "{} > {most}", cache.len());
        let huge = format!("{{ __typename }}{}", " ".repeat(LARGEST_TEXT));
        cache.insert(&huge, doc);
        assert!(cache.get(&huge).is_none(), "too large to keep");
    }
}
