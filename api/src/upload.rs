//! Reading uploads: the `file` part of a multipart body as a stream (never
//! buffered whole), or a finished recording on this server named by path.

use std::path::{Path, PathBuf};

use axum::extract::Multipart;
use axum::extract::multipart::Field;

use crate::error::Error;

/// Hands the `file` part of a multipart body, with the name to store it under
/// (a `fileName` text part sent before it, else the part's own file name), to
/// `store`, which reads it as a stream.
pub async fn with_file_part<T>(
    mut multipart: Multipart,
    store: impl AsyncFnOnce(String, Field<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut name = None;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| {
                Error::invalid(
                    "file",
                    format!("malformed multipart body: {}", e.body_text()),
                )
            })?
            .ok_or_else(|| Error::invalid("file", "a multipart part named `file` is required"))?;
        match field.name() {
            Some("file") => {
                let name = name
                    .or_else(|| field.file_name().map(str::to_owned))
                    .ok_or_else(|| Error::invalid("file", "the part has no file name"))?;
                return store(name, field).await;
            }
            Some("fileName") => {
                let text = field
                    .text()
                    .await
                    .map_err(|_| Error::invalid("fileName", "could not be read"))?;
                if text.len() > 1024 {
                    return Err(Error::invalid("fileName", "is too long"));
                }
                name = Some(text);
            }
            // Other parts are skipped unread-to-end by the next `next_field`.
            _ => {}
        }
    }
}

/// Resolves `requested` inside `root`: relative paths are taken from `root`, and
/// the result (after following links) must be a file under `root`.
pub fn file_under(root: &Path, requested: &str) -> Result<PathBuf, Error> {
    let refuse = || Error::invalid("filePath", "must name a file inside the recordings folder");
    if requested.is_empty() || requested.contains('\0') || requested.len() > 4096 {
        return Err(refuse());
    }
    let root = root
        .canonicalize()
        .map_err(|_| Error::NotFound("file".into()))?;
    let candidate = root.join(requested);
    let resolved = match candidate.canonicalize() {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound("file".into()));
        }
        Err(_) => return Err(refuse()),
    };
    if !resolved.starts_with(&root) || !resolved.is_file() {
        return Err(refuse());
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_the_root_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("recordings");
        std::fs::create_dir_all(root.join("r1")).unwrap();
        std::fs::write(root.join("r1/a.mp4"), b"x").unwrap();
        std::fs::write(dir.path().join("secret"), b"x").unwrap();
        assert!(file_under(&root, "r1/a.mp4").is_ok());
        assert!(file_under(&root, root.join("r1/a.mp4").to_str().unwrap()).is_ok());
        for bad in [
            "../secret",
            "r1/../../secret",
            "/etc/passwd",
            "r1",
            "",
            "a\0b",
        ] {
            assert!(file_under(&root, bad).is_err(), "{bad}");
        }
        assert!(matches!(
            file_under(&root, "r1/none.mp4"),
            Err(Error::NotFound(_))
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret"), root.join("link")).unwrap();
            assert!(file_under(&root, "link").is_err());
        }
    }
}
