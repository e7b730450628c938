//! Unit tests of the signing keys.

use std::fs;

use time::Duration;

use super::*;
use crate::store::signing_keys::StoredKey;

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kuke-id-keys-{}", uuid::Uuid::new_v4()));
    fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn kek() -> KeyEncryptionKey {
    KeyEncryptionKey::from_base64(
        &base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 32]),
        "test",
    )
    .expect("kek")
}

fn key(alg: SigningAlg, signs_from: OffsetDateTime) -> SigningKey {
    create(alg, signs_from - Duration::minutes(10), signs_from).expect("key")
}

#[test]
fn the_newest_key_whose_time_has_come_signs() {
    let t = now();
    let old = key(SigningAlg::Es256, t - Duration::hours(1));
    let new = key(SigningAlg::Es256, t - Duration::minutes(1));
    let ring = KeyRing::new(vec![old.clone(), new.clone()], t);
    assert_eq!(ring.active(SigningAlg::Es256).map(|k| k.kid.clone()), Some(new.kid));
    assert!(ring.by_kid(&old.kid).is_some(), "the old key is still published");
}

#[test]
fn a_key_that_signs_later_is_published_at_once_and_signs_when_its_time_comes() {
    let t = now();
    let current = key(SigningAlg::EdDsa, t - Duration::hours(1));
    let next = key(SigningAlg::EdDsa, t + Duration::minutes(10));
    let ring = KeyRing::new(vec![current.clone(), next.clone()], t);
    assert_eq!(ring.active(SigningAlg::EdDsa).map(|k| k.kid.clone()), Some(current.kid));
    assert!(ring.jwks().find(&next.kid).is_some());
    assert_eq!(ring.next_change(), Some(next.signs_from));
    let later = ring.at(t + Duration::minutes(11));
    assert_eq!(later.active(SigningAlg::EdDsa).map(|k| k.kid.clone()), Some(next.kid));
}

#[test]
fn a_key_leaves_the_jwks_at_its_retirement_time() {
    let t = now();
    let mut old = key(SigningAlg::Rs256, t - Duration::hours(1));
    old.retire_after = Some(t + Duration::minutes(5));
    let new = key(SigningAlg::Rs256, t - Duration::minutes(1));
    let ring = KeyRing::new(vec![old.clone(), new], t);
    assert!(ring.jwks().find(&old.kid).is_some());
    assert!(ring.at(t + Duration::minutes(6)).jwks().find(&old.kid).is_none());
}

#[test]
fn jwks_has_public_parts_only() {
    let ring = KeyRing::new(SigningAlg::ALL.iter().map(|alg| key(*alg, now())).collect(), now());
    let json = serde_json::to_value(ring.jwks()).expect("json");
    for key in json["keys"].as_array().expect("keys") {
        assert!(key.get("d").is_none() && key.get("p").is_none());
        assert_eq!(key["use"], "sig");
    }
}

#[test]
fn a_sealed_key_opens_with_its_kek_only() {
    let original = key(SigningAlg::Es256, now());
    let stored = seal(&kek(), &original).expect("seal");
    assert!(!stored.sealed_key.windows(8).any(|w| original.pkcs8.windows(8).any(|p| p == w)), "no clear text");
    assert_eq!(open(&kek(), &stored).expect("open").kid, original.kid);
    let other = KeyEncryptionKey::from_base64(
        &base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [8u8; 32]),
        "other",
    )
    .expect("kek");
    assert!(matches!(open(&other, &stored), Err(KeyError::Sealed(_))));
}

#[test]
fn a_sealed_key_moved_to_another_row_does_not_open() {
    let a = seal(&kek(), &key(SigningAlg::EdDsa, now())).expect("seal");
    let b = seal(&kek(), &key(SigningAlg::EdDsa, now())).expect("seal");
    let swapped = StoredKey { sealed_key: b.sealed_key.clone(), ..a };
    assert!(matches!(open(&kek(), &swapped), Err(KeyError::Sealed(_))));
}

#[test]
fn a_kek_of_the_wrong_length_is_refused_with_its_source() {
    let error = KeyEncryptionKey::from_base64("c2hvcnQ=", "KUKE_ID_KEY_ENCRYPTION_KEY").expect_err("short");
    assert!(error.to_string().contains("KUKE_ID_KEY_ENCRYPTION_KEY"), "{error}");
    assert!(error.to_string().contains("5 bytes"), "{error}");
}

#[cfg(unix)]
#[test]
fn the_kek_file_is_created_owner_only_and_read_back() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir().join("keys");
    let (created, path) = KeyEncryptionKey::create_file(&dir).expect("create");
    assert_eq!(fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
    assert_eq!(fs::metadata(&dir).expect("meta").permissions().mode() & 0o777, 0o700);
    let read = KeyEncryptionKey::read_file(&dir).expect("read").expect("present");
    let stored = seal(&created, &key(SigningAlg::Es256, now())).expect("seal");
    assert!(open(&read, &stored).is_ok());
}

#[test]
fn an_exported_key_reads_back_as_the_same_key() {
    let dir = temp_dir();
    let original = key(SigningAlg::Rs256, now());
    let path = write_pem(&dir, &original).expect("export");
    let files = read_folder(&dir).expect("read");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, path);
    assert_eq!(files[0].key.kid, original.kid);
    assert!(!files[0].retired);
}

#[test]
fn a_corrupt_key_file_is_named_in_the_error() {
    let dir = temp_dir();
    fs::write(dir.join("ES256-1-broken.pem"), b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        .expect("write");
    let error = read_folder(&dir).expect_err("corrupt");
    assert!(error.to_string().contains("ES256-1-broken.pem"), "{error}");
}

#[cfg(unix)]
#[test]
fn a_keys_folder_open_to_others_is_tightened_to_0700() {
    use std::os::unix::fs::PermissionsExt;
    let keys = temp_dir();
    fs::set_permissions(&keys, fs::Permissions::from_mode(0o755)).expect("0755");
    create_private_dir(&keys).expect("keys");
    assert_eq!(fs::metadata(&keys).expect("meta").permissions().mode() & 0o777, 0o700);
}

#[test]
fn every_algorithm_signs_with_the_key_its_jwk_publishes() {
    let message = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0";
    for alg in [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa] {
        let key = key(alg, now());
        let signature = key.sign(message).expect("signature");
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &signature);
        let verified = jsonwebtoken::crypto::verify(&encoded, message, key.decoding_key(), key.algorithm());
        assert!(verified.expect("verifiable"), "{alg}: the signature verifies with the published key");
        assert!(
            !jsonwebtoken::crypto::verify(&encoded, b"another message", key.decoding_key(), key.algorithm())
                .unwrap_or(false),
            "{alg}: and only for its message"
        );
    }
}
