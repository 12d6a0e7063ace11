//! Stories for `PromptStore`.

use ferrochat_core::{Prompt, PromptGroup, PromptGroupId, PromptId, PromptKind, UserId};
use ferrochat_store::{PromptDeleted, PromptGroupQuery, Store, StoreError};

use crate::at;
use crate::chat::user;

fn group(
    user_id: UserId,
    name: &str,
    command: Option<&str>,
    category: &str,
    minute: i64,
) -> PromptGroup {
    PromptGroup {
        id: PromptGroupId::new(),
        user_id,
        name: name.into(),
        command: command.map(str::to_owned),
        oneliner: String::new(),
        category: category.into(),
        production_id: None,
        production_prompt: None,
        number_of_generations: 0,
        created_at: at(minute),
        updated_at: at(minute),
    }
}

fn version(g: &PromptGroup, text: &str, minute: i64) -> Prompt {
    Prompt {
        id: PromptId::new(),
        group_id: g.id,
        user_id: g.user_id,
        text: text.into(),
        kind: PromptKind::Text,
        created_at: at(minute),
        updated_at: at(minute),
    }
}

fn names(groups: &[PromptGroup]) -> Vec<&str> {
    groups.iter().map(|g| g.name.as_str()).collect()
}

/// Groups with versions: create, production text, versions newest first, a new version in
/// use or not, production moved, deletion of versions (the newest remaining takes over; the
/// group goes with its last), commands unique per user, ownership.
pub async fn versions(store: &dyn Store) {
    let u = user(store, "prompter@example.com").await;
    let v = user(store, "other-prompter@example.com").await;
    let g = group(u, "Translate", Some("translate"), "write", 1);
    let v1 = version(&g, "Translate {{text}} into {{language}}", 1);
    store.create_prompt_group(&g, &v1).await.unwrap();
    let read = store.prompt_group(u, g.id).await.unwrap();
    assert_eq!(read.production_id, Some(v1.id));
    assert_eq!(read.production_prompt.as_deref(), Some(v1.text.as_str()));
    assert!(matches!(
        store.prompt_group(v, g.id).await,
        Err(StoreError::NotFound)
    ));

    // A second version, not in use; a third, in use.
    let v2 = version(&g, "Translate {{text}} to {{language}}, formally", 2);
    store.add_prompt(&v2, false).await.unwrap();
    assert_eq!(
        store.prompt_group(u, g.id).await.unwrap().production_id,
        Some(v1.id)
    );
    let v3 = version(&g, "Translate: {{text}}", 3);
    store.add_prompt(&v3, true).await.unwrap();
    let read = store.prompt_group(u, g.id).await.unwrap();
    assert_eq!(
        read.production_prompt.as_deref(),
        Some("Translate: {{text}}")
    );
    assert_eq!(read.updated_at, at(3));
    assert_eq!(
        store
            .prompts(u, g.id)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        vec![v3.id, v2.id, v1.id]
    );
    assert!(store.prompts(v, g.id).await.unwrap().is_empty());
    // Someone else cannot add to it.
    let mut foreign = version(&g, "mine now", 4);
    foreign.user_id = v;
    assert!(matches!(
        store.add_prompt(&foreign, true).await,
        Err(StoreError::NotFound)
    ));

    store.make_production(u, v2.id, at(5)).await.unwrap();
    assert_eq!(
        store.prompt_group(u, g.id).await.unwrap().production_id,
        Some(v2.id)
    );
    assert!(matches!(
        store.make_production(v, v1.id, at(5)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.prompt(u, v1.id).await.unwrap(), v1);

    // Deleting the version in use hands over to the newest left; the last takes the group.
    assert_eq!(
        store.delete_prompt(u, v2.id, at(6)).await.unwrap(),
        PromptDeleted::Version
    );
    assert_eq!(
        store.prompt_group(u, g.id).await.unwrap().production_id,
        Some(v3.id)
    );
    assert_eq!(
        store.delete_prompt(u, v1.id, at(7)).await.unwrap(),
        PromptDeleted::Version
    );
    assert_eq!(
        store.prompt_group(u, g.id).await.unwrap().production_id,
        Some(v3.id)
    );
    assert!(matches!(
        store.delete_prompt(v, v3.id, at(8)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.delete_prompt(u, v3.id, at(8)).await.unwrap(),
        PromptDeleted::Group(g.id)
    );
    assert!(matches!(
        store.prompt_group(u, g.id).await,
        Err(StoreError::NotFound)
    ));

    // Commands are unique per user (another user may take the same).
    let a = group(u, "A", Some("sum"), "misc", 10);
    store
        .create_prompt_group(&a, &version(&a, "Summarize {{text}}", 10))
        .await
        .unwrap();
    let b = group(u, "B", Some("sum"), "misc", 11);
    assert!(matches!(
        store.create_prompt_group(&b, &version(&b, "x", 11)).await,
        Err(StoreError::Conflict { .. })
    ));
    let theirs = group(v, "Theirs", Some("sum"), "misc", 11);
    store
        .create_prompt_group(&theirs, &version(&theirs, "y", 11))
        .await
        .unwrap();
    assert_eq!(
        store
            .prompt_group_by_command(u, "sum")
            .await
            .unwrap()
            .unwrap()
            .id,
        a.id
    );
    assert_eq!(
        store
            .prompt_group_by_command(v, "sum")
            .await
            .unwrap()
            .unwrap()
            .id,
        theirs.id
    );
    assert!(
        store
            .prompt_group_by_command(u, "nope")
            .await
            .unwrap()
            .is_none()
    );

    let mut renamed = a.clone();
    renamed.name = "Summaries".into();
    renamed.command = None;
    renamed.oneliner = "Short".into();
    renamed.category = "write".into();
    renamed.updated_at = at(12);
    store.update_prompt_group(&renamed).await.unwrap();
    let read = store.prompt_group(u, a.id).await.unwrap();
    assert_eq!(
        (
            read.name.as_str(),
            read.command.as_deref(),
            read.oneliner.as_str()
        ),
        ("Summaries", None, "Short")
    );
    let mut stolen = renamed.clone();
    stolen.user_id = v;
    assert!(matches!(
        store.update_prompt_group(&stolen).await,
        Err(StoreError::NotFound)
    ));
    assert!(!store.delete_prompt_group(v, a.id).await.unwrap());
    assert!(store.delete_prompt_group(u, a.id).await.unwrap());
    assert!(store.prompts(u, a.id).await.unwrap().is_empty());
}

/// The list: most recently changed first, name and category filters, keyset and offset pages,
/// counts.
pub async fn list_and_pages(store: &dyn Store) {
    let u = user(store, "prompt-lister@example.com").await;
    for (i, (name, category)) in [
        ("Email reply", "write"),
        ("Code review", "code"),
        ("Trip plan", "travel"),
        ("Cover letter", "write"),
        ("Refactor", "code"),
    ]
    .into_iter()
    .enumerate()
    {
        let minute = i64::try_from(i).unwrap();
        let g = group(u, name, None, category, minute);
        store
            .create_prompt_group(&g, &version(&g, name, minute))
            .await
            .unwrap();
    }
    let all = PromptGroupQuery {
        limit: 10,
        ..PromptGroupQuery::default()
    };
    let listed = store.prompt_groups(u, &all).await.unwrap();
    assert_eq!(
        names(&listed),
        [
            "Refactor",
            "Cover letter",
            "Trip plan",
            "Code review",
            "Email reply"
        ]
    );
    assert_eq!(store.count_prompt_groups(u, &all).await.unwrap(), 5);

    let code = PromptGroupQuery {
        category: Some("code"),
        limit: 10,
        ..PromptGroupQuery::default()
    };
    assert_eq!(
        names(&store.prompt_groups(u, &code).await.unwrap()),
        ["Refactor", "Code review"]
    );
    let named = PromptGroupQuery {
        name: Some("ER"),
        limit: 10,
        ..PromptGroupQuery::default()
    };
    assert_eq!(
        names(&store.prompt_groups(u, &named).await.unwrap()),
        ["Cover letter"]
    );
    assert_eq!(store.count_prompt_groups(u, &named).await.unwrap(), 1);

    let first = PromptGroupQuery {
        limit: 2,
        ..PromptGroupQuery::default()
    };
    let page = store.prompt_groups(u, &first).await.unwrap();
    let last = page.last().unwrap();
    let next = PromptGroupQuery {
        after: Some((last.updated_at, last.id)),
        limit: 2,
        ..PromptGroupQuery::default()
    };
    assert_eq!(
        names(&store.prompt_groups(u, &next).await.unwrap()),
        ["Trip plan", "Code review"]
    );
    let third = PromptGroupQuery {
        offset: 4,
        limit: 2,
        ..PromptGroupQuery::default()
    };
    assert_eq!(
        names(&store.prompt_groups(u, &third).await.unwrap()),
        ["Email reply"]
    );
}

/// Writers that read before they write, racing on several connections: every call succeeds
/// (on SQLite a deferred transaction that had read could not wait for the lock and failed with
/// "database is locked"; CI caught it once when the search indexer wrote in between).
pub async fn contention(store: &dyn Store) {
    let u = user(store, "busy-prompter@example.com").await;
    let mut groups = Vec::new();
    for n in 0..8 {
        let g = group(u, &format!("Busy {n}"), None, "misc", n);
        let first = version(&g, "one", n);
        store.create_prompt_group(&g, &first).await.unwrap();
        let second = version(&g, "two", n);
        store.add_prompt(&second, false).await.unwrap();
        groups.push((g, first, second));
    }
    let writers = groups.iter().map(|(g, first, second)| async move {
        for round in 0..20_i64 {
            let pick = if round % 2 == 0 { second } else { first };
            store.make_production(u, pick.id, at(100 + round)).await?;
            store
                .add_prompt(&version(g, "more", 100 + round), false)
                .await?;
        }
        Ok::<_, StoreError>(())
    });
    for outcome in futures_util::future::join_all(writers).await {
        outcome.unwrap();
    }
    for (g, first, _) in &groups {
        let read = store.prompt_group(u, g.id).await.unwrap();
        assert_eq!(read.production_id, Some(first.id));
        assert_eq!(store.prompts(u, g.id).await.unwrap().len(), 22);
    }
}
