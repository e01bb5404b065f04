//! Members of the association: who may write cases.
//!
//! Owns the members file (`members.toml` by default, `--members FILE`,
//! `KAIZEN_WA_MEMBERS`): one entry per member with their name, an argon2id
//! hash of their secret and the date they were added. The secret itself is
//! shown once by `member add` and never stored. The file lives outside
//! `cases/` and is ignored by git: it is not part of the collection, so this
//! module writes it itself (atomically, readable by its owner only) rather
//! than through `case::store`.
//!
//! Knows nothing of HTTP: the web layer asks [`Members::verify`] who a
//! bearer secret or login belongs to, and [`Members::is_empty`] whether
//! writing is on at all.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use password_hash::rand_core::OsRng;
use password_hash::{PasswordHash, SaltString};
use serde::{Deserialize, Serialize};

/// Default members file, relative to the working folder (ignored by git).
pub const DEFAULT_FILE: &str = "members.toml";

/// Longest member name accepted (it appears as `contributor` in cases).
const MAX_NAME_CHARS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum MembersError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: 会員ファイルを読めません: {message}")]
    Parse { path: PathBuf, message: String },
    #[error(
        "会員「{0}」は既に登録されています（新しい合言葉が必要なら member remove してから add してください）"
    )]
    Duplicate(String),
    #[error("会員「{0}」は登録されていません")]
    NotFound(String),
    #[error("会員名「{name}」は使えません: {reason}")]
    BadName { name: String, reason: &'static str },
    #[error("合言葉のハッシュを作れませんでした: {0}")]
    Hash(String),
}

/// The name of a member whose secret was verified: what the web layer puts
/// in a session and what edits record as `contributor`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MemberName(pub String);

impl MemberName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MemberName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One member as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    /// argon2id PHC string (`$argon2id$v=19$m=…`): salt and parameters
    /// travel with the hash, so parameters can be raised later.
    pub hash: String,
    /// `YYYY-MM-DD`.
    pub created: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StoredFile {
    #[serde(default, rename = "member")]
    members: Vec<Member>,
}

/// The members file, loaded.
#[derive(Debug, Clone)]
pub struct Members {
    path: PathBuf,
    members: Vec<Member>,
}

impl Members {
    /// Reads the members file. A missing file is an empty list (writing is
    /// off until someone runs `member add`), not an error.
    pub fn load(path: &Path) -> Result<Members, MembersError> {
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(MembersError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let file: StoredFile = toml::from_str(&text).map_err(|e| MembersError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        for m in &file.members {
            PasswordHash::new(&m.hash).map_err(|e| MembersError::Parse {
                path: path.to_owned(),
                message: format!("会員「{}」のハッシュが壊れています: {e}", m.name),
            })?;
        }
        Ok(Members {
            path: path.to_owned(),
            members: file.members,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// No member configured: writing is off.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn list(&self) -> &[Member] {
        &self.members
    }

    pub fn contains(&self, name: &str) -> bool {
        self.members.iter().any(|m| m.name == name)
    }

    /// Who this secret belongs to, if anyone. Each stored hash is checked
    /// with argon2's verifier, whose final comparison is constant-time; the
    /// cost (tens of milliseconds per member) is what makes guessing slow,
    /// so callers should still rate-limit failures.
    pub fn verify(&self, secret: &str) -> Option<MemberName> {
        if secret.is_empty() {
            return None;
        }
        let argon2 = Argon2::default();
        self.members.iter().find_map(|m| {
            let hash = PasswordHash::new(&m.hash).ok()?;
            argon2
                .verify_password(secret.as_bytes(), &hash)
                .ok()
                .map(|()| MemberName(m.name.clone()))
        })
    }

    /// Adds a member with a fresh random secret and returns the secret: the
    /// only time it exists outside the member's hands. Call [`save`](Self::save)
    /// to keep the change.
    pub fn add(&mut self, name: &str) -> Result<String, MembersError> {
        let name = check_name(name)?;
        if self.contains(&name) {
            return Err(MembersError::Duplicate(name));
        }
        let secret = crate::token::new_token();
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map_err(|e| MembersError::Hash(e.to_string()))?
            .to_string();
        self.members.push(Member {
            name,
            hash,
            created: crate::case::today_iso(),
        });
        Ok(secret)
    }

    /// Removes a member; their secret stops working once saved (and once a
    /// running server reloads the file).
    pub fn remove(&mut self, name: &str) -> Result<Member, MembersError> {
        let name = name.trim();
        let pos = self
            .members
            .iter()
            .position(|m| m.name == name)
            .ok_or_else(|| MembersError::NotFound(name.to_owned()))?;
        Ok(self.members.remove(pos))
    }

    /// Writes the file atomically (temp file, fsync, rename, folder fsync),
    /// readable by its owner only.
    pub fn save(&self) -> Result<(), MembersError> {
        let mut text = String::from(
            "# kaizen-wa の会員（`kaizen-wa member add/remove` で編集します）。\n\
             # 合言葉そのものは保存せず、argon2id のハッシュだけを置きます。git に入れないでください。\n\n",
        );
        let body = toml::to_string(&StoredFile {
            members: self.members.clone(),
        })
        .map_err(|e| MembersError::Parse {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        text.push_str(&body);
        crate::atomic::write(
            &self.path,
            text.as_bytes(),
            crate::atomic::Mode::Replace,
            crate::atomic::Access::Private,
        )
        .map_err(|source| MembersError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

fn check_name(name: &str) -> Result<String, MembersError> {
    let trimmed = name.trim();
    let bad = |reason| MembersError::BadName {
        name: name.to_owned(),
        reason,
    };
    if trimmed.is_empty() {
        return Err(bad("空です"));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(bad("長すぎます（64 文字まで）"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(bad("制御文字は使えません"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_secret_verifies_and_nothing_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("members.toml");
        let mut m = Members::load(&path).unwrap();
        assert!(m.is_empty());
        let s1 = m.add("yamada").unwrap();
        let s2 = m.add("佐藤 花子").unwrap();
        assert_eq!(s1.len(), 64);
        assert_ne!(s1, s2);
        m.save().unwrap();

        let m = Members::load(&path).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m.verify(&s1), Some(MemberName("yamada".into())));
        assert_eq!(m.verify(&s2).unwrap().as_str(), "佐藤 花子");
        assert_eq!(m.verify("wrong"), None);
        assert_eq!(m.verify(""), None);
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(&s1) && !text.contains(&s2),
            "secrets must not be stored"
        );
        assert!(text.contains("$argon2id$"));
    }

    #[test]
    fn duplicate_and_unknown_names_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Members::load(&dir.path().join("m.toml")).unwrap();
        m.add("yamada").unwrap();
        assert!(matches!(m.add(" yamada "), Err(MembersError::Duplicate(n)) if n == "yamada"));
        assert!(matches!(m.remove("tanaka"), Err(MembersError::NotFound(_))));
        assert!(matches!(m.add("  "), Err(MembersError::BadName { .. })));
        assert!(matches!(m.add("a\nb"), Err(MembersError::BadName { .. })));
    }

    #[test]
    fn removed_member_secret_stops_working() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        let mut m = Members::load(&path).unwrap();
        let s = m.add("yamada").unwrap();
        m.save().unwrap();
        let mut m = Members::load(&path).unwrap();
        m.remove("yamada").unwrap();
        m.save().unwrap();
        let m = Members::load(&path).unwrap();
        assert!(m.is_empty());
        assert_eq!(m.verify(&s), None);
    }

    #[cfg(unix)]
    #[test]
    fn members_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        let mut m = Members::load(&path).unwrap();
        m.add("yamada").unwrap();
        m.save().unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_corrupt_hash_is_reported_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        fs::write(
            &path,
            "[[member]]\nname = \"x\"\nhash = \"nope\"\ncreated = \"2026-01-01\"\n",
        )
        .unwrap();
        assert!(matches!(
            Members::load(&path),
            Err(MembersError::Parse { .. })
        ));
    }
}
