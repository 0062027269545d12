//! Login tokens: JWT signed with HS256 using the configured secret's bytes.
//! Revocation works through the account's token epoch: a token carries the
//! epoch it was issued in, and logout or a password change raises the epoch.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

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
}

/// Signs and checks tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl TokenKeys {
    /// Keys from the secret's bytes; tokens live `ttl_hours`.
    pub fn new(secret: &[u8], ttl_hours: i64) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl: Duration::hours(ttl_hours),
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
        let claims =
            Claims { sub: user_id.to_string(), iat: now.timestamp(), exp: expires_at.timestamp(), epoch };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(format!("token signing failed: {e}")))?;
        Ok((token, expires_at))
    }

    /// Checks signature, algorithm and expiry; returns the claims. A token
    /// issued in the future (beyond the leeway) is refused, and none lives
    /// longer than the configured lifetime from its issue, whatever its
    /// `exp` says: a token signed with a leaked key cannot be made to last.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        self.verify_at(token, Utc::now())
    }

    fn verify_at(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, AppError> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)?.claims;
        let leeway = self.validation.leeway as i64;
        if claims.iat > now.timestamp() + leeway {
            return Err(AppError::Unauthenticated("the token claims to be issued in the future".into()));
        }
        if now.timestamp() > claims.iat + self.ttl.num_seconds() + leeway {
            return Err(AppError::Unauthenticated("the token has expired; log in again".into()));
        }
        Ok(claims)
    }
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
        let claims = Claims { sub: "1".into(), iat, exp, epoch: 0 };
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
}
