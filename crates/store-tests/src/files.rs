//! Stories for `FileStore`.

use ferrochat_core::{FileId, Upload, UploadId, UserFile, UserId};
use ferrochat_store::{Store, StoreError};

use crate::at;
use crate::chat::user;

fn file(user_id: UserId, name: &str, bytes: u64, minute: i64) -> UserFile {
    let id = FileId::new();
    UserFile {
        id,
        user_id,
        filename: name.into(),
        content_type: "image/png".into(),
        bytes,
        sha256: "ab".repeat(32),
        storage_key: format!("files/{user_id}/{id}"),
        source: "local".into(),
        width: Some(640),
        height: None,
        context: "message_attachment".into(),
        temp_file_id: Some("temp-1".into()),
        created_at: at(minute),
    }
}

fn upload(user_id: UserId, length: u64, minute: i64) -> Upload {
    Upload {
        id: UploadId::new(),
        user_id,
        length,
        offset: 0,
        parts: Vec::new(),
        filename: "big.bin".into(),
        content_type: "application/octet-stream".into(),
        metadata: "filename YmlnLmJpbg==".into(),
        file_id: None,
        expires_at: at(minute + 60),
        created_at: at(minute),
    }
}

/// Files: round trip, newest-first keyset pages, ownership, deletion returning the row, and
/// the quota's count of stored bytes.
pub async fn file_rows(store: &dyn Store) {
    let u = user(store, "filer@example.com").await;
    let v = user(store, "other-filer@example.com").await;
    let a = file(u, "a.png", 100, 1);
    let b = file(u, "b.png", 200, 2);
    let c = file(u, "c.png", 300, 3);
    for f in [&a, &b, &c] {
        store.insert_file(f).await.unwrap();
    }
    assert_eq!(store.file(u, a.id).await.unwrap(), a);
    assert!(matches!(
        store.file(v, a.id).await,
        Err(StoreError::NotFound)
    ));
    let first = store.files(u, None, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![c.id, b.id]
    );
    let rest = store.files(u, Some((b.created_at, b.id)), 2).await.unwrap();
    assert_eq!(rest, vec![a.clone()]);
    assert!(store.files(v, None, 10).await.unwrap().is_empty());
    assert_eq!(store.bytes_used(u).await.unwrap(), 600);
    assert_eq!(store.bytes_used(v).await.unwrap(), 0);

    assert_eq!(store.delete_file(v, b.id).await.unwrap(), None);
    assert_eq!(store.delete_file(u, b.id).await.unwrap(), Some(b.clone()));
    assert_eq!(store.delete_file(u, b.id).await.unwrap(), None);
    assert_eq!(store.bytes_used(u).await.unwrap(), 400);
}

/// Resumable uploads: declared bytes count toward the quota until done, parts append only at
/// the current offset (a racing write loses), finishing records the file once, expired ones
/// are found for the sweep, and deletion returns the row.
pub async fn resumable_uploads(store: &dyn Store) {
    let u = user(store, "uploader@example.com").await;
    let v = user(store, "other-uploader@example.com").await;
    let up = upload(u, 1000, 1);
    store.create_upload(&up).await.unwrap();
    assert_eq!(store.upload(u, up.id).await.unwrap(), up);
    assert!(matches!(
        store.upload(v, up.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.bytes_used(u).await.unwrap(), 1000);

    assert!(store.append_part(&up, 0, "p0", 400, at(70)).await.unwrap());
    assert!(
        !store
            .append_part(&up, 0, "p0-late", 500, at(70))
            .await
            .unwrap(),
        "a second write at the same offset loses"
    );
    let mut now = store.upload(u, up.id).await.unwrap();
    assert_eq!(
        (now.offset, now.parts.clone()),
        (400, vec!["p0".to_owned()])
    );
    assert_eq!(now.expires_at, at(70));
    assert!(
        store
            .append_part(&now, 400, "p1", 1000, at(71))
            .await
            .unwrap()
    );
    now = store.upload(u, up.id).await.unwrap();
    assert_eq!(now.parts, vec!["p0".to_owned(), "p1".to_owned()]);

    let done = file(u, "big.bin", 1000, 5);
    store.finish_upload(&now, &done).await.unwrap();
    assert!(matches!(
        store
            .finish_upload(&now, &file(u, "again.bin", 1000, 5))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.upload(u, up.id).await.unwrap().file_id, Some(done.id));
    assert_eq!(store.file(u, done.id).await.unwrap(), done);
    assert_eq!(
        store.bytes_used(u).await.unwrap(),
        1000,
        "a finished upload counts once, as its file"
    );
    assert!(
        !store
            .append_part(&now, 1000, "p2", 1001, at(72))
            .await
            .unwrap()
    );

    let stale = upload(v, 50, 0);
    store.create_upload(&stale).await.unwrap();
    let expired = store.expired_uploads(at(65), 10).await.unwrap();
    assert_eq!(
        expired.iter().map(|x| x.id).collect::<Vec<_>>(),
        vec![stale.id]
    );
    assert_eq!(store.delete_upload(u, stale.id).await.unwrap(), None);
    assert_eq!(store.delete_upload(v, stale.id).await.unwrap(), Some(stale));
    assert!(store.expired_uploads(at(65), 10).await.unwrap().is_empty());
}
