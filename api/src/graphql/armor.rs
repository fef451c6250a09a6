//! Guards on a GraphQL document, run before async-graphql validates or executes it, so that an
//! abusive document is refused in microseconds with one clear error (DESIGN §3.4,
//! `QUERY_TOO_COMPLEX`).
//!
//! Two passes:
//! 1. [`scan`], on the query text, before it is parsed: length, tokens, aliases, directives and
//!    nesting, counted by a small GraphQL lexer that stops at the first limit exceeded (a
//!    1,000-alias query is refused after its 16th alias; a 10,000-level nesting never reaches
//!    the recursive parser).
//! 2. [`check_document`], on the parsed document: unknown or cyclic fragments, unknown
//!    directives, repeated fields, depth through fragments, the introspection depth of
//!    graphql-js' `MaxIntrospectionDepthRule`, and the cost (fields weighted by the list sizes
//!    `first` asks for). Fragments are visited once each (memoized), so a "fragment bomb" that
//!    expands exponentially costs linear time to refuse.
//!
//! It also gives the canonical form of a document ([`canonical`]: its tokens joined by single
//! spaces, comments and commas dropped) that the allow-list matches documents by.
//!
//! This module never executes anything and never echoes a value of the query in an error.

use std::collections::{HashMap, HashSet};

use async_graphql::Variables;
use async_graphql::parser::types::OperationType;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{Name, Value as ConstValue};

use super::Limits;
use crate::error::ApiError;

/// The size assumed for a list that takes no `first` argument (`Case.parties`,
/// `Person.identifiers` ...), when costing a query.
pub const ASSUMED_LIST_SIZE: u64 = 10;

/// The largest page a `first` argument may ask for; larger values are refused by the resolver
/// (`BAD_USER_INPUT`), so the cost counts at most this.
const MAX_PAGE: u64 = 100;

/// The page size of a `first` argument that is absent and has no default.
const DEFAULT_PAGE: u64 = 20;

/// Introspection list fields (`fields`, `interfaces`, `possibleTypes`, `inputFields`) nested this
/// many times on one path are refused, as graphql-js' `MaxIntrospectionDepthRule` does: the
/// standard introspection query nests them once, the "circular introspection" attack dozens of
/// times.
const MAX_INTROSPECTION_LISTS: usize = 3;

/// What the text scan counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Lexical tokens (punctuators, names, numbers, strings); comments, commas and white space
    /// are not tokens.
    pub tokens: usize,
    /// Aliases (`name: field` in a selection set).
    pub aliases: usize,
    /// Directives (`@name`).
    pub directives: usize,
    /// The deepest nesting of `{`, `(` and `[`.
    pub nesting: usize,
}

/// One token of a GraphQL document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok<'a> {
    /// `! $ & ( ) : = @ [ ] { | }`.
    Punct(u8),
    /// `...`.
    Spread,
    /// A name.
    Name(&'a str),
    /// An int or float, as written.
    Number(&'a str),
    /// A string or block string, as written (with its quotes).
    Str(&'a str),
    /// A character GraphQL does not know; the parser reports it.
    Invalid(&'a str),
}

/// A GraphQL lexer over a document's text: yields tokens, skipping white space, commas,
/// comments and byte order marks. It never fails: what it cannot read becomes
/// [`Tok::Invalid`] or ends a string early, and the parser says what is wrong.
struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Lexer<'a> {
        Lexer { src, pos: 0 }
    }

    fn skip_ignored(&mut self) {
        let bytes = self.src.as_bytes();
        while self.pos < bytes.len() {
            match bytes[self.pos] {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => self.pos += 1,
                b'#' => {
                    while self.pos < bytes.len() && !matches!(bytes[self.pos], b'\n' | b'\r') {
                        self.pos += 1;
                    }
                }
                0xEF if bytes[self.pos..].starts_with("\u{FEFF}".as_bytes()) => self.pos += 3,
                _ => return,
            }
        }
    }

    fn string(&mut self) -> &'a str {
        let bytes = self.src.as_bytes();
        let start = self.pos;
        if bytes[self.pos..].starts_with(b"\"\"\"") {
            self.pos += 3;
            while self.pos < bytes.len() {
                if bytes[self.pos..].starts_with(b"\\\"\"\"") {
                    self.pos += 4;
                } else if bytes[self.pos..].starts_with(b"\"\"\"") {
                    self.pos += 3;
                    return &self.src[start..self.pos];
                } else {
                    self.pos += 1;
                }
            }
        } else {
            self.pos += 1;
            while self.pos < bytes.len() {
                match bytes[self.pos] {
                    b'\\' => self.pos = (self.pos + 2).min(bytes.len()),
                    b'"' => {
                        self.pos += 1;
                        return &self.src[start..self.pos];
                    }
                    b'\n' | b'\r' => break,
                    _ => self.pos += 1,
                }
            }
        }
        // Unterminated: the rest of the line (or document) is the string; keep char boundaries.
        while !self.src.is_char_boundary(self.pos) {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Tok<'a>;

    fn next(&mut self) -> Option<Tok<'a>> {
        self.skip_ignored();
        let bytes = self.src.as_bytes();
        let start = self.pos;
        let b = *bytes.get(start)?;
        let tok = match b {
            b'!' | b'$' | b'&' | b'(' | b')' | b':' | b'=' | b'@' | b'[' | b']' | b'{' | b'|'
            | b'}' => {
                self.pos += 1;
                Tok::Punct(b)
            }
            b'.' if bytes[start..].starts_with(b"...") => {
                self.pos += 3;
                Tok::Spread
            }
            b'"' => Tok::Str(self.string()),
            b'-' | b'0'..=b'9' => {
                self.pos += 1;
                while self.pos < bytes.len()
                    && matches!(
                        bytes[self.pos],
                        b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'
                    )
                {
                    self.pos += 1;
                }
                Tok::Number(&self.src[start..self.pos])
            }
            b'_' | b'A'..=b'Z' | b'a'..=b'z' => {
                self.pos += 1;
                while self.pos < bytes.len()
                    && matches!(bytes[self.pos], b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z')
                {
                    self.pos += 1;
                }
                Tok::Name(&self.src[start..self.pos])
            }
            _ => {
                let len = self.src[start..].chars().next().map_or(1, char::len_utf8);
                self.pos += len;
                Tok::Invalid(&self.src[start..self.pos])
            }
        };
        Some(tok)
    }
}

fn too_complex(message: String) -> ApiError {
    ApiError::TooComplex(message)
}

/// Counts the query text against `limits` before it is parsed, stopping at the first limit
/// exceeded: length in bytes, tokens, aliases, directives, and nesting of `{ ( [` (which bounds
/// the parser's recursion).
pub fn scan(query: &str, limits: &Limits) -> Result<Scan, ApiError> {
    if query.len() > limits.query_bytes {
        return Err(too_complex(format!(
            "the query is {} bytes long; at most {} are allowed",
            query.len(),
            limits.query_bytes
        )));
    }
    let mut scan = Scan::default();
    let (mut depth, mut parens) = (0usize, 0usize);
    let mut previous: Option<Tok<'_>> = None;
    for tok in Lexer::new(query) {
        scan.tokens += 1;
        if scan.tokens > limits.tokens {
            return Err(too_complex(format!(
                "the query has more than {} tokens",
                limits.tokens
            )));
        }
        match tok {
            Tok::Punct(b'{' | b'[' | b'(') => {
                depth += 1;
                if tok == Tok::Punct(b'(') {
                    parens += 1;
                }
                scan.nesting = scan.nesting.max(depth);
                if depth > limits.recursive_depth {
                    return Err(too_complex(format!(
                        "the query nests more than {} levels of braces, brackets and parentheses",
                        limits.recursive_depth
                    )));
                }
            }
            Tok::Punct(b'}' | b']' | b')') => {
                depth = depth.saturating_sub(1);
                if tok == Tok::Punct(b')') {
                    parens = parens.saturating_sub(1);
                }
            }
            // Outside parentheses (arguments, variable definitions and the values in them), a
            // name followed by a colon is an alias.
            Tok::Punct(b':') if parens == 0 && matches!(previous, Some(Tok::Name(_))) => {
                scan.aliases += 1;
                if scan.aliases > limits.aliases {
                    return Err(too_complex(format!(
                        "the query has more than {} aliases",
                        limits.aliases
                    )));
                }
            }
            Tok::Punct(b'@') => {
                scan.directives += 1;
                if scan.directives > limits.directives {
                    return Err(too_complex(format!(
                        "the query has more than {} directives",
                        limits.directives
                    )));
                }
            }
            _ => {}
        }
        previous = Some(tok);
    }
    Ok(scan)
}

/// The canonical form of a document: its tokens joined by single spaces (comments, commas and
/// white space dropped), so that documents differing only in layout compare equal.
pub fn canonical(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for tok in Lexer::new(query) {
        if !out.is_empty() {
            out.push(' ');
        }
        match tok {
            Tok::Punct(b) => out.push(char::from(b)),
            Tok::Spread => out.push_str("..."),
            Tok::Name(s) | Tok::Number(s) | Tok::Str(s) | Tok::Invalid(s) => out.push_str(s),
        }
    }
    out
}

/// What [`check_document`] learnt about a document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Whether it asks for introspection (`__schema` or `__type` anywhere).
    pub introspection: bool,
    /// Its depth (fields nested, through fragments).
    pub depth: usize,
    /// Its cost (fields weighted by list sizes).
    pub cost: u64,
    /// Whether a query operation selects `_entities` at its root (through fragments too).
    pub entities: bool,
    /// Whether the document selects a field named `nodes` anywhere (a connection's page).
    pub lists: bool,
}

/// Checks a parsed document against `limits`, with `registry` (the schema that will execute it)
/// for field types and `variables` for the page sizes: unknown fragments and directives
/// (`BAD_USER_INPUT`), fragment cycles, repeated fields, depth, introspection depth and cost
/// (`QUERY_TOO_COMPLEX`).
pub fn check_document(
    doc: &ExecutableDocument,
    registry: &Registry,
    variables: &Variables,
    limits: &Limits,
) -> Result<Shape, ApiError> {
    let walker = Walker {
        doc,
        registry,
        variables,
    };
    walker.fragments_resolve()?;
    walker.directives_known()?;
    walker.fields_not_repeated(limits.field_repeats)?;
    let mut shape = Shape::default();
    let mut depth_memo = HashMap::new();
    let mut cost_memo = HashMap::new();
    let mut intro_memo = HashMap::new();
    shape.lists = walker.written_sets().iter().any(|set| {
        set.items.iter().any(
            |sel| matches!(&sel.node, Selection::Field(f) if f.node.name.node.as_str() == "nodes"),
        )
    });
    for (_, op) in doc.operations.iter() {
        let depth = walker.depth(&op.node.selection_set.node, &mut depth_memo);
        shape.depth = shape.depth.max(depth);
        if depth > limits.depth {
            return Err(too_complex(format!(
                "the query is {depth} levels deep; at most {} are allowed",
                limits.depth
            )));
        }
        let root = match op.node.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        };
        let cost = walker.cost(&op.node.selection_set.node, root, None, &mut cost_memo);
        shape.cost = shape.cost.saturating_add(cost);
        if shape.cost > limits.complexity as u64 {
            return Err(too_complex(format!(
                "the query costs {} (fields weighted by list sizes); at most {} is allowed",
                shape.cost, limits.complexity
            )));
        }
        let (intro, lists) =
            walker.introspection(&op.node.selection_set.node, false, 0, &mut intro_memo);
        shape.introspection |= intro;
        if op.node.ty == OperationType::Query {
            let mut seen = HashSet::new();
            shape.entities |=
                walker.selects_root_field(&op.node.selection_set.node, "_entities", &mut seen);
        }
        if lists >= MAX_INTROSPECTION_LISTS {
            return Err(too_complex(
                "the introspection query nests `fields`, `inputFields`, `interfaces` or \
                 `possibleTypes` too deeply"
                    .to_string(),
            ));
        }
    }
    Ok(shape)
}

/// Walks one document; fragments are resolved by name through `doc.fragments`.
struct Walker<'a> {
    doc: &'a ExecutableDocument,
    registry: &'a Registry,
    variables: &'a Variables,
}

/// Every selection set of a document, written once each (operations and fragments, not
/// expanded).
fn each_selection_set<'a>(set: &'a SelectionSet, out: &mut Vec<&'a SelectionSet>) {
    out.push(set);
    for sel in &set.items {
        match &sel.node {
            Selection::Field(f) => each_selection_set(&f.node.selection_set.node, out),
            Selection::InlineFragment(i) => each_selection_set(&i.node.selection_set.node, out),
            Selection::FragmentSpread(_) => {}
        }
    }
}

impl<'a> Walker<'a> {
    fn written_sets(&self) -> Vec<&'a SelectionSet> {
        let mut out = Vec::new();
        for (_, op) in self.doc.operations.iter() {
            each_selection_set(&op.node.selection_set.node, &mut out);
        }
        for frag in self.doc.fragments.values() {
            each_selection_set(&frag.node.selection_set.node, &mut out);
        }
        out
    }

    /// Every spread names a defined fragment, and no fragment spreads itself (directly or
    /// through others).
    fn fragments_resolve(&self) -> Result<(), ApiError> {
        for set in self.written_sets() {
            for sel in &set.items {
                if let Selection::FragmentSpread(s) = &sel.node
                    && !self.doc.fragments.contains_key(&s.node.fragment_name.node)
                {
                    return Err(ApiError::bad_input(
                        "query",
                        format!("unknown fragment `{}`", s.node.fragment_name.node),
                    ));
                }
            }
        }
        // Depth-first over the fragment graph: 1 = on the current path, 2 = done.
        let mut state: HashMap<&Name, u8> = HashMap::new();
        for name in self.doc.fragments.keys() {
            self.no_cycle(name, &mut state)?;
        }
        Ok(())
    }

    fn no_cycle(&self, name: &'a Name, state: &mut HashMap<&'a Name, u8>) -> Result<(), ApiError> {
        match state.get(name) {
            Some(2) => return Ok(()),
            Some(_) => {
                return Err(too_complex(format!(
                    "fragment `{name}` spreads itself (fragment cycles are not allowed)"
                )));
            }
            None => {}
        }
        state.insert(name, 1);
        if let Some(frag) = self.doc.fragments.get(name) {
            let mut sets = Vec::new();
            each_selection_set(&frag.node.selection_set.node, &mut sets);
            for set in sets {
                for sel in &set.items {
                    if let Selection::FragmentSpread(s) = &sel.node {
                        self.no_cycle(&s.node.fragment_name.node, state)?;
                    }
                }
            }
        }
        state.insert(name, 2);
        Ok(())
    }

    /// Every directive is one the schema defines (one error for the first unknown one, where
    /// validation would report each).
    fn directives_known(&self) -> Result<(), ApiError> {
        let known = |name: &Name| self.registry.directives.contains_key(name.as_str());
        let mut names: Vec<&Name> = Vec::new();
        for (_, op) in self.doc.operations.iter() {
            names.extend(op.node.directives.iter().map(|d| &d.node.name.node));
            for var in &op.node.variable_definitions {
                names.extend(var.node.directives.iter().map(|d| &d.node.name.node));
            }
        }
        for frag in self.doc.fragments.values() {
            names.extend(frag.node.directives.iter().map(|d| &d.node.name.node));
        }
        for set in self.written_sets() {
            for sel in &set.items {
                let directives = match &sel.node {
                    Selection::Field(f) => &f.node.directives,
                    Selection::InlineFragment(i) => &i.node.directives,
                    Selection::FragmentSpread(s) => &s.node.directives,
                };
                names.extend(directives.iter().map(|d| &d.node.name.node));
            }
        }
        match names.into_iter().find(|n| !known(n)) {
            Some(name) => Err(ApiError::bad_input(
                "query",
                format!("unknown directive `@{name}`"),
            )),
            None => Ok(()),
        }
    }

    /// No selection set, as written, selects one response key more than `max` times.
    fn fields_not_repeated(&self, max: usize) -> Result<(), ApiError> {
        for set in self.written_sets() {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for sel in &set.items {
                if let Selection::Field(f) = &sel.node {
                    let key = f
                        .node
                        .alias
                        .as_ref()
                        .map_or(f.node.name.node.as_str(), |a| a.node.as_str());
                    let n = seen.entry(key).or_default();
                    *n += 1;
                    if *n > max {
                        return Err(too_complex(format!(
                            "`{key}` is selected more than {max} times in one selection set"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// The depth of a selection set (fields nested, through fragments). Introspection
    /// (`__schema`, `__type`) counts as one level, as GraphQL Armor's `ignoreIntrospection`
    /// does: the standard introspection query is 13 levels deep, and introspection is bounded by
    /// its own rule ([`MAX_INTROSPECTION_LISTS`]) and the nesting limit.
    fn depth(&self, set: &'a SelectionSet, memo: &mut HashMap<&'a Name, usize>) -> usize {
        let mut max = 0;
        for sel in &set.items {
            let d = match &sel.node {
                Selection::Field(f)
                    if matches!(f.node.name.node.as_str(), "__schema" | "__type") =>
                {
                    1
                }
                Selection::Field(f) => 1 + self.depth(&f.node.selection_set.node, memo),
                Selection::InlineFragment(i) => self.depth(&i.node.selection_set.node, memo),
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    match memo.get(name) {
                        Some(d) => *d,
                        None => {
                            let d = self
                                .doc
                                .fragments
                                .get(name)
                                .map_or(0, |f| self.depth(&f.node.selection_set.node, memo));
                            memo.insert(name, d);
                            d
                        }
                    }
                }
            };
            max = max.max(d);
        }
        max
    }

    /// Whether a selection set reaches `__schema`/`__type`, and the most introspection list
    /// fields nested on one path below it (`lists` already on the path; `inside` once below
    /// `__schema`/`__type`).
    /// Whether `set` selects the field `name` itself, directly or through fragments (each named
    /// fragment is looked at once: `seen`).
    fn selects_root_field(
        &self,
        set: &'a SelectionSet,
        name: &str,
        seen: &mut HashSet<&'a Name>,
    ) -> bool {
        set.items.iter().any(|sel| match &sel.node {
            Selection::Field(field) => field.node.name.node.as_str() == name,
            Selection::InlineFragment(i) => {
                self.selects_root_field(&i.node.selection_set.node, name, seen)
            }
            Selection::FragmentSpread(s) => {
                let frag = &s.node.fragment_name.node;
                seen.insert(frag)
                    && self.doc.fragments.get(frag).is_some_and(|f| {
                        self.selects_root_field(&f.node.selection_set.node, name, seen)
                    })
            }
        })
    }

    fn introspection(
        &self,
        set: &'a SelectionSet,
        inside: bool,
        lists: usize,
        memo: &mut HashMap<(&'a Name, bool, usize), (bool, usize)>,
    ) -> (bool, usize) {
        let mut found = false;
        let mut most = lists;
        for sel in &set.items {
            let (f, m) = match &sel.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let entering = matches!(name, "__schema" | "__type");
                    let inside = inside || entering;
                    let lists = if inside
                        && matches!(
                            name,
                            "fields" | "inputFields" | "interfaces" | "possibleTypes"
                        ) {
                        lists + 1
                    } else {
                        lists
                    };
                    if lists >= MAX_INTROSPECTION_LISTS {
                        return (true, lists);
                    }
                    let (f, m) =
                        self.introspection(&field.node.selection_set.node, inside, lists, memo);
                    (f || entering, m)
                }
                Selection::InlineFragment(i) => {
                    self.introspection(&i.node.selection_set.node, inside, lists, memo)
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    let key = (name, inside, lists);
                    match memo.get(&key) {
                        Some(r) => *r,
                        None => {
                            let r = self.doc.fragments.get(name).map_or((false, lists), |frag| {
                                self.introspection(
                                    &frag.node.selection_set.node,
                                    inside,
                                    lists,
                                    memo,
                                )
                            });
                            memo.insert(key, r);
                            r
                        }
                    }
                }
            };
            found |= f;
            most = most.max(m);
            if most >= MAX_INTROSPECTION_LISTS {
                break;
            }
        }
        (found, most)
    }

    /// The cost of a selection set on `parent` (a type name, when known): each field costs 1
    /// plus its selection's cost times its list size. `page` is the page size asked by the
    /// field above (a connection's `first`), which sizes the lists directly below it.
    fn cost(
        &self,
        set: &'a SelectionSet,
        parent: Option<&str>,
        page: Option<u64>,
        memo: &mut HashMap<(&'a Name, Option<u64>), u64>,
    ) -> u64 {
        let mut total: u64 = 0;
        for sel in &set.items {
            let c = match &sel.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let meta = parent
                        .and_then(|p| self.registry.types.get(p))
                        .and_then(|t| t.field_by_name(name));
                    let ty = meta.map(|m| m.ty.as_str()).or(match name {
                        "__schema" => Some("__Schema!"),
                        "__type" => Some("__Type"),
                        _ => None,
                    });
                    let named = ty.map(|t| t.trim_matches(|c| matches!(c, '[' | ']' | '!')));
                    let is_list = ty.is_some_and(|t| t.starts_with('['));
                    let asked = self.page_argument(field, meta);
                    let introspective =
                        name.starts_with("__") || parent.is_some_and(|p| p.starts_with("__"));
                    let size = match (is_list, asked) {
                        (true, Some(n)) => n,
                        (true, None) if introspective => 1,
                        (true, None) if name == "_entities" => self.representations(field),
                        (true, None) => page.unwrap_or(ASSUMED_LIST_SIZE),
                        (false, _) => 1,
                    };
                    let below = if is_list { None } else { asked };
                    let children = if field.node.selection_set.node.items.is_empty() {
                        0
                    } else {
                        self.cost(&field.node.selection_set.node, named, below, memo)
                    };
                    1u64.saturating_add(size.saturating_mul(children))
                }
                Selection::InlineFragment(i) => {
                    let on = i
                        .node
                        .type_condition
                        .as_ref()
                        .map(|t| t.node.on.node.as_str())
                        .or(parent);
                    self.cost(&i.node.selection_set.node, on, page, memo)
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    match memo.get(&(name, page)) {
                        Some(c) => *c,
                        None => {
                            let c = self.doc.fragments.get(name).map_or(0, |frag| {
                                let on = frag.node.type_condition.node.on.node.as_str();
                                self.cost(&frag.node.selection_set.node, Some(on), page, memo)
                            });
                            memo.insert((name, page), c);
                            c
                        }
                    }
                }
            };
            total = total.saturating_add(c);
        }
        total
    }

    /// The page size a field asks for: its `first` (or `limit`) argument, as written, from the
    /// variables, or the argument's default; `None` when it takes neither.
    fn page_argument(
        &self,
        field: &async_graphql::Positioned<async_graphql::parser::types::Field>,
        meta: Option<&async_graphql::registry::MetaField>,
    ) -> Option<u64> {
        let meta = meta?;
        let arg = ["first", "limit"]
            .into_iter()
            .find(|a| meta.args.contains_key(*a))?;
        let value = self.argument(field, arg).as_ref().and_then(const_u64);
        let default = || {
            meta.args
                .get(arg)
                .and_then(|a| a.default_value.as_deref())
                .and_then(|d| d.parse::<u64>().ok())
        };
        let max = if arg == "first" { MAX_PAGE } else { 500 };
        Some(value.or_else(default).unwrap_or(DEFAULT_PAGE).clamp(1, max))
    }

    /// The value of `field`'s argument `name` as written, its variables replaced (`None` when
    /// absent or a variable is missing).
    fn argument(
        &self,
        field: &async_graphql::Positioned<async_graphql::parser::types::Field>,
        name: &str,
    ) -> Option<ConstValue> {
        let (_, value) = field
            .node
            .arguments
            .iter()
            .find(|(n, _)| n.node.as_str() == name)?;
        value
            .node
            .clone()
            .into_const_with(|var| self.variables.get(&var).cloned().ok_or(()))
            .ok()
    }

    /// How many representations an `_entities` field asks for.
    fn representations(
        &self,
        field: &async_graphql::Positioned<async_graphql::parser::types::Field>,
    ) -> u64 {
        let len = match self.argument(field, "representations") {
            Some(ConstValue::List(l)) => l.len(),
            _ => 1,
        };
        (len as u64).max(1)
    }
}

fn const_u64(v: &ConstValue) -> Option<u64> {
    match v {
        ConstValue::Number(n) => n
            .as_u64()
            .or_else(|| n.as_i64().map(|i| if i < 0 { 0 } else { i as u64 }))
            .or_else(|| n.as_f64().map(|f| f.clamp(0.0, u64::MAX as f64) as u64)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn code(err: &ApiError) -> &'static str {
        err.code().as_str()
    }

    #[test]
    fn the_lexer_skips_comments_commas_and_strings() {
        let s = scan(
            "# a comment with { braces and @ signs\nquery Q($a: Int = 1, $b: String) {\n  \
             x: cases(first: $a) @include(if: true) { nodes { title } } \
             y: me { agency } z: person(id: \"a:b { @c\") { fullName } }",
            &limits(),
        );
        let s = s.unwrap_or_default();
        assert_eq!(s.aliases, 3, "argument and variable colons are not aliases");
        assert_eq!(
            s.directives, 1,
            "an @ inside a string or comment is not a directive"
        );
        assert_eq!(s.nesting, 3);
    }

    #[test]
    fn block_strings_and_escapes_are_one_token() {
        let q = r#"{ a(x: """ he said \""" { @ """, y: "q\"{") }"#;
        assert_eq!(
            canonical(q),
            r#"{ a ( x : """ he said \""" { @ """ y : "q\"{" ) }"#
        );
        let s = scan(q, &limits()).unwrap_or_default();
        assert_eq!((s.directives, s.aliases), (0, 0));
    }

    #[test]
    fn each_text_limit_is_query_too_complex() {
        let l = limits();
        let aliases: String = (0..1000).map(|i| format!("a{i}: __typename ")).collect();
        let directives = format!("{{ __typename {} }}", "@include(if: true) ".repeat(60));
        let tokens = format!("{{ {} }}", "__typename ".repeat(2000));
        let nesting = format!("{}{}", "{ a ".repeat(100), "}".repeat(100));
        let long = format!("{{ __typename }} #{}", "x".repeat(l.query_bytes));
        for (what, q) in [
            ("aliases", format!("{{ {aliases} }}")),
            ("directives", directives),
            ("tokens", tokens),
            ("nesting", nesting),
            ("length", long),
        ] {
            match scan(&q, &l) {
                Err(e) => assert_eq!(code(&e), "QUERY_TOO_COMPLEX", "{what}"),
                Ok(s) => panic!("{what} passed: {s:?}"),
            }
        }
    }

    #[test]
    fn canonical_forms_ignore_layout_only() {
        let a = "query Q($id: ID!) {\n  case(id: $id) { id, title } # trailing\n}";
        let b = "query Q($id:ID!){case(id:$id){id title}}";
        assert_eq!(canonical(a), canonical(b));
        assert_ne!(
            canonical(a),
            canonical("query Q($id: ID!) { case(id: $id) { id } }")
        );
    }

    #[test]
    fn unterminated_strings_and_odd_characters_do_not_panic() {
        for q in [
            "{ a(x: \"abc",
            "{ a(x: \"\"\"abc",
            "{ é ü 💥 }",
            "\"\\",
            "...",
            "..",
            "\u{FEFF}{a}",
        ] {
            let _ = scan(q, &limits());
            let _ = canonical(q);
        }
    }

    fn checked(q: &str) -> Result<Shape, ApiError> {
        let schema = crate::graphql::build(crate::graphql::Audience::Full, limits())
            .map_err(ApiError::internal)?;
        let doc = async_graphql::parser::parse_query(q)
            .map_err(|e| ApiError::bad_input("query", e.to_string()))?;
        check_document(&doc, schema.registry(), &Variables::default(), &limits())
    }

    #[test]
    fn entities_are_found_at_the_root_through_fragments() {
        let entities = |q: &str| checked(q).map(|s| s.entities).ok();
        let direct =
            r#"{ _entities(representations: [{__typename: "Case", id: "x"}]) { __typename } }"#;
        assert_eq!(entities(direct), Some(true));
        let spread = r#"query { ...R } fragment R on Query { ... on Query { x: _entities(representations: []) { __typename } } }"#;
        assert_eq!(entities(spread), Some(true), "through fragments, aliased");
        assert_eq!(entities("{ me { agency } }"), Some(false));
        assert_eq!(
            entities("{ cases(first: 1) { nodes { id } } }"),
            Some(false)
        );
        let twice = "query { ...A ...A } fragment A on Query { me { agency } }";
        assert_eq!(entities(twice), Some(false));
        let mutation = r#"mutation { ... on Mutation { __typename } }"#;
        assert_eq!(entities(mutation), Some(false));
    }

    #[test]
    fn pages_are_found_anywhere_through_fragments() {
        let lists = |q: &str| checked(q).map(|s| s.lists).ok();
        assert_eq!(lists("{ cases(first: 1) { nodes { id } } }"), Some(true));
        let spread = "{ cases { ...P } } fragment P on CaseConnection { n: nodes { id } }";
        assert_eq!(lists(spread), Some(true), "in a fragment, aliased");
        assert_eq!(lists("{ cases { edges { node { id } } } }"), Some(false));
        assert_eq!(lists("{ me { agency } }"), Some(false));
    }

    #[test]
    fn fragment_cycles_and_unknown_fragments_are_refused() {
        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert_eq!(
            checked(cycle).err().map(|e| code(&e)),
            Some("QUERY_TOO_COMPLEX")
        );
        let selfish = "{ ...A } fragment A on Query { me { agency } ...A }";
        assert_eq!(
            checked(selfish).err().map(|e| code(&e)),
            Some("QUERY_TOO_COMPLEX")
        );
        let unknown = "{ ...Nope }";
        assert_eq!(
            checked(unknown).err().map(|e| code(&e)),
            Some("BAD_USER_INPUT")
        );
    }

    #[test]
    fn a_fragment_bomb_is_costed_without_expanding_it() {
        let mut q = String::from("{ ...F0 }\n");
        for i in 0..40 {
            q.push_str(&format!(
                "fragment F{i} on Query {{ ...F{} ...F{} }}\n",
                i + 1,
                i + 1
            ));
        }
        q.push_str("fragment F40 on Query { __typename }");
        let err = checked(&q).err();
        assert_eq!(err.map(|e| code(&e)), Some("QUERY_TOO_COMPLEX"));
    }

    #[test]
    fn cost_uses_the_page_sizes_asked_for() {
        let small = checked("{ cases(first: 5) { nodes { id title } } }");
        let big = checked("{ cases(first: 100) { nodes { id title } } }");
        let default = checked("{ cases { nodes { id title } } }");
        let (small, big, default) = (
            small.map(|s| s.cost).unwrap_or(0),
            big.map(|s| s.cost).unwrap_or(0),
            default.map(|s| s.cost).unwrap_or(0),
        );
        assert_eq!(small, 1 + 1 + 5 * 2);
        assert_eq!(big, 1 + 1 + 100 * 2);
        assert_eq!(default, 1 + 1 + 20 * 2);
        let nested = checked(
            "{ cases(first: 100) { nodes { parties { person { parties { case { parties { \
             person { identifiers { value } } } } } } } } } }",
        );
        assert_eq!(nested.err().map(|e| code(&e)), Some("QUERY_TOO_COMPLEX"));
    }

    #[test]
    fn depth_counts_through_fragments() {
        let mut q = String::from("{ ...F }\nfragment F on Query { me { ");
        q.push_str(&"a { ".repeat(12));
        q.push_str("a ");
        q.push_str(&"}".repeat(13));
        q.push_str(" }");
        let err = checked(&q).err();
        assert_eq!(err.map(|e| code(&e)), Some("QUERY_TOO_COMPLEX"));
    }

    #[test]
    fn circular_introspection_is_refused_and_the_standard_query_is_not() {
        let circular = "{ __schema { types { fields { type { fields { type { fields { type { \
                        name } } } } } } } } }";
        assert_eq!(
            checked(circular).err().map(|e| code(&e)),
            Some("QUERY_TOO_COMPLEX")
        );
        let standard = "{ __schema { types { name fields(includeDeprecated: true) { name args { \
                        name type { ...T } } type { ...T } } inputFields { name type { ...T } } \
                        interfaces { ...T } possibleTypes { ...T } } } } \
                        fragment T on __Type { kind name ofType { kind name ofType { kind name \
                        ofType { kind name } } } }";
        let shape = checked(standard);
        assert!(shape.as_ref().is_ok_and(|s| s.introspection), "{shape:?}");
        let plain = checked("{ me { agency } cases { nodes { __typename } } }");
        assert!(plain.is_ok_and(|s| !s.introspection));
    }

    #[test]
    fn repeated_fields_and_unknown_directives_are_refused() {
        let repeated = format!("{{ {} }}", "__typename ".repeat(11));
        assert_eq!(
            checked(&repeated).err().map(|e| code(&e)),
            Some("QUERY_TOO_COMPLEX")
        );
        assert!(checked(&format!("{{ {} }}", "__typename ".repeat(10))).is_ok());
        let unknown = "{ __typename @aa @aa @aa }";
        assert_eq!(
            checked(unknown).err().map(|e| code(&e)),
            Some("BAD_USER_INPUT")
        );
        assert!(checked("{ __typename @include(if: true) @skip(if: false) }").is_ok());
    }
}
