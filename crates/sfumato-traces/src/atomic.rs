//! Output files that appear only when complete.
//!
//! Writing goes to a temporary file beside the target; [`AtomicFile::commit`]
//! renames it over the target. If anything fails first — or the value is
//! dropped — the temporary file is removed and an existing target is left
//! as it was: a failed run loses nothing, even when its output path names
//! its own input.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Result, TracesError};

/// A file being written to a temporary path until committed.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Starts writing what will become `target`.
    pub fn create(target: impl AsRef<Path>) -> Result<AtomicFile> {
        let target = target.as_ref().to_path_buf();
        let name = target.file_name().ok_or_else(|| {
            TracesError::invalid("out", format!("`{}` is not a file path", target.display()))
        })?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.partial", std::process::id()));
        let temp = target.with_file_name(temp_name);
        // `create_new`: never follow or truncate something already there.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| TracesError::io(&target, e))?;
        Ok(AtomicFile {
            target,
            temp,
            file: Some(file),
        })
    }

    /// The path the file will have.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes to disk and renames the file to its target. On failure the
    /// temporary file is removed (when the value drops) and the target is
    /// left as it was.
    pub fn commit(mut self) -> Result<()> {
        if let Some(file) = &self.file {
            file.sync_all()
                .map_err(|e| TracesError::io(&self.target, e))?;
        }
        std::fs::rename(&self.temp, &self.target).map_err(|e| TracesError::io(&self.target, e))?;
        // Renamed: nothing left for `Drop` to remove.
        self.file = None;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appears_only_when_committed() {
        let dir = std::env::temp_dir().join(format!("sfumato-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.csv");
        std::fs::write(&target, "old").unwrap();
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"new").unwrap();
            // Dropped without commit: the old content stays.
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "temporary file left behind"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
