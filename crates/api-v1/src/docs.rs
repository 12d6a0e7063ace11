//! `/api-docs`: the OpenAPI document and an interactive reference (Swagger UI), every asset
//! served by ferrochat itself — the page works with no internet access. The index loads its
//! script from a file rather than inline, so it runs under the same strict script policy as
//! every other page.

use std::sync::LazyLock;

use axum::Router;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use http::header;

static DOCUMENT: LazyLock<String> = LazyLock::new(crate::openapi::json);

/// The page's own policy: the UI draws icons from `data:` URLs and styles inline.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

const INDEX: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>ferrochat API reference</title>
  <link rel="stylesheet" href="/api-docs/assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api-docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api-docs/init.js"></script>
</body>
</html>
"#;

const INIT: &str = r##"window.ui = SwaggerUIBundle({
  url: "/api-docs/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
});
"##;

async fn index() -> Response {
    ([(header::CONTENT_SECURITY_POLICY, CSP)], Html(INDEX)).into_response()
}

async fn init() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        INIT,
    )
        .into_response()
}

async fn document() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
        .into_response()
}

/// The documentation routes (no state; merged after the app's state is applied).
pub fn router() -> Router {
    let assets = swagger_ui_dist::generate_routes(swagger_ui_dist::ApiDefinition {
        uri_prefix: "/api-docs/assets",
        api_definition: swagger_ui_dist::OpenApiSource::Uri("/api-docs/openapi.json"),
        title: Some("ferrochat API reference"),
    });
    Router::new()
        .route("/api-docs", get(index))
        .route("/api-docs/", get(index))
        .route("/api-docs/init.js", get(init))
        .route("/api-docs/openapi.json", get(document))
        .merge(assets)
}
