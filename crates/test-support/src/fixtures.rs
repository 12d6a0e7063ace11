//! Fixture builders. They go through the services (never raw SQL), so fixtures obey the same
//! rules as real requests.

use ferrochat_core::{Role, User};
use ferrochat_services::users::CreateUser;

use crate::TestApp;

/// The password every fixture user has.
pub const PASSWORD: &str = "fixture-password-1";

/// Builds a user; `TestApp::user()` starts one.
pub struct UserBuilder<'a> {
    app: &'a TestApp,
    input: CreateUser,
}

impl TestApp {
    /// Starts building a user with a unique email and the fixture password.
    pub fn user(&self) -> UserBuilder<'_> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        UserBuilder {
            app: self,
            input: CreateUser {
                email: format!("user-{}@example.com", &tag[..12]),
                name: "Test User".into(),
                username: None,
                password: PASSWORD.into(),
                role: Role::User,
                email_verified: true,
            },
        }
    }
}

impl UserBuilder<'_> {
    /// Sets the email.
    pub fn email(mut self, email: &str) -> Self {
        self.input.email = email.to_owned();
        self
    }

    /// Makes the user an admin.
    pub fn admin(mut self) -> Self {
        self.input.role = Role::Admin;
        self
    }

    /// Creates the user.
    pub async fn create(self) -> User {
        self.app
            .state
            .services
            .users
            .create(self.input)
            .await
            .expect("create fixture user")
    }
}

/// A conversation of `user` titled `title`, created and changed at `at` (not stored).
pub fn new_conversation(
    user: &User,
    title: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> ferrochat_core::Conversation {
    ferrochat_core::Conversation {
        id: ferrochat_core::ConversationId::new(),
        user_id: user.id,
        title: title.into(),
        endpoint: Some("openAI".into()),
        endpoint_type: None,
        model: Some("gpt-4o-mini".into()),
        is_archived: false,
        settings: serde_json::json!({ "temperature": 0.5 }).into(),
        folder_id: None,
        tags: Vec::new(),
        created_at: at,
        updated_at: at,
        expired_at: None,
    }
}

/// A message of `conversation` at `at` (not stored): the user's question `hello?`, or the
/// model's answer `hi!` as content parts.
pub fn new_message(
    conversation: &ferrochat_core::Conversation,
    parent: Option<ferrochat_core::MessageId>,
    by_user: bool,
    at: chrono::DateTime<chrono::Utc>,
) -> ferrochat_core::Message {
    ferrochat_core::Message {
        id: ferrochat_core::MessageId(uuid::Uuid::new_v4()),
        conversation_id: conversation.id,
        user_id: conversation.user_id,
        parent_id: parent,
        sender: if by_user {
            "User".into()
        } else {
            "GPT-4o mini".into()
        },
        text: if by_user {
            "hello?".into()
        } else {
            String::new()
        },
        content: (!by_user).then(|| serde_json::json!([{ "type": "text", "text": "hi!" }]).into()),
        is_created_by_user: by_user,
        error: false,
        unfinished: false,
        model: Some("gpt-4o-mini".into()),
        endpoint: Some("openAI".into()),
        token_count: Some(2),
        feedback: None,
        files: None,
        created_at: at,
        updated_at: at,
    }
}

/// Creates a conversation with a two-message exchange (question, answer) for `user`, through
/// the services. Returns the conversation and its message IDs, oldest first.
pub async fn conversation(
    app: &TestApp,
    user: &User,
    title: &str,
) -> (ferrochat_core::Conversation, Vec<ferrochat_core::MessageId>) {
    let now = chrono::Utc::now();
    let services = &app.state.services.conversations;
    let conversation = services
        .create(user.id, new_conversation(user, title, now))
        .await
        .expect("create fixture conversation");
    let question = new_message(&conversation, None, true, now);
    let answer = new_message(
        &conversation,
        Some(question.id),
        false,
        now + chrono::Duration::milliseconds(1),
    );
    let ids = vec![question.id, answer.id];
    for message in [question, answer] {
        services
            .add_message(user.id, message)
            .await
            .expect("create fixture message");
    }
    (conversation, ids)
}

impl TestApp {
    /// Sends `method path` with an optional JSON body as bearer `token`; returns the status
    /// and the JSON body (`Null` when the body is empty or not JSON).
    pub async fn call(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("response body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Logs in a fixture user (password [`PASSWORD`]) through the LibreChat login route and
    /// returns the access token.
    pub async fn token_for(&self, email: &str) -> String {
        let res = self
            .client
            .post(self.url("/api/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), 200, "fixture login for {email}");
        let body: serde_json::Value = res.json().await.expect("login body");
        body["token"]
            .as_str()
            .expect("token in login answer")
            .to_owned()
    }
}
