//! Backups kept in an S3 bucket (moto): each backup the schedule makes is uploaded, the oldest
//! beyond the number kept are deleted there too, and a fresh installation restores from the
//! bucket.

use ferrochat_services::ServiceError;
use ferrochat_test_support::{TestApp, TestAppBuilder, fixtures};
use reqwest::Method;

#[tokio::test]
async fn backups_go_to_the_bucket_and_a_fresh_installation_restores_from_it() {
    let Some(moto) = super::files::moto("ferrochat-backups").await else {
        return;
    };
    let with_bucket = |b: TestAppBuilder| {
        b.env("BACKUP_S3_BUCKET", "ferrochat-backups")
            .env("BACKUP_KEEP", "2")
            .env("AWS_ENDPOINT_URL", &moto.url)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_FORCE_PATH_STYLE", "true")
    };
    let app = with_bucket(TestApp::builder()).spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    let (trip, _) = fixtures::conversation(&app, &ada, "Lisbon trip").await;
    let mut addresses = Vec::new();
    for _ in 0..3 {
        let report = app.state.services.backups.create().await.unwrap();
        addresses.push(report.uploaded.expect("uploaded"));
    }
    let key = |address: &str| {
        address
            .strip_prefix("s3://ferrochat-backups/")
            .unwrap()
            .to_owned()
    };
    assert!(
        key(&addresses[2]).starts_with("backups/ferrochat-"),
        "{addresses:?}"
    );
    // Two kept there, as here: the oldest went.
    let listing = moto.listing("ferrochat-backups").await;
    assert_eq!(listing.matches("<Key>").count(), 2, "{listing}");
    assert!(!listing.contains(&key(&addresses[0])), "{listing}");
    assert!(listing.contains(&key(&addresses[2])), "{listing}");
    assert_eq!(app.state.services.backups.list().unwrap().len(), 2);
    drop(app);

    // A fresh installation with the same bucket.
    let fresh = with_bucket(TestApp::builder()).spawn().await;
    let backups = &fresh.state.services.backups;
    for wrong in [
        "s3://another-bucket/backups/x.jsonl.gz".to_owned(),
        "s3://ferrochat-backups/backups/missing.jsonl.gz".to_owned(),
        addresses[0].clone(),
    ] {
        let err = backups.fetch(&wrong).await.unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(_)), "{wrong}: {err:?}");
    }
    let local = backups.fetch(&addresses[2]).await.unwrap();
    let restored = backups.restore_from(&local).await.unwrap();
    std::fs::remove_file(&local).unwrap();
    assert!(restored.counts.rows > 0);
    let token = fresh.token_for("ada@example.com").await;
    let (status, list) = fresh
        .call(&token, Method::GET, "/api/v1/conversations", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["data"][0]["id"], trip.id.to_string());
}
