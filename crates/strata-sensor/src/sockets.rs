//! Socket addresses of a descriptor, from `/proc/PID/net/{tcp,tcp6,udp,udp6}`: the kernel
//! tables list every socket of the process's network namespace with its inode, which
//! `/proc/PID/fd/N` names (`socket:[INODE]`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::procfs::ProcFs;

/// One socket from the kernel tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketEntry {
    /// `tcp` or `udp`.
    pub l4proto: &'static str,
    /// Local address and port.
    pub local: (IpAddr, u16),
    /// Remote address and port.
    pub remote: (IpAddr, u16),
}

fn parse_addr(s: &str) -> Option<(IpAddr, u16)> {
    let (ip, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    match ip.len() {
        8 => {
            let v = u32::from_str_radix(ip, 16).ok()?;
            // The table prints the address in host (little-endian) byte order.
            Some((IpAddr::V4(Ipv4Addr::from(v.swap_bytes())), port))
        }
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                let word = u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16).ok()?;
                chunk.copy_from_slice(&word.swap_bytes().to_be_bytes());
            }
            let v6 = Ipv6Addr::from(bytes);
            Some((v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4), port))
        }
        _ => None,
    }
}

/// Finds the socket with `inode` in one table's text.
pub fn find_in_table(text: &str, inode: u64, l4proto: &'static str) -> Option<SocketEntry> {
    text.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_ascii_whitespace().collect();
        if f.get(9)?.parse::<u64>().ok()? != inode {
            return None;
        }
        Some(SocketEntry {
            l4proto,
            local: parse_addr(f.get(1)?)?,
            remote: parse_addr(f.get(2)?)?,
        })
    })
}

/// The inode of a `socket:[INODE]` link.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// Looks the socket of `pid`'s descriptor `fd` up in the kernel tables.
pub fn lookup(procfs: &ProcFs, pid: u32, fd: i64) -> Option<SocketEntry> {
    let inode = socket_inode(&procfs.link(pid, &format!("fd/{fd}"))?)?;
    for (table, proto) in [
        ("net/tcp", "tcp"),
        ("net/tcp6", "tcp"),
        ("net/udp", "udp"),
        ("net/udp6", "udp"),
    ] {
        if let Some(bytes) = procfs.read_large(pid, table)
            && let Some(e) = find_in_table(&String::from_utf8_lossy(&bytes), inode, proto)
        {
            return Some(e);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 20 4 30 10 -1\n";
        let e = find_in_table(v4, 4242, "tcp").unwrap();
        assert_eq!(e.local, ("127.0.0.1".parse().unwrap(), 8080));
        assert_eq!(e.remote, ("127.0.0.1".parse().unwrap(), 54321));
        assert_eq!(find_in_table(v4, 1, "tcp"), None);
        let v6 = "  sl  local_address                         remote_address                        st\n   0: 00000000000000000000000001000000:0016 0000000000000000FFFF00000100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 77 1\n";
        let e = find_in_table(v6, 77, "tcp").unwrap();
        assert_eq!(e.local, ("::1".parse().unwrap(), 22));
        assert_eq!(e.remote, ("127.0.0.1".parse().unwrap(), 40000));
        assert_eq!(find_in_table("junk\n1 2 3", 1, "tcp"), None);
    }

    #[test]
    fn links() {
        assert_eq!(socket_inode("socket:[123]"), Some(123));
        assert_eq!(socket_inode("pipe:[123]"), None);
        assert_eq!(socket_inode("socket:[x]"), None);
    }

    #[test]
    fn own_socket() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        use std::os::fd::AsRawFd;
        let e = lookup(
            &ProcFs::default(),
            std::process::id(),
            i64::from(c.as_raw_fd()),
        )
        .unwrap();
        assert_eq!(e.remote.1, port);
        assert_eq!(e.l4proto, "tcp");
    }
}
