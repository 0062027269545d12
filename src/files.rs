//! Files that hold citizens' personal data — the SQLite database and its
//! log, mail written as `.eml` files — are readable by the service's own
//! account only: folders it creates are 0700, files 0600. Folders that
//! already exist keep their mode (the operator chose it).

use std::fs::{DirBuilder, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates `dir` and any missing parents, each new one 0700.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Creates `path` empty and 0600 unless it exists.
pub fn private_file_if_absent(path: &Path) -> std::io::Result<()> {
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

/// Writes `bytes` to a new or truncated file `path`, 0600 if new.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn what_the_service_creates_only_it_can_read() {
        let base = tempfile::tempdir().unwrap();
        let data = base.path().join("data").join("outbox");
        private_dir(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(data.parent().unwrap()), 0o700, "parents created on the way too");
        let db = base.path().join("data").join("casedesk.db");
        private_file_if_absent(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        let mail = data.join("0000000001.eml");
        write_private(&mail, b"Subject: x").unwrap();
        assert_eq!(mode(&mail), 0o600);
    }
}
