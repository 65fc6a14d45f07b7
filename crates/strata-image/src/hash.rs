//! Digests computed while bytes stream past, and byte-count limits.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256, Sha512};
use strata_types::Digest;

/// A running sha256 or sha512.
pub(crate) enum Hasher {
    Sha256(Sha256),
    Sha512(Box<Sha512>),
}

impl Hasher {
    /// A hasher of the same algorithm as `d`.
    pub(crate) fn like(d: &Digest) -> Hasher {
        if d.algorithm().as_str() == "sha512" {
            Hasher::Sha512(Box::default())
        } else {
            Hasher::Sha256(Sha256::new())
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    pub(crate) fn finish(self) -> Digest {
        match self {
            Hasher::Sha256(h) => Digest::sha256_from_bytes(&h.finalize().into()),
            Hasher::Sha512(h) => {
                let bytes = h.finalize();
                let mut s = String::with_capacity(7 + 128);
                s.push_str("sha512:");
                for b in bytes {
                    s.push(char::from(HEX[usize::from(b >> 4)]));
                    s.push(char::from(HEX[usize::from(b & 15)]));
                }
                // A well-formed sha512 string always parses; fall back to sha256 of
                // nothing only to avoid a panic path.
                s.parse().unwrap_or_else(|_| sha256(&[]))
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The sha256 of a byte slice.
pub(crate) fn sha256(data: &[u8]) -> Digest {
    Digest::sha256_from_bytes(&Sha256::digest(data).into())
}

/// The digest of `data` with the algorithm of `like`.
pub(crate) fn digest_like(like: &Digest, data: &[u8]) -> Digest {
    let mut h = Hasher::like(like);
    h.update(data);
    h.finish()
}

/// Marker carried inside an `io::Error` when a [`HashCount`] limit is hit.
#[derive(Debug)]
pub(crate) struct LimitHit {
    pub(crate) what: &'static str,
    pub(crate) limit: u64,
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} exceeds the limit of {}", self.what, self.limit)
    }
}

impl std::error::Error for LimitHit {}

/// If `e` is a [`LimitHit`], returns it.
pub(crate) fn limit_hit(e: &io::Error) -> Option<&LimitHit> {
    e.get_ref().and_then(|r| r.downcast_ref::<LimitHit>())
}

/// A reader that hashes and counts what passes through it and fails once more than
/// `limit` bytes were read.
pub(crate) struct HashCount<R> {
    pub(crate) inner: R,
    hasher: Option<Hasher>,
    count: u64,
    limit: u64,
    what: &'static str,
}

impl<R: Read> HashCount<R> {
    pub(crate) fn new(inner: R, hasher: Option<Hasher>, limit: u64, what: &'static str) -> Self {
        HashCount {
            inner,
            hasher,
            count: 0,
            limit,
            what,
        }
    }

    /// Reads the rest of the stream (still counted, hashed and limited).
    pub(crate) fn drain(&mut self) -> io::Result<()> {
        let mut buf = vec![0u8; 128 * 1024];
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) fn finish(self) -> (R, u64, Option<Digest>) {
        (self.inner, self.count, self.hasher.map(Hasher::finish))
    }
}

impl<R: Read> Read for HashCount<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limit {
            return Err(io::Error::other(LimitHit {
                what: self.what,
                limit: self.limit,
            }));
        }
        if let (Some(h), Some(data)) = (self.hasher.as_mut(), buf.get(..n)) {
            h.update(data);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_limits() {
        let d = sha256(b"abc");
        assert_eq!(
            d.to_string(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut r = HashCount::new(&b"abc"[..], Some(Hasher::like(&d)), 10, "x");
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        let (_, n, got) = r.finish();
        assert_eq!((n, got), (3, Some(d)));
        let mut r = HashCount::new(&b"abcdef"[..], None, 2, "thing");
        let e = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(limit_hit(&e).map(|l| (l.what, l.limit)), Some(("thing", 2)));
        let s512 = digest_like(
            &"sha512:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                .parse()
                .unwrap(),
            b"abc",
        );
        assert!(s512.to_string().starts_with("sha512:ddaf35a193617aba"));
    }
}
