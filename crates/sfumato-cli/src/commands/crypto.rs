//! `sfumato crypto …`: threshold Damgård–Jurik from the command line.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rug::Integer;
use serde_json::json;
use sfumato_crypto::CryptoError;
use sfumato_crypto::dj::threshold::{KeyShare, PartialDecryption, ThresholdPublicKey};
use sfumato_crypto::dj::{Ciphertext, PrivateKey, PublicKey, decimal};

use crate::cli::{AddArgs, CombineArgs, DecryptArgs, EncryptArgs, KeygenArgs, PartialDecryptArgs};
use crate::error::CliError;
use crate::output::Output;
use crate::progress::Progress;

/// Largest key or ciphertext file read (a 8192-bit, s = 16 share is far
/// smaller).
const MAX_FILE_BYTES: u64 = 16 << 20;

/// The CSPRNG for a command: from the operating system, or from `seed`
/// (reproducible, hence not secret).
fn rng(seed: Option<u64>) -> Result<ChaCha20Rng, CliError> {
    match seed {
        Some(s) => Ok(ChaCha20Rng::seed_from_u64(s)),
        None => {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| {
                CliError::usage(format!("the operating system gave no randomness: {e}"))
            })?;
            let rng = ChaCha20Rng::from_seed(key);
            key.fill(0);
            Ok(rng)
        }
    }
}

fn read_file(path: &Path, what: &str) -> Result<String, CliError> {
    let meta =
        fs::metadata(path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(CliError::usage(format!(
            "{}: too large for a {what}",
            path.display()
        )));
    }
    fs::read_to_string(path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
}

/// A JSON document given inline (`{...}`) or as a file path.
fn document(arg: &str, what: &str) -> Result<String, CliError> {
    if arg.trim_start().starts_with('{') {
        Ok(arg.to_string())
    } else {
        read_file(Path::new(arg), what)
    }
}

/// Prefixes a crypto error with where its input came from.
fn from(source: &str, e: CryptoError) -> CliError {
    CliError::usage(format!("{source}: {e}"))
}

fn public_key(path: &Path) -> Result<PublicKey, CliError> {
    PublicKey::from_json(&read_file(path, "public key")?)
        .map_err(|e| from(&path.display().to_string(), e))
}

fn ciphertext(pk: &PublicKey, arg: &str) -> Result<Ciphertext, CliError> {
    pk.ciphertext_from_json(&document(arg, "ciphertext")?)
        .map_err(|e| from(short(arg), e))
}

fn short(arg: &str) -> &str {
    if arg.trim_start().starts_with('{') {
        "ciphertext"
    } else {
        arg
    }
}

/// Writes `contents` to `dir/name`, refusing to overwrite; secret files are
/// created readable by their owner only.
fn write_new(dir: &Path, name: &str, contents: &str, secret: bool) -> Result<PathBuf, CliError> {
    let path = dir.join(name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    if secret {
        options.mode(0o600);
    }
    let mut f = options.open(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::usage(format!(
                "{} already exists: keys are never overwritten, choose another --out",
                path.display()
            ))
        } else {
            CliError::usage(format!("{}: {e}", path.display()))
        }
    })?;
    f.write_all(contents.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .and_then(|()| f.sync_all())?;
    Ok(path)
}

/// `sfumato crypto keygen`.
pub(crate) fn keygen(args: &KeygenArgs, out: &mut Output) -> Result<(), CliError> {
    if !args.bits.is_multiple_of(2) {
        return Err(CliError::usage(format!(
            "--bits must be even (got {})",
            args.bits
        )));
    }
    if let (Some(l), Some(t)) = (args.committee, args.threshold)
        && t > l
    {
        return Err(CliError::usage(format!(
            "--threshold {t} exceeds --committee {l}"
        )));
    }
    let names = ["public.json", "private.json"];
    for name in names {
        if args.out.join(name).exists() {
            return Err(CliError::usage(format!(
                "{} already exists: keys are never overwritten, choose another --out",
                args.out.join(name).display()
            )));
        }
    }
    fs::create_dir_all(&args.out)
        .map_err(|e| CliError::usage(format!("{}: {e}", args.out.display())))?;
    let mut rng = rng(args.seed)?;
    let started = std::time::Instant::now();
    let progress = Progress::spinner("searching safe primes");
    let sk = PrivateKey::generate(&mut rng, args.bits, args.s, args.threads, &|n| {
        progress.set(n)
    })?;
    progress.finish();
    let keygen_seconds = started.elapsed().as_secs_f64();
    let mut written = Vec::new();
    let public_json = match (args.committee, args.threshold) {
        (Some(l), Some(t)) => {
            let (tpk, shares) = sk.deal(l, t, &mut rng)?;
            for share in &shares {
                let name = format!("share-{}.json", share.index());
                written.push(write_new(&args.out, &name, &share.to_json(), true)?);
            }
            tpk.to_json()
        }
        _ => sk.public().to_json(),
    };
    written.insert(
        0,
        write_new(&args.out, "private.json", &sk.to_json(), true)?,
    );
    written.insert(0, write_new(&args.out, "public.json", &public_json, false)?);
    let files: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    if out.is_json() {
        out.json(&json!({
            "command": "crypto keygen",
            "bits": args.bits,
            "s": args.s,
            "committee": args.committee,
            "threshold": args.threshold,
            "seeded": args.seed.is_some(),
            "seconds": keygen_seconds,
            "files": files,
        }))?;
    } else {
        out.line(format_args!(
            "generated a {}-bit Damgård–Jurik key (s = {}) in {:.1} s{}",
            args.bits,
            args.s,
            keygen_seconds,
            match (args.committee, args.threshold) {
                (Some(l), Some(t)) => format!(", dealt to {l} key holders with threshold {t}"),
                _ => String::new(),
            }
        ))?;
        if args.seed.is_some() {
            out.line("WARNING: --seed makes the key reproducible: it is not secret (tests only)")?;
        }
        for f in files {
            out.line(format_args!("  {f}"))?;
        }
    }
    Ok(())
}

/// `sfumato crypto encrypt`.
pub(crate) fn encrypt(args: &EncryptArgs, out: &mut Output) -> Result<(), CliError> {
    let pk = public_key(&args.public_key)?;
    let m =
        decimal::parse(args.value.trim()).map_err(|e| CliError::usage(format!("--value: {e}")))?;
    let mut rng = rng(args.seed)?;
    out.line(pk.encrypt(&m, &mut rng).to_json())
}

/// `sfumato crypto add`.
pub(crate) fn add(args: &AddArgs, out: &mut Output) -> Result<(), CliError> {
    let pk = public_key(&args.public_key)?;
    let cs = args
        .ciphertexts
        .iter()
        .map(|a| ciphertext(&pk, a))
        .collect::<Result<Vec<_>, _>>()?;
    out.line(pk.sum(&cs).to_json())
}

/// Prints a plaintext: its value in `[0, nˢ)` and as a centered signed
/// integer.
fn print_plaintext(
    out: &mut Output,
    pk: &PublicKey,
    m: &Integer,
    command: &str,
) -> Result<(), CliError> {
    let ns = pk.plaintext_modulus();
    let half = Integer::from(ns >> 1u32);
    let signed = if m > &half {
        Integer::from(m - ns)
    } else {
        m.clone()
    };
    if out.is_json() {
        out.json(&json!({ "command": command, "plaintext": m.to_string(), "signed": signed.to_string() }))
    } else {
        out.line(m)
    }
}

/// `sfumato crypto decrypt`.
pub(crate) fn decrypt(args: &DecryptArgs, out: &mut Output) -> Result<(), CliError> {
    let text = read_file(&args.private_key, "private key")?;
    let sk = PrivateKey::from_json(&text)
        .map_err(|e| from(&args.private_key.display().to_string(), e))?;
    let c = ciphertext(sk.public(), &args.ciphertext)?;
    let m = sk.decrypt(&c)?;
    print_plaintext(out, sk.public(), &m, "crypto decrypt")
}

/// `sfumato crypto partial-decrypt`.
pub(crate) fn partial_decrypt(args: &PartialDecryptArgs, out: &mut Output) -> Result<(), CliError> {
    let text = read_file(&args.share, "key share")?;
    let share =
        KeyShare::from_json(&text).map_err(|e| from(&args.share.display().to_string(), e))?;
    let c = ciphertext(share.public(), &args.ciphertext)?;
    let mut rng = rng(args.seed)?;
    let partial = share.partial_decrypt(&c, &mut rng)?;
    out.line(serde_json::to_string(&partial)?)
}

/// `sfumato crypto combine`.
pub(crate) fn combine(args: &CombineArgs, out: &mut Output) -> Result<(), CliError> {
    let text = read_file(&args.public_key, "public key")?;
    let tpk = ThresholdPublicKey::from_json(&text)
        .map_err(|e| from(&args.public_key.display().to_string(), e))?;
    let partials = args
        .partials
        .iter()
        .map(|a| {
            let doc = document(a, "partial decryption")?;
            serde_json::from_str::<PartialDecryption>(&doc).map_err(|e| {
                CliError::usage(format!("{}: not a partial decryption: {e}", short(a)))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(p) = partials
        .iter()
        .find(|p| p.ciphertext != partials[0].ciphertext)
    {
        return Err(CliError::usage(format!(
            "the partial decryption of key holder {} is of another ciphertext than the first",
            p.index
        )));
    }
    let m = tpk.combine_partials(&partials)?;
    print_plaintext(out, tpk.public(), &m, "crypto combine")
}
