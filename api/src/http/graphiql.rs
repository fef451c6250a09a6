//! Dev-mode GraphiQL: the `GET /graphql` page and the browser assets it loads.
//!
//! The page works with no internet access: React, ReactDOM and GraphiQL are embedded in the
//! binary at build time (`api/build.rs` installs them from `web/graphiql/package-lock.json`) and
//! served from `/graphql/assets/{file}`. When the build could not fetch them, the page explains
//! how to, and `POST /graphql` keeps working. The page has a token field (sent as
//! `Authorization: Bearer <token>`) and a purpose field (sent as `X-Access-Purpose`), both kept
//! in `localStorage`, and runs subscriptions over `/graphql/ws` (graphql-transport-ws) with the
//! token in the `connection_init` payload.
//!
//! This module must never reference another origin (no CDN, no external font, nothing; this is
//! why async-graphql's `GraphiQLSource`, which loads from a CDN, is not used), never serve files
//! other than the embedded list, and never define `POST /graphql` or `/graphql/ws`: the caller
//! merges `routes()` into the router only in dev mode, next to its own GraphQL handlers.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded browser file.
struct Asset {
    /// File name under `/graphql/assets/`, e.g. `graphiql.min.js`.
    name: &'static str,
    /// The file's bytes, as copied from `node_modules` by the build script.
    bytes: &'static [u8],
}

// Defines `ASSETS_VERSION`, `ASSETS_MISSING_REASON` and `ASSETS` (written by api/build.rs).
include!(concat!(env!("OUT_DIR"), "/graphiql_assets.rs"));

/// What the routes serve: the embedded assets in the binary, or a test double.
#[derive(Clone, Copy)]
struct Bundle {
    /// Cache-busting query value for the asset URLs.
    version: &'static str,
    /// Why `assets` is empty, shown on the fallback page.
    missing_reason: &'static str,
    /// The servable files; empty when the build could not fetch them.
    assets: &'static [Asset],
}

/// The assets the build script embedded.
const EMBEDDED: Bundle = Bundle {
    version: ASSETS_VERSION,
    missing_reason: ASSETS_MISSING_REASON,
    assets: ASSETS,
};

/// The GraphiQL page template; `__ASSETS_VERSION__` is replaced by [`Bundle::version`].
const PAGE_TEMPLATE: &str = include_str!("graphiql.html");

/// Placeholder in [`PAGE_TEMPLATE`] for the cache-busting version.
const VERSION_PLACEHOLDER: &str = "__ASSETS_VERSION__";

/// Shown instead of GraphiQL when the build embedded no assets; `__REASON__` is replaced.
const MISSING_PAGE_TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ctex GraphiQL (dev): assets not built</title>
<link rel="icon" href="data:,">
<style>
  body {
    font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
    line-height: 1.5;
  }
  pre { background: #f4f4f6; padding: 0.75rem 1rem; overflow-x: auto; }
</style>
</head>
<body>
<h1>GraphiQL assets are not built into this server</h1>
<p>This dev-mode page serves GraphiQL from files embedded at build time, never from the internet.
This binary has none, because __REASON__.</p>
<p>To get them: install Node.js with <code>npm</code> (for example
<code>apt-get install npm</code>), make sure the build can reach the npm registry, then run from
the workspace root:</p>
<pre>unset CTEX_SKIP_GRAPHIQL_ASSETS
touch web/graphiql/package-lock.json
cargo build -p ctex</pre>
<p>and restart the server. The <code>touch</code> makes cargo re-run the build step, which runs
<code>npm ci</code> once and caches the result (see <code>web/graphiql/README.md</code>).</p>
<p><code>POST /graphql</code> works regardless: any GraphQL client can send queries to it, with
<code>Authorization: Bearer &lt;token&gt;</code> and <code>X-Access-Purpose</code> headers, and
subscriptions go to <code>/graphql/ws</code> (graphql-transport-ws).</p>
</body>
</html>
"#;

/// Content-Security-Policy of the GraphiQL page: only this origin, so even a stray reference to
/// another host is refused by the browser.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self' 'unsafe-inline'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Content-Security-Policy of the fallback page, which needs nothing but its inline style.
const MISSING_PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

/// `Cache-Control` of the assets: their URLs carry the lock's hash, so they never change.
const ASSET_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Routes for `GET /graphql` (the page) and `GET /graphql/assets/{file}` (its files).
///
/// Merge it only in dev mode, into a router whose `/graphql` handlers are method routers (e.g.
/// `post_service(GraphQL::new(schema))`), so that axum can combine the two on one path.
pub(crate) fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes_for(EMBEDDED)
}

/// [`routes`] over any bundle, so that tests need not depend on what the build embedded.
fn routes_for<S>(bundle: Bundle) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/graphql", get(move || async move { page(bundle) }))
        .route(
            "/graphql/assets/{file}",
            get(move |Path(file): Path<String>| async move { asset(bundle, &file) }),
        )
}

/// The HTML served at `GET /graphql` for `bundle`, and its Content-Security-Policy.
fn page_html(bundle: Bundle) -> (String, &'static str) {
    if bundle.assets.is_empty() {
        let reason = if bundle.missing_reason.is_empty() {
            "the build embedded no assets"
        } else {
            bundle.missing_reason
        };
        let html = MISSING_PAGE_TEMPLATE.replace("__REASON__", &escape_html(reason));
        (html, MISSING_PAGE_CSP)
    } else {
        let version: String = bundle
            .version
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        (
            PAGE_TEMPLATE.replace(VERSION_PLACEHOLDER, &version),
            PAGE_CSP,
        )
    }
}

/// `GET /graphql`: the GraphiQL page, or the explanation of how to build its assets.
fn page(bundle: Bundle) -> Response {
    let (html, csp) = page_html(bundle);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The page names the current asset version, so it must not outlive a rebuild.
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, csp),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

/// `GET /graphql/assets/{file}`: one embedded file, or 404 for any other name.
fn asset(bundle: Bundle, file: &str) -> Response {
    match bundle.assets.iter().find(|a| a.name == file) {
        Some(found) => (
            [
                (header::CONTENT_TYPE, content_type(found.name)),
                (header::CACHE_CONTROL, ASSET_CACHE_CONTROL),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            found.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "unknown GraphiQL asset\n").into_response(),
    }
}

/// The `Content-Type` for an asset file name, by extension.
fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("map" | "json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Escapes text for an HTML text node.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failing unwrap is a failing test")]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    /// The only `//` the page may contain: building the same-origin WebSocket URL.
    const WS_URL_EXPR: &str = "(location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' \
                               + location.host + '/graphql/ws'";

    static FAKE_ASSETS: &[Asset] = &[
        Asset {
            name: "graphiql.min.js",
            bytes: b"window.GraphiQL = {};",
        },
        Asset {
            name: "graphiql.min.css",
            bytes: b".graphiql-container {}",
        },
    ];

    const FAKE: Bundle = Bundle {
        version: "0123456789ab",
        missing_reason: "",
        assets: FAKE_ASSETS,
    };

    const EMPTY: Bundle = Bundle {
        version: "",
        missing_reason: "npm was not found on PATH when the crate was built",
        assets: &[],
    };

    async fn get(bundle: Bundle, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = routes_for::<()>(bundle)
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, headers, body.to_vec())
    }

    /// Fails if `html` names any other origin: no `http://`, `https://` or protocol-relative
    /// `//host` anywhere except the one same-origin WebSocket URL expression.
    fn assert_same_origin_only(html: &str) {
        let rest = html.replacen(WS_URL_EXPR, "", 1);
        for needle in ["http:", "https:", "//"] {
            assert!(
                !rest.contains(needle),
                "page contains {needle:?} at: {}",
                &rest[rest.find(needle).unwrap().saturating_sub(60)..]
                    .chars()
                    .take(120)
                    .collect::<String>()
            );
        }
        for attr in ["src=\"", "href=\"", "url("] {
            for (at, _) in rest.match_indices(attr) {
                let value = &rest[at + attr.len()..];
                assert!(
                    value.starts_with("/graphql/assets/") || value.starts_with("data:"),
                    "{attr} points outside /graphql/assets/: {}",
                    &value[..value.len().min(60)]
                );
            }
        }
    }

    #[test]
    fn graphiql_page_references_only_same_origin_urls() {
        let (html, _) = page_html(FAKE);

        assert!(
            html.contains(WS_URL_EXPR),
            "the ws URL construction changed"
        );
        assert_same_origin_only(&html);
        assert!(!html.contains(VERSION_PLACEHOLDER));
        assert!(html.contains("/graphql/assets/graphiql.min.js?v=0123456789ab"));
    }

    #[test]
    fn missing_assets_page_references_no_url_and_says_how_to_build() {
        let (html, _) = page_html(EMPTY);

        assert_same_origin_only(&html);
        assert!(html.contains("npm was not found on PATH"));
        assert!(html.contains("cargo build -p ctex"));
        assert!(html.contains("unset CTEX_SKIP_GRAPHIQL_ASSETS"));
        assert!(html.contains("POST /graphql"));
        assert!(!html.contains("<script"));
    }

    /// The file names the page loads from `/graphql/assets/` (in `src`/`href` attributes).
    fn referenced_assets(html: &str) -> Vec<&str> {
        let mut names = Vec::new();
        for attr in ["src=\"/graphql/assets/", "href=\"/graphql/assets/"] {
            for (at, _) in html.match_indices(attr) {
                let rest = &html[at + attr.len()..];
                names.push(&rest[..rest.find(['?', '"']).unwrap()]);
            }
        }
        names
    }

    #[test]
    fn page_loads_react_react_dom_and_graphiql() {
        let (html, _) = page_html(FAKE);

        let mut names = referenced_assets(&html);
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "graphiql.min.css",
                "graphiql.min.js",
                "react-dom.production.min.js",
                "react.production.min.js"
            ]
        );
    }

    #[test]
    fn embedded_page_is_same_origin_and_every_referenced_asset_is_embedded() {
        let (html, _) = page_html(EMBEDDED);
        assert_same_origin_only(&html);

        if EMBEDDED.assets.is_empty() {
            return; // built without npm: the fallback page was checked above
        }
        for name in referenced_assets(&html) {
            assert!(
                EMBEDDED.assets.iter().any(|a| a.name == name),
                "page loads {name}, which the build did not embed"
            );
        }
    }

    #[test]
    fn page_sets_token_purpose_and_websocket_options() {
        let (html, _) = page_html(FAKE);

        for expected in [
            "headers.Authorization = 'Bearer ' + token",
            "connectionParams.Authorization = 'Bearer ' + token",
            "headers['X-Access-Purpose'] = purpose",
            "url: '/graphql'",
            "subscriptionUrl: wsUrl",
            "wsConnectionParams: connectionParams",
            "localStorage.setItem",
        ] {
            assert!(html.contains(expected), "page lacks {expected:?}");
        }
    }

    #[tokio::test]
    async fn page_is_html_with_a_same_origin_csp() {
        let (status, headers, body) = get(FAKE, "/graphql").await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
        assert!(
            String::from_utf8(body)
                .unwrap()
                .contains("GraphiQL.createFetcher")
        );
    }

    #[tokio::test]
    async fn page_without_assets_still_loads() {
        let (status, headers, body) = get(EMPTY, "/graphql").await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert!(
            String::from_utf8(body)
                .unwrap()
                .contains("cargo build -p ctex")
        );
    }

    #[tokio::test]
    async fn asset_route_returns_bytes_with_content_type_and_long_cache() {
        let (status, headers, body) = get(FAKE, "/graphql/assets/graphiql.min.js?v=x").await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"window.GraphiQL = {};");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(headers[header::CACHE_CONTROL], ASSET_CACHE_CONTROL);

        let (status, headers, body) = get(FAKE, "/graphql/assets/graphiql.min.css").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b".graphiql-container {}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    }

    #[tokio::test]
    async fn unknown_asset_is_404() {
        for uri in [
            "/graphql/assets/nope.js",
            "/graphql/assets/..%2FCargo.toml",
            "/graphql/assets/GRAPHIQL.MIN.JS",
        ] {
            let (status, _, _) = get(FAKE, uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        }
        let (status, _, _) = get(EMPTY, "/graphql/assets/graphiql.min.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn embedded_assets_are_served_with_their_bytes() {
        for embedded in EMBEDDED.assets {
            let uri = format!("/graphql/assets/{}", embedded.name);
            let (status, headers, body) = get(EMBEDDED, &uri).await;

            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(body, embedded.bytes, "{uri}");
            assert_ne!(
                headers[header::CONTENT_TYPE],
                "application/octet-stream",
                "{uri}"
            );
        }
    }

    #[tokio::test]
    async fn merges_next_to_a_post_graphql_handler() {
        let app: Router = Router::new()
            .route("/graphql", axum::routing::post(|| async { "graphql" }))
            .merge(routes_for(FAKE));

        let get_page = app
            .clone()
            .oneshot(Request::get("/graphql").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let post = app
            .oneshot(Request::post("/graphql").body(Body::empty()).unwrap())
            .await
            .unwrap();

        assert_eq!(get_page.status(), StatusCode::OK);
        assert_eq!(post.status(), StatusCode::OK);
        let body = to_bytes(post.into_body(), usize::MAX).await.unwrap();
        assert_eq!(&body[..], b"graphql");
    }

    #[test]
    fn routes_do_not_define_post_graphql() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let response = rt.block_on(
            routes::<()>().oneshot(Request::post("/graphql").body(Body::empty()).unwrap()),
        );
        assert_eq!(response.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("a.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("a.js.map"), "application/json");
        assert_eq!(content_type("a"), "application/octet-stream");
    }

    #[test]
    fn escape_html_escapes_markup() {
        assert_eq!(
            escape_html("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
    }
}
