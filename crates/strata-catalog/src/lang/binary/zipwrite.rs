//! A minimal zip writer (stored or deflated entries, no zip64) for tests and for the
//! fuzz entry points, which wrap their input in a well-formed archive to reach the
//! manifest, pom.properties and nested-archive readers.

use std::io::Write;

fn u16le(v: u16, out: &mut Vec<u8>) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32le(v: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A zip archive of `(name, contents, deflate)` entries.
pub(crate) fn build_zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, deflate) in entries {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let body = if *deflate {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            let ok = e.write_all(data).is_ok();
            match (ok, e.finish()) {
                (true, Ok(b)) => b,
                _ => return Vec::new(),
            }
        } else {
            data.to_vec()
        };
        let method: u16 = if *deflate { 8 } else { 0 };
        let offset = out.len() as u32;
        let fields = |v: &mut Vec<u8>| {
            u16le(20, v); // version needed
            u16le(0, v); // flags
            u16le(method, v);
            u16le(0, v); // time
            u16le(0x21, v); // date: 1980-01-01
            u32le(crc.sum(), v);
            u32le(body.len() as u32, v);
            u32le(data.len() as u32, v);
            u16le(name.len() as u16, v);
            u16le(0, v); // extra
        };
        u32le(0x0403_4b50, &mut out);
        fields(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);

        u32le(0x0201_4b50, &mut central);
        u16le(20, &mut central); // version made by
        fields(&mut central);
        u16le(0, &mut central); // comment
        u16le(0, &mut central); // disk
        u16le(0, &mut central); // internal attributes
        u32le(0, &mut central); // external attributes
        u32le(offset, &mut central);
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    u32le(0x0605_4b50, &mut out);
    u16le(0, &mut out);
    u16le(0, &mut out);
    u16le(entries.len() as u16, &mut out);
    u16le(entries.len() as u16, &mut out);
    u32le(central.len() as u32, &mut out);
    u32le(cd_offset, &mut out);
    u16le(0, &mut out);
    out
}
