//! Replacing a file so that a failure at any point leaves the old one intact.
//!
//! Every writer of this crate ([`crate::idx::write()`], [`crate::csv::write()`], the download
//! cache) goes through [`Replacement`]: the new bytes go to a temporary file created beside the
//! target (same folder, so the final rename stays within one file system) with `O_EXCL` and a
//! random name (the `tempfile` crate), so a symlink planted at a guessable name is never
//! followed; the file is synced, given the old file's permissions, and only then renamed over
//! the target. A full disk, a crash or a killed process before the rename leaves the old file
//! byte for byte; the temporary file is removed when the write fails.

use crate::DatasetError;
use std::fs::{File, Permissions};
use std::io;
use std::path::{Path, PathBuf};

/// A new version of a file being written; see the module documentation.
pub struct Replacement {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Replacement {
    /// Creates the temporary file `.NAME.XXXXXX.tmp` beside `path` (not `path` itself).
    pub fn begin(path: &Path) -> io::Result<Replacement> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // A new file gets the usual 0666 minus the umask (tempfile's default is 0600).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(dir)?;
        Ok(Replacement {
            temp,
            path: path.to_path_buf(),
        })
    }

    /// The temporary file, to write the new contents into.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Syncs the new contents, gives them the old file's permissions and renames them over
    /// the target. Dropping a `Replacement` without committing removes the temporary file.
    pub fn commit(self) -> io::Result<()> {
        if let Ok(old) = std::fs::metadata(&self.path) {
            self.temp.as_file().set_permissions(old.permissions())?;
        }
        self.temp.as_file().sync_all()?;
        self.temp.persist(&self.path).map_err(|e| e.error)?;
        // The rename itself is made durable by syncing the folder (best effort: not every
        // platform can open a folder).
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// Replaces `path` with what `fill` writes into the temporary file; I/O errors become
/// [`DatasetError::Write`] naming `path`.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), DatasetError> {
    let err = |source| DatasetError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut new = Replacement::begin(path).map_err(err)?;
    fill(new.file()).map_err(err)?;
    new.commit().map_err(err)
}
