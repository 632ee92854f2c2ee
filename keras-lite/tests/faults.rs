//! File-system faults against every writer of keras-lite (`save_weights`, `model.save`,
//! `ModelCheckpoint`, `CSVLogger`): a full disk, a writer killed mid-write, a symlink planted
//! at a temporary name, a folder the writer may not write. After each, what was there before
//! (or the new file) must load.
//!
//! The full disk is `RLIMIT_FSIZE` (`ulimit -f`) in a child process with `SIGXFSZ` ignored,
//! so that a write past the limit fails with `EFBIG` as on a full disk. The child is this test
//! binary again, running [`fault_helper`] with `KL_FAULT` naming what to write. The
//! read-only folder is tested as the unprivileged user `nobody` (via `setpriv`), because
//! these tests run as root, which ignores permission bits.

mod common;

use common::{images, temp_path};
use keras_lite::callbacks::CSVLogger;
use keras_lite::callbacks::ModelCheckpoint;
use keras_lite::layers::{Dense, Flatten};
use keras_lite::{FitOptions, Sequential, model_io};
use ndarray::ArrayD;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// Model `seed` (1 = "old", 2 = "new"), compiled: 16 -> 8 (old) or 6 (new) -> 3, so that new
/// weights under an old config.json (or the reverse) do not load; with a long name, so that
/// its config.json is larger than its weights (a full disk can then fall between the two).
fn model(seed: u64) -> Sequential {
    keras_lite::backend::set_random_seed(seed);
    let hidden = if seed == 2 { 6 } else { 8 };
    let layers = vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(hidden).activation("relu").into(),
        Dense::new(3).activation("softmax").into(),
    ];
    let mut m = Sequential::named(&"a_long_model_name_".repeat(100), layers);
    m.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    m
}

fn weights(seed: u64) -> Vec<ArrayD<f32>> {
    model(seed).get_weights().unwrap()
}

fn fit_with(m: &mut Sequential, callback: &mut dyn keras_lite::callbacks::Callback) {
    let (x, y) = images(32, 3);
    m.fit(
        &x,
        &y,
        FitOptions {
            epochs: 3,
            batch_size: 8,
            verbose: 0,
            callbacks: vec![callback],
            ..Default::default()
        },
    )
    .map(|_| ())
    .unwrap_or_else(|e| {
        eprintln!("writer error: {e}");
        std::process::exit(3)
    });
}

/// The writer the parent tests start (does nothing in a normal test run).
#[test]
fn fault_helper() {
    let Ok(action) = std::env::var("KL_FAULT") else {
        return;
    };
    let dir = PathBuf::from(std::env::var("KL_DIR").unwrap());
    let done = |r: keras_lite::Result<()>| match r {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("writer error: {e}");
            std::process::exit(3)
        }
    };
    match action.as_str() {
        "save_weights" => done(model(2).save_weights(dir.join("w.safetensors"))),
        "save" => done(model(2).save(dir.join("model"))),
        "checkpoint" => {
            let mut ckpt = ModelCheckpoint::new(&dir.join("ckpt.safetensors").to_string_lossy())
                .unwrap()
                .save_weights_only(true);
            fit_with(&mut model(2), &mut ckpt);
            std::process::exit(0)
        }
        "csv" => {
            let mut log = CSVLogger::new(dir.join("log.csv")).append(true);
            fit_with(&mut model(2), &mut log);
            std::process::exit(0)
        }
        "loop" => {
            // Saves the old and the new model in turn until killed.
            let mut models = [model(1), model(2)];
            for i in 0.. {
                let m = &mut models[i % 2];
                m.save(dir.join("model")).unwrap();
                m.save_weights(dir.join("w.safetensors")).unwrap();
                if i == 0 {
                    std::fs::write(dir.join("started"), "").unwrap();
                }
            }
        }
        other => panic!("unknown KL_FAULT {other}"),
    }
}

/// Runs [`fault_helper`] doing `action` in `dir`, its files limited to `limit_kib` KiB (as on
/// a full disk), as the user `nobody` when `as_nobody`.
fn writer(action: &str, dir: &Path, limit_kib: Option<u64>, as_nobody: bool) -> Command {
    let exe = std::env::current_exe().unwrap();
    let limit = limit_kib.map_or("unlimited".to_string(), |k| k.to_string());
    let mut cmd = if as_nobody {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "bash"]);
        c
    } else {
        Command::new("bash")
    };
    // bash's `ulimit -f` counts 1024-byte blocks; an ignored SIGXFSZ stays ignored over exec.
    cmd.arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {limit}; exec \"$0\" \"$@\""
        ))
        .arg(exe)
        .args(["fault_helper", "--exact", "--nocapture", "--test-threads=1"])
        .env("KL_FAULT", action)
        .env("KL_DIR", dir)
        .env("DLFS_THREADS", "1");
    cmd
}

fn run(action: &str, dir: &Path, limit_kib: Option<u64>, as_nobody: bool) -> Output {
    writer(action, dir, limit_kib, as_nobody).output().unwrap()
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = temp_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The weights of the model saved in `dir`, loaded.
fn loaded_model(dir: impl AsRef<Path>) -> Vec<ArrayD<f32>> {
    model_io::load_model(dir).unwrap().get_weights().unwrap()
}

/// The weights file at `path` loaded into the architecture of model `seed`.
fn loaded_weights(path: &Path, seed: u64) -> Vec<ArrayD<f32>> {
    let mut m = model(seed);
    m.load_weights(path)
        .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
    m.get_weights().unwrap()
}

fn kib(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len().div_ceil(1024)
}

/// Names in `dir` other than the ones given (temporary files left behind).
fn leftovers(dir: &Path, expected: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !expected.contains(&n.as_str()))
        .collect()
}

#[test]
fn a_full_disk_keeps_the_old_weights_file() {
    let dir = fresh_dir("fault-full-weights");
    let path = dir.join("w.safetensors");
    model(1).save_weights(&path).unwrap();
    let size = kib(&path);
    // One KiB short of the file: the new one (the same size) cannot be written.
    let out = run("save_weights", &dir, Some(size - 1), false);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("File too large"), "{}", stderr(&out));
    assert_eq!(loaded_weights(&path, 1), weights(1));
    assert_eq!(leftovers(&dir, &["w.safetensors"]), Vec::<String>::new());
    // With room, the same writer replaces it.
    let out = run("save_weights", &dir, None, false);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(loaded_weights(&path, 2), weights(2));
}

#[test]
fn a_full_disk_during_model_save_keeps_the_old_model_at_either_file() {
    let dir = fresh_dir("fault-full-model");
    let model_dir = dir.join("model");
    model(1).save(&model_dir).unwrap();
    let w = kib(&model_io::weights_path(&model_dir).unwrap());
    let c = kib(&model_dir.join(model_io::CONFIG_FILE));
    assert!(
        c > w,
        "config.json ({c} KiB) should be larger than the weights ({w} KiB)"
    );
    // Limit w - 1: the new weights fail. Limit w: the new weights are written, config.json
    // (the commit point) is not: the case that used to leave new weights with the old config.
    for limit in [w - 1, w] {
        let out = run("save", &dir, Some(limit), false);
        assert_eq!(
            out.status.code(),
            Some(3),
            "limit {limit}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("File too large"), "{}", stderr(&out));
        let loaded = loaded_model(&model_dir);
        assert_eq!(loaded, weights(1), "limit {limit} KiB");
    }
    let out = run("save", &dir, None, false);
    assert!(out.status.success(), "{}", stderr(&out));
    let loaded = loaded_model(&model_dir);
    assert_eq!(loaded, weights(2));
}

#[test]
fn a_full_disk_keeps_the_checkpoint_and_the_csv_log() {
    let dir = fresh_dir("fault-full-callbacks");
    let ckpt = dir.join("ckpt.safetensors");
    model(1).save_weights(&ckpt).unwrap();
    let out = run("checkpoint", &dir, Some(kib(&ckpt) - 1), false);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("File too large"), "{}", stderr(&out));
    assert_eq!(loaded_weights(&ckpt, 1), weights(1));

    // A log of exactly 2 KiB, appended to with a limit of 2 KiB: the first new row fails.
    let log = dir.join("log.csv");
    let mut old = String::from("epoch,loss,val_loss\r\n");
    let mut i = 0;
    while old.len() < 2048 - 20 {
        old.push_str(&format!("{i},0.5,0.25\r\n"));
        i += 1;
    }
    while old.len() < 2048 {
        old.push('\n');
    }
    std::fs::write(&log, &old).unwrap();
    let out = run("csv", &dir, Some(2), false);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("File too large"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), old);
    assert_eq!(
        leftovers(&dir, &["ckpt.safetensors", "log.csv"]),
        Vec::<String>::new()
    );
}

#[test]
fn a_writer_killed_at_any_point_leaves_the_old_or_the_new_files() {
    let dir = fresh_dir("fault-kill");
    let (old, new) = (weights(1), weights(2));
    model(1).save(dir.join("model")).unwrap();
    model(1).save_weights(dir.join("w.safetensors")).unwrap();
    let mut seen_new = 0;
    for (i, delay_us) in [0u64, 300, 700, 1500, 2500, 4000, 6000, 9000, 13000, 20000]
        .iter()
        .enumerate()
    {
        let _ = std::fs::remove_file(dir.join("started"));
        let mut child = writer("loop", &dir, None, false)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the loop runs (the process start-up takes a while), then a bit more.
        let start = std::time::Instant::now();
        while !dir.join("started").exists() && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(Duration::from_micros(delay_us + 97 * i as u64));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let m = model_io::load_model(dir.join("model"))
            .unwrap_or_else(|e| panic!("kill {i}: the saved model does not load: {e}"))
            .get_weights()
            .unwrap();
        assert!(m == old || m == new, "kill {i}: model is neither");
        let mut w = model(1);
        let w = match w.load_weights(dir.join("w.safetensors")) {
            Ok(()) => w.get_weights().unwrap(),
            Err(_) => loaded_weights(&dir.join("w.safetensors"), 2),
        };
        assert!(w == old || w == new, "kill {i}: weights are neither");
        seen_new += usize::from(m == new) + usize::from(w == new);
    }
    // (Which one a kill leaves depends on timing; that each loads does not.)
    eprintln!("kills that left the new model or weights: {seen_new} of 20");
}

#[test]
fn a_symlink_at_a_temporary_name_is_never_written_through() {
    let dir = fresh_dir("fault-symlink");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let path = dir.join("w.safetensors");
    // Every name the old writer used (`.w.safetensors.tmp-<pid>-<n>`), and the target itself.
    for n in 0..64 {
        let tmp = dir.join(format!(".w.safetensors.tmp-{}-{n}", std::process::id()));
        std::os::unix::fs::symlink(&victim, tmp).unwrap();
    }
    model(1).save_weights(&path).unwrap();
    let model_dir = dir.join("model");
    std::fs::create_dir_all(&model_dir).unwrap();
    for name in ["model.weights.safetensors", "model.weights.2.safetensors"] {
        std::os::unix::fs::symlink(&victim, model_dir.join(name)).unwrap();
    }
    model(1).save(&model_dir).unwrap();
    model(2).save(&model_dir).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("link.safetensors")).unwrap();
    model(2).save_weights(dir.join("link.safetensors")).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(loaded_weights(&path, 1), weights(1));
    assert_eq!(loaded_weights(&dir.join("link.safetensors"), 2), weights(2));
    let loaded = loaded_model(&model_dir);
    assert_eq!(loaded, weights(2));
}

#[test]
fn a_folder_the_writer_may_not_write_keeps_everything() {
    let dir = fresh_dir("fault-readonly");
    // The writer runs as `nobody`: as root (these tests' user) permission bits are ignored.
    let probe = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!(
            "SKIPPED: setpriv cannot switch to the user nobody here, and root ignores \
             permission bits, so a read-only folder cannot be tested honestly"
        );
        return;
    }
    // The test binary must be reachable by nobody: the folders above it are 0755 here.
    model(1).save(dir.join("model")).unwrap();
    model(1).save_weights(dir.join("w.safetensors")).unwrap();
    let log = dir.join("log.csv");
    std::fs::write(&log, "epoch,loss\r\n0,1.0\r\n").unwrap();
    std::fs::copy(dir.join("w.safetensors"), dir.join("ckpt.safetensors")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    for d in [dir.clone(), dir.join("model")] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for action in ["save_weights", "save", "checkpoint", "csv"] {
        let out = run(action, &dir, None, true);
        assert_eq!(out.status.code(), Some(3), "{action}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("Permission denied"),
            "{action}: {}",
            stderr(&out)
        );
    }
    assert_eq!(loaded_weights(&dir.join("w.safetensors"), 1), weights(1));
    assert_eq!(loaded_weights(&dir.join("ckpt.safetensors"), 1), weights(1));
    let loaded = loaded_model(dir.join("model"));
    assert_eq!(loaded, weights(1));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "epoch,loss\r\n0,1.0\r\n"
    );
}
