//! Files that hold citizens' personal data — the SQLite database and its
//! log, mail written as `.eml` files, what the command line writes (exports,
//! refused rows, reports) — are readable by the service's own account only:
//! folders it creates are 0700, files 0600. Folders that already exist keep
//! their mode (the operator chose it); a regular file that is written over
//! is made 0600, since what it holds now is personal data.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
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

/// Creates or truncates `path` for writing, 0600. Only a regular file is
/// made so: `--output /dev/stdout` must not change a terminal's mode.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_file() && metadata.permissions().mode() & 0o077 != 0 {
        file.set_permissions(Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Writes `bytes` to a new or truncated file `path`, 0600.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    create_private(path)?.write_all(bytes)
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
        let export = base.path().join("export.csv");
        std::fs::write(&export, b"old").unwrap();
        std::fs::set_permissions(&export, Permissions::from_mode(0o644)).unwrap();
        write_private(&export, b"new").unwrap();
        assert_eq!(mode(&export), 0o600, "a file written over is made private");
        assert_eq!(std::fs::read(&export).unwrap(), b"new");
    }
}
