//! Signing against the Standard Webhooks spec's own example and its reference library.

use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rulec::sign::{signature_headers, Signer};
use rulec::vm::effect::{SignKind, SignSpec};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn standard() -> SignSpec {
    SignSpec {
        scheme: SignKind::StandardWebhooks,
        secret: "PARTNER_WEBHOOK_SECRET".into(),
    }
}

fn header_map(headers: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (n, v) in headers {
        map.insert(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

#[test]
fn the_spec_example_vector() {
    let headers = signature_headers(
        &standard(),
        SECRET,
        br#"{"test": 2432232314}"#,
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
    )
    .unwrap();
    let signature = headers
        .iter()
        .find(|(n, _)| n == "webhook-signature")
        .map(|(_, v)| v.as_str());
    assert_eq!(
        signature,
        Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    );
}

#[test]
fn the_reference_library_verifies_our_headers() {
    let body = br#"{"case":"c_1","note":"caf\u00e9 \"quoted\""}"#;
    let now = chrono::Utc::now().timestamp();
    let headers = signature_headers(&standard(), SECRET, body, "msg_abc", now).unwrap();
    let wh = standardwebhooks::Webhook::new(SECRET).unwrap();
    wh.verify(body, &header_map(&headers)).unwrap();
    // A changed body no longer verifies.
    assert!(wh.verify(b"{}", &header_map(&headers)).is_err());
}

#[test]
fn a_keyed_signer_matches_one_off_signing() {
    let spec = SignSpec {
        scheme: SignKind::HmacSha256 {
            header: "X-Sig".into(),
        },
        secret: "K".into(),
    };
    let signer = Signer::new(&spec, "s3cret").unwrap();
    for body in [&b""[..], b"{}", b"{\"a\":1}"] {
        assert_eq!(
            signer.headers(body, "id", 0),
            signature_headers(&spec, "s3cret", body, "id", 0).unwrap()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_body_and_id_verify(body in "\\PC{0,200}", id in "msg_[a-zA-Z0-9]{1,24}") {
        let now = chrono::Utc::now().timestamp();
        let headers = signature_headers(&standard(), SECRET, body.as_bytes(), &id, now).unwrap();
        let wh = standardwebhooks::Webhook::new(SECRET).unwrap();
        prop_assert!(wh.verify(body.as_bytes(), &header_map(&headers)).is_ok());
    }
}
