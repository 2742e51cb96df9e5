//! Signed checkpoints of the provenance log: a tree's size and root as C2SP tlog-checkpoint
//! text, inside a C2SP signed note signed with Ed25519 (RFC 8032), and the key that verifies
//! it in the vkey form that Go's `golang.org/x/mod/sumdb/note` and the C2SP tools read.
//!
//! The signing key is made on first use and kept in a file outside the corpus (an `skey`:
//! `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>`, readable by its owner only), so that
//! publishing a corpus never publishes its key.

use crate::merkle::Hash;
use assent_schemas::digest::to_hex;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::io;
use std::path::Path;

/// The signature type byte of Ed25519 in C2SP signed notes.
const ED25519: u8 = 0x01;

/// Why a note or key was not accepted.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("a key name must be non-empty, without spaces or '+': {0:?}")]
    BadKeyName(String),
    #[error("malformed key: {0}")]
    BadKey(&'static str),
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("no signature by {0} verifies")]
    Unverified(String),
    #[error("malformed checkpoint: {0}")]
    BadCheckpoint(&'static str),
}

/// A tree's size and root, with its origin (the log's name) and any extension lines
/// (c2sp.org/tlog-checkpoint).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The checkpoint's text: origin, decimal size, base64 root, extension lines, each ending
    /// in a newline.
    pub fn text(&self) -> String {
        let mut t = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            t.push_str(e);
            t.push('\n');
        }
        t
    }

    /// Reads a checkpoint's text (a signed note's text, once verified).
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(NoteError::BadCheckpoint("no final newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty());
        let origin = origin.ok_or(NoteError::BadCheckpoint("no origin"))?;
        let size = lines.next().ok_or(NoteError::BadCheckpoint("no size"))?;
        // Decimal, no sign, no leading zero (but "0"): what writing the number back gives.
        let size = size
            .parse::<u64>()
            .ok()
            .filter(|n| n.to_string() == size)
            .ok_or(NoteError::BadCheckpoint("the size is not a decimal u64"))?;
        let root = lines.next().ok_or(NoteError::BadCheckpoint("no root"))?;
        let root = B64
            .decode(root)
            .ok()
            .and_then(|r| <Hash>::try_from(r.as_slice()).ok())
            .ok_or(NoteError::BadCheckpoint(
                "the root is not a base64 SHA-256 hash",
            ))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(NoteError::BadCheckpoint("an empty extension line"));
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(NoteError::BadKeyName(name.to_string()));
    }
    Ok(())
}

/// SHA-256(key name || 0x0A || 0x01 || public key)[:4] (c2sp.org/signed-note, Ed25519).
fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ED25519]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The key ID of `public` under `name`, where it is the `id` a key string gave (lower-case
/// hex).
fn checked_id(name: &str, public: &[u8; 32], id: &str) -> Result<[u8; 4], NoteError> {
    let own = key_id(name, public);
    if to_hex(&own) != id {
        return Err(NoteError::BadKey("the key id does not match the key"));
    }
    Ok(own)
}

/// The key field of an skey or vkey: base64 of 0x01 (Ed25519) then 32 bytes.
fn key_bytes(field: &str) -> Result<[u8; 32], NoteError> {
    let key = B64
        .decode(field)
        .map_err(|_| NoteError::BadKey("the key is not base64"))?;
    match key.split_first() {
        Some((&ED25519, rest)) => rest
            .try_into()
            .map_err(|_| NoteError::BadKey("not an Ed25519 key")),
        _ => Err(NoteError::BadKey("not an Ed25519 key")),
    }
}

/// [`key_bytes`] the other way.
fn key_field(key: &[u8; 32]) -> String {
    let mut bytes = vec![ED25519];
    bytes.extend_from_slice(key);
    B64.encode(bytes)
}

/// A named Ed25519 key that signs notes.
pub struct NoteSigner {
    name: String,
    key: SigningKey,
}

impl NoteSigner {
    pub fn new(name: &str, seed: [u8; 32]) -> Result<NoteSigner, NoteError> {
        check_name(name)?;
        Ok(NoteSigner {
            name: name.to_string(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The key in `path`, or a new one made and written there (mode 0600) when there is none.
    /// Processes that make one at once (the ranks of a job) end with the same key: each writes
    /// its own to a file of its own, and the first to link it in place wins; the others read
    /// the winner's.
    pub fn load_or_create(path: &Path, name: &str) -> io::Result<NoteSigner> {
        let invalid = |e: NoteError| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
        let read = || -> io::Result<NoteSigner> {
            let text = std::fs::read_to_string(path)?;
            NoteSigner::from_skey(text.trim()).map_err(invalid)
        };
        match read() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            found => return found,
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| io::Error::other(e.to_string()))?;
        let signer = NoteSigner::new(name, seed).map_err(invalid)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut own = path.as_os_str().to_owned();
        own.push(format!(
            ".{}.{:?}.tmp",
            std::process::id(),
            std::thread::current().id()
        ));
        let own = std::path::PathBuf::from(own);
        write_private(&own, format!("{}\n", signer.skey()).as_bytes())?;
        // A link fails where the name is taken, unlike a rename, which would replace a key
        // another process made and may have signed with already.
        let linked = std::fs::hard_link(&own, path);
        std::fs::remove_file(&own)?;
        match linked {
            Ok(()) => Ok(signer),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read(),
            Err(e) => Err(e),
        }
    }

    /// Reads an `skey` (`PRIVATE+KEY+name+id+base64(0x01 || seed)`).
    pub fn from_skey(skey: &str) -> Result<NoteSigner, NoteError> {
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::BadKey("an skey starts with PRIVATE+KEY+"))?;
        let (name, id, key) = split_key(rest)?;
        let signer = NoteSigner::new(name, key_bytes(key)?)?;
        checked_id(name, &signer.key.verifying_key().to_bytes(), id)?;
        Ok(signer)
    }

    pub fn skey(&self) -> String {
        let (id, key) = (to_hex(&self.id()), key_field(&self.key.to_bytes()));
        format!("PRIVATE+KEY+{}+{id}+{key}", self.name)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn id(&self) -> [u8; 4] {
        key_id(&self.name, &self.key.verifying_key().to_bytes())
    }

    /// The verifier key: `name+id+base64(0x01 || public key)`.
    pub fn vkey(&self) -> String {
        let key = key_field(&self.key.verifying_key().to_bytes());
        format!("{}+{}+{key}", self.name, to_hex(&self.id()))
    }

    /// `text` (which must end in a newline) as a signed note with this key's signature.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let signature = self.key.sign(text.as_bytes());
        let mut sig = self.id().to_vec();
        sig.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "{text}\n\u{2014} {} {}\n",
            self.name,
            B64.encode(sig)
        ))
    }
}

/// Writes `bytes` to a new file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// `name+id+key`, the name checked.
fn split_key(s: &str) -> Result<(&str, &str, &str), NoteError> {
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::BadKey("a key is name+id+key"));
    };
    check_name(name)?;
    if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NoteError::BadKey("the key id is not 8 hex digits"));
    }
    Ok((name, id, key))
}

/// A note's text: valid UTF-8 (a `&str`), ending in a newline, no control characters but
/// newline (c2sp.org/signed-note).
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("the text does not end in a newline"));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed("a control character"));
    }
    Ok(())
}

/// The key that verifies notes of one signer, read from its vkey.
#[derive(Clone, Debug)]
pub struct NoteVerifier {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl NoteVerifier {
    pub fn from_vkey(vkey: &str) -> Result<NoteVerifier, NoteError> {
        let (name, id, key) = split_key(vkey.trim())?;
        let public = key_bytes(key)?;
        Ok(NoteVerifier {
            name: name.to_string(),
            // A vkey's id may come in upper case.
            id: checked_id(name, &public, &id.to_ascii_lowercase())?,
            key: VerifyingKey::from_bytes(&public)
                .map_err(|_| NoteError::BadKey("not a point of the curve"))?,
        })
    }

    /// The text of `note` if a signature by this key verifies; signatures by other keys are
    /// passed over, and one by this key that fails rejects the note (c2sp.org/signed-note).
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let split = note
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let (text, signatures) = (&note[..split + 1], &note[split + 2..]);
        check_text(text)?;
        let signatures = signatures.strip_suffix('\n').ok_or(NoteError::Malformed(
            "the signatures do not end in a newline",
        ))?;
        let mut verified = false;
        for line in signatures.split('\n') {
            let rest = line.strip_prefix("\u{2014} ").ok_or(NoteError::Malformed(
                "a signature line starts with an em dash",
            ))?;
            let (name, sig) = rest.split_once(' ').ok_or(NoteError::Malformed(
                "a signature line is name and signature",
            ))?;
            let sig = B64
                .decode(sig)
                .map_err(|_| NoteError::Malformed("a signature is not base64"))?;
            if name != self.name || sig.len() < 4 || sig[..4] != self.id {
                continue;
            }
            let signature = <[u8; 64]>::try_from(&sig[4..])
                .map(|s| Signature::from_bytes(&s))
                .map_err(|_| NoteError::Unverified(self.name.clone()))?;
            self.key
                .verify_strict(text.as_bytes(), &signature)
                .map_err(|_| NoteError::Unverified(self.name.clone()))?;
            verified = true;
        }
        match verified {
            true => Ok(text),
            false => Err(NoteError::Unverified(self.name.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Go's golang.org/x/mod/sumdb/note documentation: a verifier key, and a
    /// note signed by another implementation.
    const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const NOTE: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    #[test]
    fn a_note_of_another_implementation_verifies() {
        let verifier = NoteVerifier::from_vkey(VKEY).unwrap();
        assert_eq!(verifier.open(NOTE).unwrap(), TEXT);
    }

    #[test]
    fn a_changed_note_or_an_unknown_key_does_not_verify() {
        let verifier = NoteVerifier::from_vkey(VKEY).unwrap();
        let changed = NOTE.replacen("answer", "Answer", 1);
        assert_eq!(
            verifier.open(&changed),
            Err(NoteError::Unverified("PeterNeumann".into()))
        );
        let other = NoteSigner::new("someone.example/log", [7; 32]).unwrap();
        let theirs = other.sign(TEXT).unwrap();
        assert!(
            verifier.open(&theirs).is_err(),
            "only another key signed it"
        );
        // Another key's signature beside a good one is passed over.
        let both = format!("{}{}", NOTE, theirs.rsplit_once("\n\n").unwrap().1);
        assert_eq!(verifier.open(&both).unwrap(), TEXT);
        assert!(NoteVerifier::from_vkey(
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        )
        .is_err());
        assert!(NoteSigner::new("has space", [1; 32]).is_err());
        assert!(other.sign("no newline").is_err());
        assert!(other.sign("a\u{7}bell\n").is_err());
    }

    #[test]
    fn a_checkpoint_round_trips_and_rejects_what_the_format_forbids() {
        let c = Checkpoint {
            origin: "assent.local/demo/kept".into(),
            size: 93,
            root: [9; 32],
            extensions: vec!["refused 57 CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=".into()],
        };
        let text = c.text();
        assert_eq!(
            text,
            "assent.local/demo/kept\n93\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\nrefused 57 CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n"
        );
        assert_eq!(Checkpoint::parse(&text).unwrap(), c);
        for bad in [
            "o\n93\nCQkJ\n",
            "o\n093\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
            "o\n-1\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
            "\n1\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
            "o\n1\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=",
        ] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn keys_made_at_once_are_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.skey");
        let vkeys: Vec<String> = std::thread::scope(|s| {
            let made: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        NoteSigner::load_or_create(&path, "assent.local/t")
                            .unwrap()
                            .vkey()
                    })
                })
                .collect();
            made.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(vkeys.iter().all(|v| *v == vkeys[0]), "{vkeys:?}");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            left,
            vec![std::ffi::OsString::from("log.skey")],
            "no temporary file left"
        );
    }

    #[test]
    fn a_key_is_made_once_kept_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/log.skey");
        let made = NoteSigner::load_or_create(&path, "assent.local/test").unwrap();
        let again = NoteSigner::load_or_create(&path, "ignored.example").unwrap();
        assert_eq!(made.vkey(), again.vkey());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The skey written is read back as the same key.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("PRIVATE+KEY+assent.local/test+"), "{text}");
        assert_eq!(
            NoteSigner::from_skey(text.trim()).unwrap().vkey(),
            made.vkey()
        );
        // Another seed under the same id is refused.
        let mut other = text.trim().as_bytes().to_vec();
        let i = other.len() - 3;
        other[i] = if other[i] == b'A' { b'B' } else { b'A' };
        let other = String::from_utf8(other).unwrap();
        assert_eq!(
            NoteSigner::from_skey(&other).err(),
            Some(NoteError::BadKey("the key id does not match the key"))
        );
        let note = made.sign("hello\n").unwrap();
        let verifier = NoteVerifier::from_vkey(&made.vkey()).unwrap();
        assert_eq!(verifier.open(&note).unwrap(), "hello\n");
    }
}
