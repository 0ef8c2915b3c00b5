//! Request signing: `hmac-sha256` and Standard Webhooks. Pure functions, no I/O.
//!
//! - `hmac-sha256`: one header (default `X-Atender-Signature`) holding the lowercase hex
//!   HMAC-SHA256 of the body, keyed with the secret's bytes.
//! - `standard-webhooks`: `webhook-id`, `webhook-timestamp` and
//!   `webhook-signature: v1,<base64>` of HMAC-SHA256 over `id.timestamp.body`, keyed with
//!   the base64-decoded `whsec_` secret (<https://www.standardwebhooks.com/>).
//!
//! A [`Signer`] keys the MAC once ([`KeyedHmac`]), so the key is not hashed again per
//! request.

mod hmac_sha256;

use base64::Engine;

use crate::vm::effect::{SignKind, SignSpec};

pub use hmac_sha256::KeyedHmac;

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignError {
    /// A Standard Webhooks secret that is not `whsec_` + base64.
    BadSecret { name: String },
}

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignError::BadSecret { name } => write!(
                f,
                "secret `{name}` is not a standard-webhooks key (expected `whsec_` followed by base64)"
            ),
        }
    }
}

impl std::error::Error for SignError {}

/// The signature headers of one request.
pub fn signature_headers(
    spec: &SignSpec,
    secret: &str,
    body: &[u8],
    message_id: &str,
    timestamp: i64,
) -> Result<Vec<(String, String)>, SignError> {
    Ok(Signer::new(spec, secret)?.headers(body, message_id, timestamp))
}

/// A keyed signer for one sign spec; reuse it for many bodies.
#[derive(Clone)]
pub struct Signer {
    mac: KeyedHmac,
    kind: SignKind,
}

impl Signer {
    /// Keys the MAC: the secret's bytes for hmac-sha256, the decoded key for Standard
    /// Webhooks.
    pub fn new(spec: &SignSpec, secret: &str) -> Result<Signer, SignError> {
        let key = match spec.scheme {
            SignKind::HmacSha256 { .. } => secret.as_bytes().to_vec(),
            SignKind::StandardWebhooks => {
                let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
                base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|_| SignError::BadSecret {
                        name: spec.secret.clone(),
                    })?
            }
        };
        Ok(Signer {
            mac: KeyedHmac::new(&key),
            kind: spec.scheme.clone(),
        })
    }

    /// The headers for one body.
    pub fn headers(&self, body: &[u8], message_id: &str, timestamp: i64) -> Vec<(String, String)> {
        match &self.kind {
            SignKind::HmacSha256 { header } => vec![(header.clone(), self.hmac_hex(body))],
            SignKind::StandardWebhooks => {
                let ts = timestamp.to_string();
                let mac = self
                    .mac
                    .mac(&[message_id.as_bytes(), b".", ts.as_bytes(), b".", body]);
                let sig = base64::engine::general_purpose::STANDARD.encode(mac);
                vec![
                    ("webhook-id".to_string(), message_id.to_string()),
                    ("webhook-timestamp".to_string(), ts),
                    ("webhook-signature".to_string(), format!("v1,{sig}")),
                ]
            }
        }
    }

    /// Lowercase hex HMAC-SHA256 of `body` with the keyed state.
    pub fn hmac_hex(&self, body: &[u8]) -> String {
        hex(&self.mac.mac(&[body]))
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xf) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(scheme: SignKind) -> SignSpec {
        SignSpec {
            scheme,
            secret: "KEY".into(),
        }
    }

    #[test]
    fn standard_webhooks_matches_the_spec_example() {
        let headers = signature_headers(
            &spec(SignKind::StandardWebhooks),
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            br#"{"test": 2432232314}"#,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
        )
        .unwrap();
        assert_eq!(
            headers,
            vec![
                ("webhook-id".into(), "msg_p5jXN8AQM9LWM0D4loKWxJek".into()),
                ("webhook-timestamp".into(), "1614265330".into()),
                (
                    "webhook-signature".into(),
                    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".into()
                ),
            ]
        );
    }

    #[test]
    fn hmac_sha256_is_lowercase_hex_in_the_named_header() {
        // RFC 4231 test case 2.
        let headers = signature_headers(
            &spec(SignKind::HmacSha256 {
                header: "X-Atender-Signature".into(),
            }),
            "Jefe",
            b"what do ya want for nothing?",
            "unused",
            0,
        )
        .unwrap();
        assert_eq!(
            headers,
            vec![(
                "X-Atender-Signature".into(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843".into()
            )]
        );
    }

    #[test]
    fn a_standard_webhooks_secret_that_is_not_base64_is_refused() {
        let err = Signer::new(&spec(SignKind::StandardWebhooks), "whsec_!!!").err();
        assert_eq!(err, Some(SignError::BadSecret { name: "KEY".into() }));
    }
}
