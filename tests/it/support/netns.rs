//! Another machine on the network, for tests: a network namespace joined to
//! this one by a veth pair, with addresses on both ends. Commands run inside
//! it with [`OtherMachine::command`]. Everything is removed on drop (the
//! namespace takes its end of the pair with it).

use std::process::{Command, Output};

/// A namespace `10.X.Y.2/24` away from the host's `10.X.Y.1/24`, one such
/// pair of addresses per subnet given.
pub struct OtherMachine {
    name: String,
    host_link: String,
    /// `(host address, its address)` per subnet.
    pub addresses: Vec<(String, String)>,
}

fn ip(args: &[&str]) -> Output {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl OtherMachine {
    /// A namespace reached over `subnets` (each `10.X.Y`), named after `tag`
    /// and this process, so parallel tests and runs don't meet.
    pub fn new(tag: &str, subnets: &[&str]) -> Self {
        let pid = std::process::id();
        let name = format!("apx-{tag}-{pid}");
        let host_link = format!("apx{tag}{pid}");
        let peer_link = format!("apc{tag}{pid}");
        assert!(host_link.len() <= 15, "link names are at most 15 bytes");
        ip(&["netns", "add", &name]);
        let machine = Self {
            name: name.clone(),
            host_link: host_link.clone(),
            addresses: subnets
                .iter()
                .map(|s| (format!("{s}.1"), format!("{s}.2")))
                .collect(),
        };
        ip(&[
            "link", "add", "name", &host_link, "type", "veth", "peer", "name", &peer_link, "netns",
            &name,
        ]);
        for (host, theirs) in &machine.addresses {
            ip(&["addr", "add", &format!("{host}/24"), "dev", &host_link]);
            ip(&[
                "-n",
                &name,
                "addr",
                "add",
                &format!("{theirs}/24"),
                "dev",
                &peer_link,
            ]);
        }
        ip(&["link", "set", &host_link, "up"]);
        ip(&["-n", &name, "link", "set", &peer_link, "up"]);
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        machine
    }

    /// `program` to run inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }
}

impl Drop for OtherMachine {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_link])
            .output();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
