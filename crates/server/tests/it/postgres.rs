//! The same server on PostgreSQL, when TEST_DATABASE_URL is set.

use ferrochat_test_support::{TestApp, TestDb};
use serde_json::Value;

#[tokio::test]
async fn the_server_runs_on_postgres() {
    let Some(db) = TestDb::postgres("server integration").await else {
        return;
    };
    let app = TestApp::builder().db(db).spawn().await;
    let res = app.get("/ready").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["database"], "postgres");
    let user = app.user().email("pg@example.com").create().await;
    assert_eq!(
        app.state
            .services
            .users
            .find("PG@example.com")
            .await
            .unwrap()
            .id,
        user.id
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"ferrochat_db_pool_connections{engine="postgres""#),
        "{metrics}"
    );
}
