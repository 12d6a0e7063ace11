//! ID-token checks with a fixed test key (a throwaway 2048-bit RSA key generated for these
//! tests; it protects nothing).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferrochat_oidc::{OidcError, validate_id_token};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const PEM: &str = include_str!("fixtures/test-rsa.pem");
const MODULUS_HEX: &str = include_str!("fixtures/test-rsa.modulus.hex");
const ISSUER: &str = "https://idp.example.com";
const CLIENT: &str = "ferrochat";
const NONCE: &str = "n-0S6_WzA2Mj";

fn jwks() -> JwkSet {
    let n = URL_SAFE_NO_PAD.encode(hex::decode(MODULUS_HEX.trim()).unwrap());
    serde_json::from_value(json!({ "keys": [{ "kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": n, "e": "AQAB" }] })).unwrap()
}

fn claims() -> Value {
    let now = chrono_now();
    json!({ "iss": ISSUER, "aud": CLIENT, "sub": "user-1", "iat": now, "exp": now + 300, "nonce": NONCE,
            "email": "ada@example.com", "email_verified": true })
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sign(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(PEM.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn check(token: &str) -> Result<ferrochat_oidc::IdClaims, OidcError> {
    validate_id_token(token, &jwks(), ISSUER, CLIENT, NONCE)
}

fn rejected(token: &str, why: &str) {
    match check(token) {
        Err(OidcError::InvalidToken(reason)) => {
            assert!(reason.contains(why), "expected {why}, got {reason}")
        }
        other => panic!("expected rejection ({why}), got {other:?}"),
    }
}

#[test]
fn a_good_token_yields_its_claims() {
    let c = check(&sign(&claims())).unwrap();
    assert_eq!(c.sub, "user-1");
    assert_eq!(c.email.as_deref(), Some("ada@example.com"));
    assert_eq!(c.email_verified, Some(true));
}

#[test]
fn wrong_nonce_audience_issuer_and_expiry_are_refused() {
    let mut c = claims();
    c["nonce"] = json!("another-nonce");
    rejected(&sign(&c), "nonce");
    let mut c = claims();
    c.as_object_mut().unwrap().remove("nonce");
    rejected(&sign(&c), "nonce");
    let mut c = claims();
    c["aud"] = json!("someone-else");
    rejected(&sign(&c), "audience");
    let mut c = claims();
    c["aud"] = json!([CLIENT, "someone-else"]);
    rejected(&sign(&c), "azp");
    c["azp"] = json!(CLIENT);
    assert!(check(&sign(&c)).is_ok());
    let mut c = claims();
    c["iss"] = json!("https://evil.example.com");
    rejected(&sign(&c), "issuer");
    let mut c = claims();
    c["exp"] = json!(chrono_now() - 3600);
    rejected(&sign(&c), "expired");
}

#[test]
fn forged_signatures_and_algorithms_are_refused() {
    let token = sign(&claims());
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut forged = claims();
    forged["sub"] = json!("admin");
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
    rejected(&parts.join("."), "signature");
    // HS256 "signed" with a guessable secret: not an allowed algorithm for ID tokens.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let hs = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(b"client-secret"),
    )
    .unwrap();
    rejected(&hs, "algorithm");
    // alg none.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k1"}"#),
        parts[1]
    );
    assert!(check(&none).is_err());
    // Unknown key id.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("other".into());
    let unknown = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_rsa_pem(PEM.as_bytes()).unwrap(),
    )
    .unwrap();
    rejected(&unknown, "unknown signing key");
}
