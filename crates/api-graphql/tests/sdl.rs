//! docs/schema.graphql is the schema as built (rerun with UPDATE_DOCS=1 to accept a change).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn docs_schema_graphql_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema.graphql");
    let sdl = ferrochat_api_graphql::build_schema().sdl();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &sdl).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        sdl,
        "docs/schema.graphql is stale: rerun with UPDATE_DOCS=1"
    );
}
