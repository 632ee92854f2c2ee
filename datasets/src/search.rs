//! Where a data set is looked for, in order, and how a directory of IDX files is loaded.
//!
//! [`Dataset`] describes one data set (its file names, checksums, class names, environment
//! variable, Keras cache folder, system folder and download mirror). [`SearchPaths`] is the
//! list of places one call looks at, built from the environment by
//! [`Dataset::search_paths`] or written out explicitly (tests do that, so they never touch the
//! process environment):
//!
//! 1. `$FASHION_MNIST_DIR` (`$MNIST_DIR` for MNIST), when set and not empty. A folder named
//!    there must hold the four files: when it is missing or incomplete, loading fails with
//!    [`DatasetError::EnvDirUnusable`] (saying what is missing and how to fix it) instead of
//!    quietly reading the data from one of the places below;
//! 2. Keras' cache, `$KERAS_HOME/datasets/<name>` or else `~/.keras/datasets/<name>`, so files a
//!    Keras user already downloaded are reused;
//! 3. the system folder (`/usr/share/datasets/fashion-mnist`, from Debian's
//!    `dataset-fashion-mnist` package);
//! 4. with the `download` feature (on by default), a download from Keras' mirror into the Keras
//!    cache folder of step 2, each file checked against its SHA-256 and written atomically.
//!
//! A place is used when all four files are there (each either as `NAME.gz` or uncompressed
//! as `NAME`); places 2 and 3 with some files missing are noted and skipped. Files that are there but
//! corrupt are an error at once, rather than silently falling through to another copy.

use crate::{DatasetError, Split, TrainTest, Tried, idx};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// One file of a data set: its name without `.gz`, and the SHA-256 of its `.gz` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataFile {
    /// e.g. `train-images-idx3-ubyte`.
    pub name: &'static str,
    /// Lower-case hex SHA-256 of `NAME.gz` as published, used to check downloads.
    pub sha256: &'static str,
}

impl DataFile {
    /// The compressed file name, `NAME.gz`, as Keras stores and downloads it.
    pub fn gz_name(&self) -> String {
        format!("{}.gz", self.name)
    }

    /// The path of this file inside `dir`: `NAME.gz` if present, else `NAME`, else `None`.
    pub fn find_in(&self, dir: &Path) -> Option<PathBuf> {
        [dir.join(self.gz_name()), dir.join(self.name)]
            .into_iter()
            .find(|p| p.is_file())
    }
}

/// The description of an MNIST-like data set: everything the search and loading need.
#[derive(Debug, Clone, Copy)]
pub struct Dataset {
    /// Human name, e.g. `Fashion-MNIST`.
    pub name: &'static str,
    /// The environment variable naming a directory with the files, e.g. `FASHION_MNIST_DIR`.
    pub env_var: &'static str,
    /// The folder under Keras' `datasets/` cache, e.g. `fashion-mnist`.
    pub cache_subdir: &'static str,
    /// A system-wide folder, e.g. Debian's `/usr/share/datasets/fashion-mnist`.
    pub system_dir: Option<&'static str>,
    /// How to get the files into `system_dir`, e.g. `sudo apt-get install dataset-fashion-mnist`.
    pub system_install: Option<&'static str>,
    /// The mirror base URL the files are downloaded from (ending in `/`), if any.
    pub mirror: Option<&'static str>,
    /// The environment variable that overrides `mirror`, e.g. `FASHION_MNIST_MIRROR`.
    pub mirror_env_var: &'static str,
    /// Train images, train labels, test images, test labels, in that order.
    pub files: [DataFile; 4],
    /// Image height and width.
    pub image_shape: [usize; 2],
    /// Class names, indexed by label.
    pub class_names: &'static [&'static str],
    /// Why there is no download when `mirror` is `None` (a clause).
    pub no_download_reason: &'static str,
}

/// The places one load looks at, in order. Build it with [`Dataset::search_paths`] (from the
/// environment) or [`Dataset::search_paths_from`] (from any variable lookup), or write it out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPaths {
    /// The directory named by the data set's environment variable, if set.
    pub env_dir: Option<PathBuf>,
    /// Keras' cache directory for this data set (`~/.keras/datasets/fashion-mnist`); also
    /// where downloads go. `None` when there is no home directory.
    pub keras_cache: Option<PathBuf>,
    /// The system directory (`/usr/share/datasets/fashion-mnist`).
    pub system_dir: Option<PathBuf>,
    /// The base URL to download from (the file name is appended), or `None` for no download.
    pub download_base_url: Option<String>,
}

impl Dataset {
    /// The search order built from the process environment (see [`Dataset::search_paths_from`]).
    pub fn search_paths(&self) -> SearchPaths {
        self.search_paths_from(|k| std::env::var_os(k))
    }

    /// The search order built from a variable lookup (the process environment, or a map in
    /// tests): `$ENV_VAR`, `$KERAS_HOME/datasets/NAME` or `$HOME/.keras/datasets/NAME`, the
    /// system folder, and the mirror (overridden by `$MIRROR_ENV_VAR`) when the `download`
    /// feature is on. Empty variables count as unset.
    pub fn search_paths_from(&self, var: impl Fn(&str) -> Option<OsString>) -> SearchPaths {
        let get = |k: &str| var(k).filter(|v| !v.is_empty());
        let keras_home = get("KERAS_HOME").map(PathBuf::from).or_else(|| {
            get("HOME")
                .or_else(|| get("USERPROFILE"))
                .map(|h| PathBuf::from(h).join(".keras"))
        });
        let download_base_url = if cfg!(feature = "download") {
            get(self.mirror_env_var)
                .map(|u| u.to_string_lossy().into_owned())
                .or_else(|| self.mirror.map(str::to_string))
        } else {
            None
        };
        SearchPaths {
            env_dir: get(self.env_var).map(PathBuf::from),
            keras_cache: keras_home.map(|k| k.join("datasets").join(self.cache_subdir)),
            system_dir: self.system_dir.map(PathBuf::from),
            download_base_url,
        }
    }

    /// Loads the data set from the first place of [`Dataset::search_paths`] that has it.
    pub fn load_data(&self) -> Result<TrainTest, DatasetError> {
        self.load_data_with(&self.search_paths())
    }

    /// Loads the four files from `dir` (each `NAME.gz` or `NAME`), with every check.
    pub fn load_data_from(&self, dir: impl AsRef<Path>) -> Result<TrainTest, DatasetError> {
        let dir = dir.as_ref();
        match self.locate(dir) {
            Ok(paths) => self.load_paths(&paths),
            Err(outcome) => Err(self.not_found(vec![Tried {
                place: dir.display().to_string(),
                outcome,
            }])),
        }
    }

    /// Loads the data set from the first place in `paths` that has all four files, downloading
    /// into `paths.keras_cache` as the last resort when `paths.download_base_url` is set.
    pub fn load_data_with(&self, paths: &SearchPaths) -> Result<TrainTest, DatasetError> {
        let mut tried = Vec::new();
        let places = [
            (format!("${}", self.env_var), &paths.env_dir),
            ("Keras cache".to_string(), &paths.keras_cache),
            ("system folder".to_string(), &paths.system_dir),
        ];
        for (label, dir) in places {
            if label == "system folder" && dir.is_none() && self.system_dir.is_none() {
                continue; // this data set has no system folder: not a place to list
            }
            let Some(dir) = dir else {
                tried.push(Tried {
                    place: label,
                    outcome: "not set".into(),
                });
                continue;
            };
            match self.locate(dir) {
                Ok(files) => return self.load_paths(&files),
                // A variable the user set names the one place they meant: loading from
                // somewhere else instead would hide their mistake.
                Err(problem) if label.starts_with('$') => {
                    return Err(DatasetError::EnvDirUnusable {
                        var: self.env_var,
                        dir: dir.clone(),
                        problem,
                        files: self.files.iter().map(|f| f.gz_name()).collect(),
                    });
                }
                Err(outcome) => tried.push(Tried {
                    place: format!("{label} {}", dir.display()),
                    outcome,
                }),
            }
        }
        match self.download_into(paths) {
            Ok(dir) => match self.locate(&dir) {
                Ok(files) => self.load_paths(&files),
                Err(outcome) => {
                    tried.push(Tried {
                        place: format!("download into {}", dir.display()),
                        outcome,
                    });
                    Err(self.not_found(tried))
                }
            },
            Err(t) => {
                tried.push(t);
                Err(self.not_found(tried))
            }
        }
    }

    /// The four file paths in `dir`, or why they are not all there.
    pub fn locate(&self, dir: &Path) -> Result<[PathBuf; 4], String> {
        if !dir.is_dir() {
            return Err("no such directory".into());
        }
        let found = self.files.map(|f| f.find_in(dir));
        let missing: Vec<String> = self
            .files
            .iter()
            .zip(&found)
            .filter(|(_, p)| p.is_none())
            .map(|(f, _)| f.gz_name())
            .collect();
        if missing.is_empty() {
            Ok(found.map(|p| p.expect("checked above")))
        } else {
            Err(format!("missing {}", missing.join(", ")))
        }
    }

    /// Loads `[train images, train labels, test images, test labels]` with every check.
    pub fn load_paths(&self, paths: &[PathBuf; 4]) -> Result<TrainTest, DatasetError> {
        let train = self.load_split(&paths[0], &paths[1])?;
        let test = self.load_split(&paths[2], &paths[3])?;
        Ok((train, test))
    }

    /// Loads one split: images `(n, rows, cols)` of `u8` and labels `(n,)` in `0..classes`.
    ///
    /// Checks each file (see [`idx`]), then the image size against `image_shape`, every
    /// label against the number of classes, and that both files hold the same count.
    pub fn load_split(
        &self,
        images_path: &Path,
        labels_path: &Path,
    ) -> Result<Split, DatasetError> {
        let images = idx::read_images(images_path)?;
        if images.shape()[1..] != self.image_shape {
            return Err(DatasetError::WrongShape {
                path: images_path.to_path_buf(),
                expected: format!(
                    "(n, {}, {}) for {} images",
                    self.image_shape[0], self.image_shape[1], self.name
                ),
                found: images.shape().to_vec(),
            });
        }
        let labels = idx::read_labels(labels_path)?;
        check_labels(
            labels_path,
            labels.as_slice().expect("fresh array is contiguous"),
            self.class_names.len(),
        )?;
        if images.shape()[0] != labels.len() {
            return Err(DatasetError::CountMismatch {
                images_path: images_path.to_path_buf(),
                labels_path: labels_path.to_path_buf(),
                images: images.shape()[0],
                labels: labels.len(),
            });
        }
        Ok((images, labels))
    }

    /// The ways to fix a missing data set, one sentence each (three of them).
    pub fn fixes(&self) -> Vec<String> {
        let names: Vec<String> = self.files.iter().map(|f| f.gz_name()).collect();
        let mut fixes = vec![format!(
            "set {} to a directory holding {}",
            self.env_var,
            names.join(", ")
        )];
        match (self.system_install, self.system_dir) {
            (Some(install), Some(dir)) => {
                fixes.push(format!("install the files into {dir}: {install}"))
            }
            _ => fixes.push(format!(
                "copy the four files into Keras' cache folder ~/.keras/datasets/{}",
                self.cache_subdir
            )),
        }
        match self.mirror {
            Some(url) if cfg!(feature = "download") => fixes.push(format!(
                "allow the download: network access to {url} (or set {} to a mirror's base URL); the files are saved in ~/.keras/datasets/{}",
                self.mirror_env_var, self.cache_subdir
            )),
            Some(_) => fixes.push(format!(
                "enable the download: build with the cargo feature `download` (on by default) and the files are fetched into ~/.keras/datasets/{}",
                self.cache_subdir
            )),
            None => fixes.push(format!(
                "get the four files from the {} distribution or a mirror of it, and use 1 or 2 (this crate does not download them: {})",
                self.name, self.no_download_reason
            )),
        }
        fixes
    }

    fn not_found(&self, tried: Vec<Tried>) -> DatasetError {
        DatasetError::NotFound {
            dataset: self.name,
            tried,
            fixes: self.fixes(),
        }
    }

    /// Downloads the missing files into `paths.keras_cache`; returns that directory, or what
    /// to record as the failed last place.
    fn download_into(&self, paths: &SearchPaths) -> Result<PathBuf, Tried> {
        let Some(base) = &paths.download_base_url else {
            let outcome = if self.mirror.is_none() {
                format!("not available: {}", self.no_download_reason)
            } else if cfg!(feature = "download") {
                "disabled".to_string()
            } else {
                "not built in (the cargo feature `download` is off)".to_string()
            };
            return Err(Tried {
                place: "download".into(),
                outcome,
            });
        };
        let Some(dir) = &paths.keras_cache else {
            return Err(Tried {
                place: format!("download from {base}"),
                outcome: "no home directory to save the files in (set HOME or KERAS_HOME)".into(),
            });
        };
        self.download_files(base, dir)
            .map(|()| dir.clone())
            .map_err(|e| Tried {
                place: format!("download from {base} into {}", dir.display()),
                outcome: e.to_string(),
            })
    }

    #[cfg(feature = "download")]
    fn download_files(&self, base: &str, dir: &Path) -> Result<(), DatasetError> {
        // The folders this call creates are removed again if nothing ends up in them.
        let created: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(dir).map_err(|source| DatasetError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let result = self.files.iter().try_for_each(|f| match f.find_in(dir) {
            Some(_) => Ok(()),
            None => crate::download::fetch_verified(
                &crate::download::join_url(base, &f.gz_name()),
                &dir.join(f.gz_name()),
                f.sha256,
            ),
        });
        if result.is_err() {
            for d in &created {
                // Fails, as it should, on a folder that is not empty.
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
            }
        }
        result
    }

    #[cfg(not(feature = "download"))]
    fn download_files(&self, base: &str, _dir: &Path) -> Result<(), DatasetError> {
        Err(DatasetError::Download {
            url: base.to_string(),
            message: "the cargo feature `download` is off".into(),
        })
    }
}

/// Checks that every label is a class index in `0..classes`.
pub fn check_labels(path: &Path, labels: &[u8], classes: usize) -> Result<(), DatasetError> {
    match labels.iter().position(|&l| usize::from(l) >= classes) {
        None => Ok(()),
        Some(index) => Err(DatasetError::LabelOutOfRange {
            path: path.to_path_buf(),
            index,
            label: labels[index],
            classes,
        }),
    }
}
