//! A JSON body extractor whose every rejection (not JSON, malformed, missing field, too large)
//! is a 400 `{"message"}`, the shape the LibreChat client shows, instead of axum's plain-text
//! 415/422/413 answers.

use axum::extract::{FromRequest, Request};
use http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::CompatError;

/// `Json<T>` with LibreChat-shaped rejections.
pub struct CompatJson<T>(pub T);

impl<S, T> FromRequest<S> for CompatJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = CompatError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(CompatJson(value)),
            Err(rejection) => {
                let message = match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => "Request body too large".to_owned(),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "Expected a JSON body".to_owned(),
                    _ => format!("Invalid request: {}", rejection.body_text()),
                };
                Err(CompatError::new(StatusCode::BAD_REQUEST, message))
            }
        }
    }
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`), for
/// `#[serde(default, deserialize_with = "present")]`.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// `Option<CompatJson<T>>`: `None` when the request has no body (no `Content-Type`), as from a
/// script that sends nothing where the client sends `{}`.
impl<S, T> axum::extract::OptionalFromRequest<S> for CompatJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = CompatError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        if !req.headers().contains_key(http::header::CONTENT_TYPE) {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}
