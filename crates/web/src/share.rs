//! Opening a shared link, as both doors do it: who may open links at all, and a limit on
//! password guesses.

use std::time::Duration;

use ferrochat_services::ServiceError;
use ferrochat_services::shares::SharedView;
use http::HeaderMap;

use crate::{AppState, AuthUser, Client, Rule};

/// The header a viewer sends a link's password in (a header, not the query string, so it
/// stays out of access logs and browser history).
pub const PASSWORD_HEADER: &str = "x-share-password";

/// Why a link did not open.
#[derive(Debug)]
pub enum ViewError {
    /// Links open only for signed-in users here (`ALLOW_SHARED_LINKS_PUBLIC=false`) and the
    /// caller is not signed in.
    SignInRequired,
    /// Too many password guesses for this link from this address; retry after the wait.
    RateLimited(Duration),
    /// What the service said.
    Service(ServiceError),
}

/// Opens link `id` for `viewer`, with the password from [`PASSWORD_HEADER`] if sent. Password
/// guesses count against the login limit (`LOGIN_MAX` per `LOGIN_WINDOW`) per link and client
/// address; the right password clears the count.
pub async fn view(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
    viewer: Option<&AuthUser>,
    client: &Client,
) -> Result<SharedView, ViewError> {
    let shares = &state.services.shares;
    if !shares.policy().public && viewer.is_none() {
        return Err(ViewError::SignInRequired);
    }
    let password = headers
        .get(PASSWORD_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|p| !p.is_empty());
    let key = format!("{id}|{}", client.ip());
    if password.is_some() {
        state
            .limits
            .check(Rule::SharePassword, &[("share", &key)])
            .await
            .map_err(ViewError::RateLimited)?;
    }
    let view = shares
        .view(id, password, viewer.map(|v| v.user.id))
        .await
        .map_err(ViewError::Service)?;
    if password.is_some() && view.link.has_password {
        state.limits.clear(Rule::SharePassword, "share", &key).await;
    }
    Ok(view)
}
