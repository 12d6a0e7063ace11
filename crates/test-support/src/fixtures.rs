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
