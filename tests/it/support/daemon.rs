//! A long-running `awsproxy` child (`serve`, `creds serve`, a login that waits):
//! its stderr collected line by line, signals, exit. Killed on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Daemon {
    child: Child,
    /// Every stderr line so far, appended by a reader thread.
    lines: Arc<Mutex<Vec<String>>>,
    /// Set when stderr closed (the process is gone or closed it).
    closed: Arc<AtomicBool>,
    /// `wait_for` looks at lines from here on, so each line is found once.
    cursor: usize,
}

impl Daemon {
    /// Spawns `cmd` (from `TestContext::command()`) with stderr captured.
    pub fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn awsproxy");
        let stderr = child.stderr.take().expect("stderr");
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let closed = Arc::new(AtomicBool::new(false));
        let (sink, done) = (lines.clone(), closed.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
            done.store(true, Ordering::SeqCst);
        });
        Self {
            child,
            lines,
            closed,
            cursor: 0,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process wrote to stderr so far.
    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Waits (up to 20 s) for a new stderr line containing `needle` and returns it.
    #[track_caller]
    pub fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let closed = self.closed.load(Ordering::SeqCst);
            {
                let lines = self.lines.lock().unwrap();
                if let Some(i) = lines[self.cursor..].iter().position(|l| l.contains(needle)) {
                    self.cursor += i + 1;
                    return lines[self.cursor - 1].clone();
                }
            }
            if closed || Instant::now() > deadline {
                panic!("no stderr line containing {needle:?}; saw:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The URL at the end of a startup line (`awsproxy: <label> http://...`).
    #[track_caller]
    pub fn url_of(&mut self, label: &str) -> String {
        let line = self.wait_for(label);
        line.split_whitespace()
            .last()
            .expect("url")
            .trim_end_matches('/')
            .to_owned()
    }

    /// Sends a signal by name (`HUP`, `TERM`, `INT`, `KILL`; a leading `-` is fine).
    pub fn signal(&self, name: &str) {
        let name = name.trim_start_matches('-');
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// The exit code if the process has exited.
    pub fn try_exit(&mut self) -> Option<i32> {
        self.child
            .try_wait()
            .expect("try_wait")
            .map(|s| s.code().unwrap_or(-1))
    }

    /// Waits (up to 30 s) for the process to exit and returns its exit code.
    #[track_caller]
    pub fn wait_exit(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(code) = self.try_exit() {
                return code;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("awsproxy did not exit; stderr so far:\n{}", self.log());
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `base` (a command with the test's environment) run by `sh -c script` inside a
/// private user and mount namespace (works as root and unprivileged; the network
/// is the test's own). `script` ends by exec-ing the command: `$0` is `arg0`,
/// `"$@"` the program and its arguments followed by `extra`.
pub fn in_private_mounts(
    base: &Command,
    script: &str,
    arg0: &std::path::Path,
    extra: &[&str],
) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.env_clear();
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(script)
        .arg(arg0)
        .arg(base.get_program())
        .args(base.get_args())
        .args(extra);
    cmd
}
