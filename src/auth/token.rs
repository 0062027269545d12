//! Login tokens: JWT signed with HS256 using the configured secret's bytes.
//! Revocation works through the account's token epoch: a token carries the
//! epoch it was issued in, and logout or a password change raises the epoch.
//!
//! A browser session (`src/web/`) is the same token in a cookie with one more
//! claim, `idle_until`: each page request re-issues it with that moved on,
//! keeping `iat` and `exp`, so a session ends after the idle timeout or at the
//! token's lifetime, whichever comes first.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::ids::UserId;
use crate::error::AppError;

/// What a token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string (RFC 7519 `sub`).
    pub sub: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
    /// The account's token epoch when issued.
    pub epoch: i32,
    /// Browser sessions only: seconds since the epoch after which the session
    /// has been idle too long. API tokens have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_until: Option<i64>,
}

/// Signs and checks tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
    mac_key: [u8; 32],
}

impl TokenKeys {
    /// Keys from the secret's bytes; tokens live `ttl_hours`.
    pub fn new(secret: &[u8], ttl_hours: i64) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        validation.leeway = 5;
        // A key of its own for form tokens, derived from the secret, so that a
        // form token can never be mistaken for a signature of anything else.
        let mut derive = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
        derive.update(b"casedesk form tokens");
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl: Duration::hours(ttl_hours),
            mac_key: derive.finalize().into_bytes().into(),
        }
    }

    /// A token for `user_id` in `epoch`, and when it expires.
    pub fn issue(
        &self,
        user_id: UserId,
        epoch: i32,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), AppError> {
        // JWT times are whole seconds; report the expiry the token really has.
        let expires_at = DateTime::from_timestamp((now + self.ttl).timestamp(), 0).unwrap_or(now + self.ttl);
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            epoch,
            idle_until: None,
        };
        Ok((self.sign(&claims)?, expires_at))
    }

    /// A browser session for `user_id` in `epoch`: a token that also ends
    /// after `idle` without a request.
    pub fn issue_session(
        &self,
        user_id: UserId,
        epoch: i32,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<String, AppError> {
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
            epoch,
            idle_until: None,
        };
        self.renew_session(&claims, now, idle)
    }

    /// The same session with its idle deadline moved to `now + idle` (never
    /// past the token's own expiry).
    pub fn renew_session(
        &self,
        claims: &Claims,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<String, AppError> {
        let idle_until = (now + idle).timestamp().min(claims.exp);
        self.sign(&Claims { idle_until: Some(idle_until), ..claims.clone() })
    }

    fn sign(&self, claims: &Claims) -> Result<String, AppError> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| AppError::Internal(format!("token signing failed: {e}")))
    }

    /// A keyed MAC of `message` (hex), for form tokens (`src/web/csrf.rs`).
    pub fn form_mac(&self, message: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `given` is [`TokenKeys::form_mac`] of `message`, compared in constant time.
    pub fn form_mac_matches(&self, message: &str, given: &str) -> bool {
        let Some(bytes) = decode_hex(given) else { return false };
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        mac.verify_slice(&bytes).is_ok()
    }

    /// Checks signature, algorithm, expiry and (for sessions) the idle
    /// deadline; returns the claims. A token issued in the future (beyond
    /// the leeway) is refused, and none lives longer than the configured
    /// lifetime from its issue, whatever its `exp` says: a token signed with
    /// a leaked key cannot be made to last.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)?.claims;
        let now = Utc::now().timestamp();
        let leeway = self.validation.leeway as i64;
        if claims.iat > now + leeway {
            return Err(AppError::Unauthenticated("the token claims to be issued in the future".into()));
        }
        if now > claims.iat + self.ttl.num_seconds() + leeway {
            return Err(AppError::Unauthenticated("the token has expired; log in again".into()));
        }
        match claims.idle_until {
            Some(until) if until < now => {
                Err(AppError::Unauthenticated("the session was idle too long; log in again".into()))
            }
            _ => Ok(claims),
        }
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 || !hex.is_ascii() {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7u8; 32], 8)
    }

    #[test]
    fn issued_tokens_verify() {
        let (token, expires_at) = keys().issue(UserId(42), 3, Utc::now()).unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!(claims.sub, "42");
        assert_eq!(claims.epoch, 3);
        assert_eq!(claims.exp, expires_at.timestamp());
    }

    fn forged(iat: i64, exp: i64) -> String {
        let claims = Claims { sub: "1".into(), iat, exp, epoch: 0, idle_until: None };
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&[7u8; 32])).unwrap()
    }

    #[test]
    fn tokens_from_the_future_or_beyond_the_lifetime_are_refused() {
        let now = Utc::now().timestamp();
        let far = now + 365 * 86_400;
        assert!(keys().verify(&forged(now + 3600, far)).is_err(), "issued an hour from now");
        assert!(keys().verify(&forged(now - 9 * 3600, far)).is_err(), "issued nine hours ago, TTL eight");
        assert!(keys().verify(&forged(now - 7 * 3600, far)).is_ok(), "within the lifetime");
        assert!(keys().verify(&forged(now + 2, now + 3600)).is_ok(), "within the leeway");
    }

    #[test]
    fn expired_foreign_and_unsigned_tokens_are_refused() {
        let (expired, _) = keys().issue(UserId(1), 0, Utc::now() - Duration::hours(9)).unwrap();
        assert_eq!(keys().verify(&expired).unwrap_err().code(), "unauthenticated");
        let (foreign, _) = TokenKeys::new(&[8u8; 32], 8).issue(UserId(1), 0, Utc::now()).unwrap();
        assert!(keys().verify(&foreign).is_err());
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let exp = Utc::now().timestamp() + 3600;
        let body = b64.encode(format!(r#"{{"sub":"1","iat":0,"exp":{exp},"epoch":0}}"#));
        assert!(keys().verify(&format!("{header}.{body}.")).is_err());
    }

    #[test]
    fn sessions_end_when_idle_and_never_outlive_the_token() {
        let now = Utc::now();
        let fresh = keys().issue_session(UserId(1), 0, now, Duration::minutes(30)).unwrap();
        let claims = keys().verify(&fresh).unwrap();
        assert_eq!(claims.idle_until, Some((now + Duration::minutes(30)).timestamp()));
        let idle =
            keys().issue_session(UserId(1), 0, now - Duration::minutes(31), Duration::minutes(30)).unwrap();
        assert_eq!(keys().verify(&idle).unwrap_err().code(), "unauthenticated");
        let renewed = keys().renew_session(&claims, now + Duration::days(1), Duration::minutes(30)).unwrap();
        assert_eq!(
            keys().verify(&renewed).unwrap().idle_until,
            Some(claims.exp),
            "capped by the token lifetime"
        );
    }

    #[test]
    fn form_macs_check_in_constant_time_and_refuse_garbage() {
        let mac = keys().form_mac("login:abc");
        assert!(keys().form_mac_matches("login:abc", &mac));
        assert!(!keys().form_mac_matches("login:abd", &mac));
        assert!(!keys().form_mac_matches("login:abc", "zz"));
        assert!(!keys().form_mac_matches("login:abc", ""));
        assert!(!TokenKeys::new(&[8u8; 32], 8).form_mac_matches("login:abc", &mac));
    }
}
