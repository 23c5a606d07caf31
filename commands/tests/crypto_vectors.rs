//! Transcript encryption against vectors made by Node's `crypto` and by
//! `crypto-js` (`tests/vectors/generate.js`): every ciphertext decrypts, and
//! re-encrypting with the same salt and iv gives the same bytes.

use altegon_commands::crypto::{Pbkdf2Digest, TranscriptCipher};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    source: String,
    format: String,
    digest: String,
    secret: String,
    plaintext: String,
    salt: String,
    iv: String,
    ciphertext: String,
}

fn vectors() -> Vec<Vector> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/transcript-vectors.json"
    );
    let file: File = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file.vectors
}

fn cipher(v: &Vector) -> TranscriptCipher {
    TranscriptCipher::new(
        v.secret.clone().into(),
        v.digest.parse::<Pbkdf2Digest>().unwrap(),
    )
    .unwrap()
}

#[test]
fn every_vector_decrypts() {
    let all = vectors();
    assert!(all.iter().any(|v| v.source == "crypto-js"));
    assert!(all.iter().any(|v| v.format == "gcm"));
    for v in &all {
        let plain = cipher(v)
            .decrypt(&v.ciphertext)
            .unwrap_or_else(|e| panic!("{} {} {} failed: {e}", v.source, v.format, v.digest));
        assert_eq!(plain, v.plaintext, "{} {} {}", v.source, v.format, v.digest);
    }
}

#[test]
fn encryption_matches_node_and_crypto_js_byte_for_byte() {
    for v in vectors().iter().filter(|v| v.format == "cbc") {
        let salt: [u8; 64] = hex::decode(&v.salt).unwrap().try_into().unwrap();
        let iv: [u8; 16] = hex::decode(&v.iv).unwrap().try_into().unwrap();
        assert_eq!(
            cipher(v).encrypt_with(&v.plaintext, &salt, &iv),
            v.ciphertext,
            "{} {}",
            v.source,
            v.digest
        );
    }
}
