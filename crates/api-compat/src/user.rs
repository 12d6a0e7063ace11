//! `/api/user`.

use axum::Json;
use ferrochat_web::AuthUser;

use crate::types::TUser;

/// `GET /api/user`: the signed-in user as `TUser`.
pub async fn get_user(auth: AuthUser) -> Json<TUser> {
    Json(TUser::from(&auth.user))
}
