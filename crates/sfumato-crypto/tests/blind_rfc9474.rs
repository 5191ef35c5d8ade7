//! RFC 9474's test vector for RSABSSA-SHA384-PSS-Randomized
//! (`tests/vectors/tremel/rfc9474.json`, Appendix A of the RFC): the
//! published signature of the published message verifies under the
//! published key, and a changed bit of any of them does not.

use sfumato_crypto::blind::{OwnerPublicKey, TupleSignature};

fn hex(s: &str) -> Vec<u8> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    let s = if s.len() % 2 == 1 {
        format!("0{s}")
    } else {
        s.to_string()
    };
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A DER length.
fn der_len(n: usize) -> Vec<u8> {
    if n < 128 {
        vec![n as u8]
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        let mut out = vec![0x80 | bytes.len() as u8];
        out.extend(bytes);
        out
    }
}

/// A positive DER INTEGER.
fn der_int(mut v: Vec<u8>) -> Vec<u8> {
    while v.len() > 1 && v[0] == 0 {
        v.remove(0);
    }
    if v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    let mut out = vec![0x02];
    out.extend(der_len(v.len()));
    out.extend(v);
    out
}

/// PKCS#1 RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }.
fn pkcs1(n: Vec<u8>, e: Vec<u8>) -> Vec<u8> {
    let body: Vec<u8> = [der_int(n), der_int(e)].concat();
    let mut out = vec![0x30];
    out.extend(der_len(body.len()));
    out.extend(body);
    out
}

#[test]
fn the_rfc_s_randomized_pss_signature_verifies() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/tremel/rfc9474.json"
    ))
    .unwrap();
    let vectors: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let v = vectors
        .iter()
        .find(|v| v["name"] == "RSABSSA-SHA384-PSS-Randomized")
        .unwrap();
    let field = |k: &str| hex(v[k].as_str().unwrap());
    let pk = OwnerPublicKey::from_der(&pkcs1(field("n"), field("e"))).unwrap();
    let msg = field("msg");
    let sig = TupleSignature {
        signature: field("sig"),
        randomizer: field("msg_prefix").try_into().unwrap(),
    };
    pk.verify(&sig, &msg).unwrap();
    let mut m = msg.clone();
    m[0] ^= 1;
    assert!(pk.verify(&sig, &m).is_err());
    let mut s = sig.clone();
    s.signature[100] ^= 1;
    assert!(pk.verify(&s, &msg).is_err());
    let mut r = sig.clone();
    r.randomizer[31] ^= 1;
    assert!(pk.verify(&r, &msg).is_err());
}
