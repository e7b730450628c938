//! A signing key parsed once, when the ring is loaded. Parsing a PKCS#8 key
//! is not free (an EC key derives its public point, an RSA key is checked),
//! and a library that parses it again for every token pays that on every
//! token; this holds the parsed key pair for the key's life.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};

use crate::domain::signing_alg::SigningAlg;

/// The parsed private key of one signing key.
pub(super) enum Signer {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
    EdDsa(Ed25519KeyPair),
}

impl Signer {
    /// Parses a PKCS#8 document of `alg`.
    pub(super) fn from_pkcs8(alg: SigningAlg, der: &[u8]) -> Result<Self, String> {
        let refused = |e: aws_lc_rs::error::KeyRejected| format!("the {alg} key is refused: {e}");
        Ok(match alg {
            SigningAlg::Es256 => Signer::Es256(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(refused)?,
            ),
            SigningAlg::Rs256 => Signer::Rs256(RsaKeyPair::from_pkcs8(der).map_err(refused)?),
            SigningAlg::EdDsa => Signer::EdDsa(Ed25519KeyPair::from_pkcs8(der).map_err(refused)?),
        })
    }

    /// The JWS signature of `message` (RFC 7518 §3: ES256 as the fixed-length
    /// R‖S pair, RS256 as PKCS#1 v1.5 with SHA-256; RFC 8037 for EdDSA).
    pub(super) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let failed = |_| "the signature could not be made".to_string();
        match self {
            Signer::Es256(pair) => Ok(pair.sign(&SystemRandom::new(), message).map_err(failed)?.as_ref().to_vec()),
            Signer::Rs256(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
            Signer::EdDsa(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}
