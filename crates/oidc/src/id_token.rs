//! ID-token validation (OpenID Connect Core §3.1.3.7).

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::OidcError;

/// Asymmetric algorithms accepted for ID tokens. HMAC is excluded so a token can never be
/// "signed" with a value the relying party itself knows, and `none` is never accepted.
const ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Seconds of clock skew tolerated.
const LEEWAY: u64 = 60;

/// The claims ferrochat uses.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct IdClaims {
    /// Subject: the provider's stable user ID.
    pub sub: String,
    /// Email address, if released.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the provider verified the address.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Preferred handle.
    #[serde(default)]
    pub preferred_username: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub picture: Option<String>,
    /// Nonce echoed from the authorization request.
    #[serde(default)]
    nonce: Option<String>,
    /// Authorized party, required when there are several audiences.
    #[serde(default)]
    azp: Option<String>,
    /// Audience(s).
    aud: Audience,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Validates `id_token` against the provider's keys and this client's expectations, returning
/// its claims. `nonce` is the value sent in the authorization request.
pub fn validate_id_token(
    id_token: &str,
    jwks: &JwkSet,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> Result<IdClaims, OidcError> {
    let invalid = |why: &str| OidcError::InvalidToken(why.to_owned());
    let header = jsonwebtoken::decode_header(id_token).map_err(|_| invalid("malformed token"))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(invalid("algorithm not allowed"));
    }
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None if jwks.keys.len() == 1 => jwks.keys.first(),
        None => None,
    }
    .ok_or_else(|| invalid("unknown signing key"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| invalid("unusable signing key"))?;

    let mut validation = Validation::new(header.alg);
    validation.algorithms = vec![header.alg];
    validation.leeway = LEEWAY;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation).map_err(|e| {
        OidcError::InvalidToken(match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => "expired".into(),
            jsonwebtoken::errors::ErrorKind::InvalidAudience => "wrong audience".into(),
            jsonwebtoken::errors::ErrorKind::InvalidIssuer => "wrong issuer".into(),
            jsonwebtoken::errors::ErrorKind::InvalidSignature => "bad signature".into(),
            other => format!("{other:?}"),
        })
    })?;
    let claims = data.claims;
    if let Audience::Many(list) = &claims.aud
        && list.len() > 1
        && claims.azp.as_deref() != Some(client_id)
    {
        return Err(invalid("several audiences and azp is not this client"));
    }
    // Constant-time comparison is not needed: the nonce is not a secret once the token exists.
    if claims.nonce.as_deref() != Some(nonce) {
        return Err(invalid("nonce mismatch"));
    }
    Ok(claims)
}
