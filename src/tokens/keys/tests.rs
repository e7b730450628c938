//! Unit tests of the signing keys.

use super::*;

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kuke-id-keys-{}", uuid::Uuid::new_v4()));
    fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn first_load_generates_one_key_per_algorithm() {
    let dir = temp_dir();
    let ring = KeyRing::load_or_create(&dir).expect("keys");
    assert_eq!(ring.algorithms(), SigningAlg::ALL.to_vec());
    assert_eq!(ring.keys().len(), 3);
}

#[test]
fn reload_finds_the_same_kids() {
    let dir = temp_dir();
    let first = KeyRing::load_or_create(&dir).expect("keys");
    let second = KeyRing::load_or_create(&dir).expect("keys");
    let kids = |r: &KeyRing| r.keys().iter().map(|k| k.kid.clone()).collect::<Vec<_>>();
    assert_eq!(kids(&first), kids(&second));
}

#[cfg(unix)]
#[test]
fn key_files_are_readable_by_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir();
    let ring = KeyRing::load_or_create(&dir).expect("keys");
    for key in ring.keys() {
        let mode = fs::metadata(&key.path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key.path.display());
    }
}

#[test]
fn rotation_makes_the_new_key_active_and_keeps_the_old_one_published() {
    let dir = temp_dir();
    let ring = KeyRing::load_or_create(&dir).expect("keys");
    let old = ring.active(SigningAlg::Es256).expect("es256").kid.clone();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let new = generate(&dir, SigningAlg::Es256).expect("rotate");
    let ring = KeyRing::load(&dir).expect("reload");
    assert_eq!(ring.active(SigningAlg::Es256).map(|k| k.kid.clone()), Some(new.kid));
    assert!(ring.by_kid(&old).is_some());
}

#[test]
fn retiring_removes_the_key_from_the_jwks() {
    let dir = temp_dir();
    let ring = KeyRing::load_or_create(&dir).expect("keys");
    let old = ring.active(SigningAlg::Rs256).expect("rs256").kid.clone();
    std::thread::sleep(std::time::Duration::from_millis(2));
    generate(&dir, SigningAlg::Rs256).expect("rotate");
    retire(&dir, &old).expect("retire");
    let ring = KeyRing::load(&dir).expect("reload");
    assert!(ring.by_kid(&old).is_none());
    assert!(ring.jwks().find(&old).is_none());
}

#[test]
fn retired_keys_are_listed_and_can_be_published_again() {
    let dir = temp_dir();
    let ring = KeyRing::load_or_create(&dir).expect("keys");
    let old = ring.active(SigningAlg::Es256).expect("es256").kid.clone();
    std::thread::sleep(std::time::Duration::from_millis(2));
    generate(&dir, SigningAlg::Es256).expect("rotate");
    let moved = retire(&dir, &old).expect("retire");
    assert_eq!(retired(&dir).expect("retired").iter().map(|k| k.kid.clone()).collect::<Vec<_>>(), vec![old.clone()]);
    unretire(&dir, &moved).expect("unretire");
    assert!(KeyRing::load(&dir).expect("reload").by_kid(&old).is_some());
    assert!(retired(&dir).expect("retired").is_empty());
}

#[test]
fn a_discarded_new_key_is_not_published() {
    let dir = temp_dir();
    KeyRing::load_or_create(&dir).expect("keys");
    let key = create(SigningAlg::EdDsa).expect("create");
    let kid = key.kid().to_string();
    let installed = key.install(&dir).expect("install");
    discard(&installed).expect("discard");
    assert!(KeyRing::load(&dir).expect("reload").by_kid(&kid).is_none());
}

#[test]
fn the_active_key_cannot_be_retired() {
    let dir = temp_dir();
    let ring = KeyRing::load_or_create(&dir).expect("keys");
    let active = ring.active(SigningAlg::EdDsa).expect("eddsa").kid.clone();
    assert!(matches!(retire(&dir, &active), Err(KeyError::Active(..))));
}

#[test]
fn a_corrupt_key_file_is_named_in_the_error() {
    let dir = temp_dir();
    fs::write(dir.join("ES256-1-broken.pem"), b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        .expect("write");
    let error = KeyRing::load(&dir).expect_err("corrupt");
    assert!(error.to_string().contains("ES256-1-broken.pem"), "{error}");
}

#[test]
fn jwks_has_public_parts_only() {
    let dir = temp_dir();
    let ring = KeyRing::load_or_create(&dir).expect("keys");
    let json = serde_json::to_value(ring.jwks()).expect("json");
    for key in json["keys"].as_array().expect("keys") {
        assert!(key.get("d").is_none() && key.get("p").is_none());
        assert_eq!(key["use"], "sig");
    }
}

#[cfg(unix)]
#[test]
fn a_keys_folder_open_to_others_is_tightened_to_0700() {
    use std::os::unix::fs::PermissionsExt;
    let keys = temp_dir();
    fs::set_permissions(&keys, fs::Permissions::from_mode(0o755)).expect("0755");
    KeyRing::load_or_create(&keys).expect("keys");
    assert_eq!(fs::metadata(&keys).expect("meta").permissions().mode() & 0o777, 0o700);
}
