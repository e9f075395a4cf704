//! Putting an ECS credentials address ([`super::host::ECS_ADDRESSES`]) on `lo`,
//! so that containers, whose default route leads to this host, reach a
//! credentials endpoint listening there (what ECS itself does on a task's host).
//!
//! [`super::BoundListener::bind`] calls [`add_to_loopback`] only when binding such
//! an address failed with "address not available". The address is added with one
//! rtnetlink request from this process, the equivalent of [`add_command`]: not by
//! running `ip`, because capabilities given to the awsproxy binary with `setcap`
//! do not pass to a program it runs. An address awsproxy added is removed when
//! the [`AddedAddress`] drops (the listener closing); one that was there before
//! is never touched. A process killed with SIGKILL leaves its address behind;
//! the next start finds it present and leaves it alone.

use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, Weak};

/// The shell command that adds `ip` to the loopback interface, for hints.
pub fn add_command(ip: IpAddr) -> String {
    if cfg!(target_os = "linux") {
        let nodad = if ip.is_ipv6() { " nodad" } else { "" };
        format!("sudo ip addr add {ip}/{} dev lo{nodad}", prefix_len(ip))
    } else {
        let family = if ip.is_ipv6() { "inet6 " } else { "" };
        format!("sudo ifconfig lo0 {family}alias {ip}/{} up", prefix_len(ip))
    }
}

fn prefix_len(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

/// Whether this process has `CAP_NET_ADMIN` (so [`add_to_loopback`] would be
/// allowed), from `CapEff` in `/proc/self/status`. For `doctor`: a check, not a try.
pub fn may_add() -> bool {
    const CAP_NET_ADMIN: u32 = 12;
    cfg!(target_os = "linux")
        && std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
                .is_some_and(|caps| caps & (1 << CAP_NET_ADMIN) != 0)
        })
}

/// A share of an address this process added to `lo`. When the last share
/// drops, the address is removed. A listener bound to an address another
/// listener of this process added (a reload moving the endpoint to another
/// port) takes a share with [`share`], so the address stays while either needs it.
#[derive(Debug, Clone)]
pub struct AddedAddress {
    _owned: Arc<Owned>,
}

#[derive(Debug)]
struct Owned {
    ip: IpAddr,
}

/// The addresses this process added and still holds.
static OURS: Mutex<Vec<Weak<Owned>>> = Mutex::new(Vec::new());

impl Drop for Owned {
    fn drop(&mut self) {
        OURS.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|w| w.strong_count() > 0);
        match netlink::request(netlink::RTM_DELADDR, 0, self.ip) {
            Ok(()) => {
                tracing::info!(address = %self.ip, "removed the address awsproxy had added to lo")
            }
            Err(e) => tracing::warn!(
                address = %self.ip,
                "cannot remove the address awsproxy added to lo: {e} (remove it with `{}`)",
                add_command(self.ip).replace(" add ", " del ").replace(" nodad", "")
            ),
        }
    }
}

/// A share of `ip` if this process added it and holds it still.
pub fn share(ip: IpAddr) -> Option<AddedAddress> {
    OURS.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .filter_map(Weak::upgrade)
        .find(|o| o.ip == ip)
        .map(|owned| AddedAddress { _owned: owned })
}

/// Adds `ip/32` (`/128`) to `lo`. `Ok(None)`: it was there already (another
/// process added it meanwhile), so it is not ours to remove. An error of kind
/// `PermissionDenied` means the process lacks `CAP_NET_ADMIN`.
pub fn add_to_loopback(ip: IpAddr) -> io::Result<Option<AddedAddress>> {
    let flags = netlink::NLM_F_CREATE | netlink::NLM_F_EXCL;
    match netlink::request(netlink::RTM_NEWADDR, flags, ip) {
        Ok(()) => {
            tracing::info!(address = %ip, "added the address to lo for the credentials endpoint (removed at shutdown)");
            let owned = Arc::new(Owned { ip });
            OURS.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(Arc::downgrade(&owned));
            Ok(Some(AddedAddress { _owned: owned }))
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(target_os = "linux")]
mod netlink {
    //! One rtnetlink address request and its acknowledgement (`netlink(7)`,
    //! `rtnetlink(7)`): a `nlmsghdr`, an `ifaddrmsg`, then `IFA_LOCAL` and
    //! `IFA_ADDRESS` attributes, all in native byte order.

    use std::io;
    use std::net::IpAddr;

    use rustix::net::{
        AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType, netlink, recv, sendto,
        socket_with,
    };

    pub const RTM_NEWADDR: u16 = 20;
    pub const RTM_DELADDR: u16 = 21;
    pub const NLM_F_EXCL: u16 = 0x200;
    pub const NLM_F_CREATE: u16 = 0x400;
    const NLM_F_REQUEST: u16 = 0x1;
    const NLM_F_ACK: u16 = 0x4;
    const NLMSG_ERROR: u16 = 2;
    const IFA_ADDRESS: u16 = 1;
    const IFA_LOCAL: u16 = 2;
    const IFA_F_NODAD: u8 = 0x02;
    const AF_INET: u8 = 2;
    const AF_INET6: u8 = 10;
    /// The kernel gives the loopback device index 1 in every network namespace.
    const LOOPBACK_IFINDEX: u32 = 1;
    const HEADER_LEN: usize = 16;

    /// `kind` (`RTM_NEWADDR`/`RTM_DELADDR`) for `ip` on `lo`, waiting for the
    /// kernel's answer. A refusal comes back as the kernel's errno.
    pub fn request(kind: u16, flags: u16, ip: IpAddr) -> io::Result<()> {
        let fd = socket_with(
            AddressFamily::NETLINK,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            None, // NETLINK_ROUTE
        )?;
        let message = encode(kind, flags, ip, 1);
        sendto(
            &fd,
            &message,
            SendFlags::empty(),
            &netlink::SocketAddrNetlink::new(0, 0),
        )?;
        let mut reply = [0u8; 512];
        let (len, _) = recv(&fd, &mut reply, RecvFlags::empty())?;
        decode_ack(&reply[..len])
    }

    /// The request's bytes (scope global, as `ip addr add` gives such an address).
    pub fn encode(kind: u16, flags: u16, ip: IpAddr, seq: u32) -> Vec<u8> {
        let (family, prefix, octets): (u8, u8, Vec<u8>) = match ip {
            IpAddr::V4(v4) => (AF_INET, 32, v4.octets().to_vec()),
            IpAddr::V6(v6) => (AF_INET6, 128, v6.octets().to_vec()),
        };
        let mut m = Vec::with_capacity(64);
        m.extend_from_slice(&0u32.to_ne_bytes()); // length, set below
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK | flags).to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel assigns it
        // ifaddrmsg: family, prefix length, flags, scope, interface index. An
        // IPv6 address would be "tentative" (unbindable) until duplicate
        // address detection ends: skip it, as `ip addr add ... nodad` does.
        let flags = if family == AF_INET6 { IFA_F_NODAD } else { 0 };
        m.extend_from_slice(&[family, prefix, flags, 0]);
        m.extend_from_slice(&LOOPBACK_IFINDEX.to_ne_bytes());
        for kind in [IFA_LOCAL, IFA_ADDRESS] {
            let len = u16::try_from(4 + octets.len()).expect("short attribute");
            m.extend_from_slice(&len.to_ne_bytes());
            m.extend_from_slice(&kind.to_ne_bytes());
            m.extend_from_slice(&octets); // 4 or 16 bytes: already aligned
        }
        let total = u32::try_from(m.len()).expect("short message");
        m[..4].copy_from_slice(&total.to_ne_bytes());
        m
    }

    /// The kernel's `NLMSG_ERROR` answer: error 0 is the acknowledgement.
    pub fn decode_ack(reply: &[u8]) -> io::Result<()> {
        let field = |at: usize| reply.get(at..at + 4).map(|b| [b[0], b[1], b[2], b[3]]);
        let kind = reply.get(4..6).map(|b| u16::from_ne_bytes([b[0], b[1]]));
        match (kind, field(HEADER_LEN).map(i32::from_ne_bytes)) {
            (Some(NLMSG_ERROR), Some(0)) => Ok(()),
            (Some(NLMSG_ERROR), Some(errno)) => {
                Err(io::Error::from_raw_os_error(errno.saturating_neg()))
            }
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "unexpected rtnetlink answer",
            )),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod netlink {
    use std::io;
    use std::net::IpAddr;

    pub const RTM_NEWADDR: u16 = 20;
    pub const RTM_DELADDR: u16 = 21;
    pub const NLM_F_EXCL: u16 = 0x200;
    pub const NLM_F_CREATE: u16 = 0x400;

    pub fn request(_kind: u16, _flags: u16, _ip: IpAddr) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "awsproxy adds addresses to the loopback interface only on Linux",
        ))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::netlink::*;
    use super::*;

    #[test]
    fn the_request_is_what_ip_addr_add_sends() {
        let ip: IpAddr = "169.254.170.2".parse().unwrap();
        let m = encode(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ip, 7);
        assert_eq!(m.len(), 16 + 8 + 2 * 8);
        assert_eq!(u32::from_ne_bytes(m[0..4].try_into().unwrap()), 40);
        assert_eq!(u16::from_ne_bytes(m[4..6].try_into().unwrap()), 20);
        assert_eq!(u16::from_ne_bytes(m[6..8].try_into().unwrap()), 0x605);
        assert_eq!(u32::from_ne_bytes(m[8..12].try_into().unwrap()), 7);
        assert_eq!(&m[16..20], &[2, 32, 0, 0]);
        assert_eq!(u32::from_ne_bytes(m[20..24].try_into().unwrap()), 1);
        assert_eq!(&m[28..32], &[169, 254, 170, 2]);
        assert_eq!(&m[36..40], &[169, 254, 170, 2]);

        let v6 = encode(RTM_DELADDR, 0, "fd00:ec2::23".parse().unwrap(), 1);
        assert_eq!(v6.len(), 16 + 8 + 2 * 20);
        assert_eq!(&v6[16..19], &[10, 128, 0x02]);
    }

    #[test]
    fn the_kernels_answer_is_an_errno() {
        let ack = |errno: i32| {
            let mut r = vec![0u8; 36];
            r[4..6].copy_from_slice(&2u16.to_ne_bytes());
            r[16..20].copy_from_slice(&errno.to_ne_bytes());
            decode_ack(&r)
        };
        assert!(ack(0).is_ok());
        assert_eq!(ack(-1).unwrap_err().kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(ack(-17).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert!(decode_ack(&[0; 3]).is_err());
    }

    #[test]
    fn hints_name_the_command() {
        assert_eq!(
            add_command("169.254.170.2".parse().unwrap()),
            "sudo ip addr add 169.254.170.2/32 dev lo"
        );
        assert_eq!(
            add_command("fd00:ec2::23".parse().unwrap()),
            "sudo ip addr add fd00:ec2::23/128 dev lo nodad"
        );
    }
}
