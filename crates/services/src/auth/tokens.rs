//! Access tokens (short-lived JWTs) and refresh tokens (opaque random values stored hashed).
//!
//! Access tokens are HS256 JWTs and nothing else: the algorithm allowlist has exactly one
//! entry, so `alg: none`, RS256-with-the-HMAC-key confusion and friends are refused by
//! construction. Issuer and audience are pinned, and `exp`, `nbf` and `iat` are required and
//! checked with a small leeway for clock skew between instances.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ferrochat_core::{SessionId, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::ServiceError;

/// `iss` and `aud` of every access token.
pub const ISSUER: &str = "ferrochat";
/// `aud` of "password correct, second factor pending" tokens; never accepted as an access
/// token, and access tokens are never accepted here.
pub const PENDING_AUDIENCE: &str = "ferrochat:2fa-pending";
/// Lifetime of a pending token.
pub const PENDING_TTL_SECS: i64 = 5 * 60;
/// `aud` of the signed OAuth state cookie.
pub const OAUTH_AUDIENCE: &str = "ferrochat:oauth-state";
/// Lifetime of an OAuth round trip through the provider.
pub const OAUTH_TTL_SECS: i64 = 10 * 60;

/// What the browser carries through an OAuth round trip, in a signed HttpOnly cookie: the
/// values the callback must match, bound to this browser.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OAuthState {
    /// Which provider the flow is for.
    pub provider: String,
    /// Must come back unchanged as the `state` query parameter.
    pub state: String,
    /// Must come back inside the ID token.
    pub nonce: String,
    /// PKCE verifier for the code exchange.
    pub verifier: String,
}

#[derive(Serialize, Deserialize)]
struct OAuthClaims {
    #[serde(flatten)]
    flow: OAuthState,
    iss: String,
    aud: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    sub: String,
}
/// Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECS: u64 = 5;

/// What an access token says.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user.
    pub sub: UserId,
    /// The login session the token was issued for; revoking it revokes the token.
    pub sid: SessionId,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at (seconds).
    pub iat: i64,
    /// Not before (seconds).
    pub nbf: i64,
    /// Expires at (seconds).
    pub exp: i64,
}

/// What a pending (second factor required) token says.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PendingClaims {
    /// The user who gave the right password.
    pub sub: UserId,
    /// Issuer.
    pub iss: String,
    /// Always [`PENDING_AUDIENCE`].
    pub aud: String,
    /// Issued at.
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expires at.
    pub exp: i64,
}

/// Signs and verifies access tokens with the configured secret.
#[derive(Clone)]
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pending_validation: Validation,
    ttl: Duration,
}

impl AccessTokens {
    /// Keys from the `JWT_SECRET`; tokens live for `ttl`.
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        let mut pending_validation = validation.clone();
        pending_validation.set_audience(&[PENDING_AUDIENCE]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            pending_validation,
            ttl,
        }
    }

    /// Issues a five-minute token saying `user` passed the password check.
    pub fn issue_pending(&self, user: UserId, now: DateTime<Utc>) -> Result<String, ServiceError> {
        let iat = now.timestamp();
        let claims = PendingClaims {
            sub: user,
            iss: ISSUER.into(),
            aud: PENDING_AUDIENCE.into(),
            iat,
            nbf: iat,
            exp: iat + PENDING_TTL_SECS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ServiceError::Internal(Box::new(e)))
    }

    /// Signs the OAuth round-trip state for the cookie.
    pub fn issue_oauth_state(
        &self,
        flow: OAuthState,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let iat = now.timestamp();
        let claims = OAuthClaims {
            sub: flow.provider.clone(),
            flow,
            iss: ISSUER.into(),
            aud: OAUTH_AUDIENCE.into(),
            iat,
            nbf: iat,
            exp: iat + OAUTH_TTL_SECS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ServiceError::Internal(Box::new(e)))
    }

    /// Verifies the OAuth state cookie; any failure is `Unauthenticated`.
    pub fn verify_oauth_state(&self, token: &str) -> Result<OAuthState, ServiceError> {
        let mut validation = self.validation.clone();
        validation.set_audience(&[OAUTH_AUDIENCE]);
        jsonwebtoken::decode::<OAuthClaims>(token, &self.decoding, &validation)
            .map(|d| d.claims.flow)
            .map_err(|_| ServiceError::Unauthenticated)
    }

    /// Verifies a pending token; any failure is `Unauthenticated`.
    pub fn verify_pending(&self, token: &str, now: DateTime<Utc>) -> Result<UserId, ServiceError> {
        let data =
            jsonwebtoken::decode::<PendingClaims>(token, &self.decoding, &self.pending_validation)
                .map_err(|_| ServiceError::Unauthenticated)?;
        let leeway = i64::try_from(LEEWAY_SECS).unwrap_or(0);
        if data.claims.iat > now.timestamp() + leeway {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(data.claims.sub)
    }

    /// Lifetime of issued tokens.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues a token for `user` in `session`, valid from `now` for the configured lifetime.
    pub fn issue(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let iat = now.timestamp();
        let claims = AccessClaims {
            sub: user,
            sid: session,
            iss: ISSUER.into(),
            aud: ISSUER.into(),
            iat,
            nbf: iat,
            exp: iat + i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ServiceError::Internal(Box::new(e)))
    }

    /// Verifies signature, algorithm, issuer, audience and times; any failure is
    /// `Unauthenticated`. `iat` in the future (beyond the leeway) is refused too.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims, ServiceError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| ServiceError::Unauthenticated)?;
        let leeway = i64::try_from(LEEWAY_SECS).unwrap_or(0);
        if data.claims.iat > now.timestamp() + leeway {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(data.claims)
    }
}

/// A fresh opaque token: 32 random bytes, hex-encoded.
pub fn random_token() -> Result<String, ServiceError> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| ServiceError::Internal(e.to_string().into()))?;
    Ok(hex::encode(buf))
}

/// SHA-256 of a token, hex-encoded: what the database stores. Lookups go by this hash, so the
/// comparison happens in an index on a value an attacker cannot choose, not on the token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64_shim::encode_segment;

    mod base64_shim {
        /// URL-safe base64 without padding, enough to forge test tokens.
        pub fn encode_segment(bytes: &[u8]) -> String {
            const ALPHABET: &[u8] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let b = [
                    chunk[0],
                    *chunk.get(1).unwrap_or(&0),
                    *chunk.get(2).unwrap_or(&0),
                ];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                for i in 0..=chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                }
            }
            out
        }
    }

    fn tokens() -> AccessTokens {
        AccessTokens::new(b"test-secret", Duration::from_secs(900))
    }

    fn claims(now: DateTime<Utc>) -> AccessClaims {
        AccessClaims {
            sub: UserId::new(),
            sid: SessionId::new(),
            iss: ISSUER.into(),
            aud: ISSUER.into(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: now.timestamp() + 900,
        }
    }

    fn sign(c: &AccessClaims, secret: &[u8]) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            c,
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    #[test]
    fn issued_tokens_verify() {
        let now = Utc::now();
        let t = tokens();
        let (user, session) = (UserId::new(), SessionId::new());
        let token = t.issue(user, session, now).unwrap();
        let c = t.verify(&token, now).unwrap();
        assert_eq!((c.sub, c.sid), (user, session));
    }

    #[test]
    fn forged_and_stale_tokens_are_refused() {
        let now = Utc::now();
        let t = tokens();
        let good = claims(now);

        // alg: none, with the same claims and an empty signature.
        let header = encode_segment(br#"{"alg":"none","typ":"JWT"}"#);
        let body = encode_segment(&serde_json::to_vec(&good).unwrap());
        assert!(t.verify(&format!("{header}.{body}."), now).is_err());
        // HS512 with the right key: not on the allowlist.
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &good,
            &EncodingKey::from_secret(b"test-secret"),
        )
        .unwrap();
        assert!(t.verify(&hs512, now).is_err());
        // Wrong key.
        assert!(t.verify(&sign(&good, b"other"), now).is_err());
        // Tampered payload.
        let token = sign(&good, b"test-secret");
        let mut parts: Vec<&str> = token.split('.').collect();
        let mut evil = good.clone();
        evil.sub = UserId::new();
        let evil_body = encode_segment(&serde_json::to_vec(&evil).unwrap());
        parts[1] = &evil_body;
        assert!(t.verify(&parts.join("."), now).is_err());
        // Wrong issuer, wrong audience.
        assert!(
            t.verify(
                &sign(
                    &AccessClaims {
                        iss: "evil".into(),
                        ..good.clone()
                    },
                    b"test-secret"
                ),
                now
            )
            .is_err()
        );
        assert!(
            t.verify(
                &sign(
                    &AccessClaims {
                        aud: "other".into(),
                        ..good.clone()
                    },
                    b"test-secret"
                ),
                now
            )
            .is_err()
        );
        // Expired beyond the leeway; not yet valid; issued in the future.
        let past = AccessClaims {
            exp: now.timestamp() - 60,
            ..good.clone()
        };
        assert!(t.verify(&sign(&past, b"test-secret"), now).is_err());
        let later = AccessClaims {
            nbf: now.timestamp() + 60,
            ..good.clone()
        };
        assert!(t.verify(&sign(&later, b"test-secret"), now).is_err());
        let future = AccessClaims {
            iat: now.timestamp() + 60,
            ..good.clone()
        };
        assert!(t.verify(&sign(&future, b"test-secret"), now).is_err());
        // Within the leeway is fine.
        let skewed = AccessClaims {
            exp: now.timestamp() - 2,
            ..good.clone()
        };
        assert!(t.verify(&sign(&skewed, b"test-secret"), now).is_ok());
        // Garbage.
        assert!(t.verify("not.a.jwt", now).is_err());
        assert!(t.verify("", now).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }
}
