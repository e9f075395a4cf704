//! A wheel's core metadata (`NAME-VERSION.dist-info/METADATA`, what PEP 658
//! serves as `FILE.whl.metadata`), read out of the zip by parts: the end of
//! the file (the end-of-central-directory record), then the central
//! directory, then the one member. No step needs more than its own bytes, so
//! a mount reads a few KiB of a stored wheel, never the whole file.
//!
//! Pure: the caller reads the byte ranges ([`TAIL_MAX`], [`Directory::range`],
//! [`Member::range`]) from wherever the wheel is stored. Anything unexpected
//! (zip64, encryption, an unknown compression method, a CRC or size that
//! doesn't match, several candidate `METADATA` files) is `None`: the mount then
//! advertises no metadata for that wheel, and clients read the wheel itself.

use std::ops::Range;

use super::names::normalize;

/// How many bytes at the end of a file hold its end-of-central-directory
/// record, whatever the length of the archive comment.
pub const TAIL_MAX: u64 = EOCD_LEN + 0xFFFF;

/// A metadata file larger than this is not extracted (they are KiB; this
/// bounds what a hostile wheel can make the mount decompress).
pub const METADATA_MAX: u64 = 8 << 20;

/// A central directory larger than this is not read (a wheel's is KiB to a
/// few MiB for the largest).
pub const DIRECTORY_MAX: u64 = 64 << 20;

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD_LEN: u64 = 22;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const CENTRAL_LEN: usize = 46;
const LOCAL_SIG: u32 = 0x0403_4b50;
const LOCAL_LEN: usize = 30;

/// Where the central directory lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Directory {
    pub offset: u64,
    pub size: u64,
}

impl Directory {
    /// The bytes to read for [`metadata_member`].
    pub fn range(&self) -> Range<u64> {
        self.offset..self.offset + self.size
    }
}

/// The `METADATA` member, as the central directory describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    /// Of its local header.
    pub offset: u64,
    pub compressed: u64,
    pub size: u64,
    pub method: u16,
    pub crc32: u32,
}

impl Member {
    /// The bytes to read for [`extract`]: the local header, whose name and
    /// extra field may be longer than the central directory's, and the data.
    pub fn range(&self, file_len: u64) -> Range<u64> {
        let end = self.offset + LOCAL_LEN as u64 + 2 * 0xFFFF + self.compressed;
        self.offset..end.min(file_len)
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Finds the central directory from `tail`, the last bytes (at most
/// [`TAIL_MAX`]) of a file of `file_len` bytes.
pub fn directory(tail: &[u8], file_len: u64) -> Option<Directory> {
    let tail_start = file_len.checked_sub(tail.len() as u64)?;
    // The record is the last signature whose comment ends the file exactly.
    let at = (0..=tail.len().checked_sub(EOCD_LEN as usize)?)
        .rev()
        .find(|&i| {
            u32_at(tail, i) == Some(EOCD_SIG)
                && u16_at(tail, i + 20)
                    .is_some_and(|c| i + EOCD_LEN as usize + usize::from(c) == tail.len())
        })?;
    let size = u32_at(tail, at + 12)?;
    let offset = u32_at(tail, at + 16)?;
    // Zip64 (or a multi-disk archive): not a wheel's form; no metadata.
    if size == u32::MAX || offset == u32::MAX || u16_at(tail, at + 4)? != 0 {
        return None;
    }
    let dir = Directory {
        offset: offset.into(),
        size: size.into(),
    };
    (dir.size <= DIRECTORY_MAX && dir.offset + dir.size <= tail_start + at as u64).then_some(dir)
}

/// The `DIST-VERSION.dist-info/METADATA` member of the wheel `filename`, from
/// its central directory `cd`. A wheel has one `.dist-info` directory; where
/// there are several, the one named for the wheel's distribution is taken,
/// and none if that is still ambiguous.
pub fn metadata_member(cd: &[u8], filename: &str) -> Option<Member> {
    let dist = normalize(filename.split('-').next()?);
    let mut found: Vec<Member> = Vec::new();
    let mut at = 0;
    while at + CENTRAL_LEN <= cd.len() {
        if u32_at(cd, at)? != CENTRAL_SIG {
            return None;
        }
        let flags = u16_at(cd, at + 8)?;
        let method = u16_at(cd, at + 10)?;
        let crc32 = u32_at(cd, at + 16)?;
        let compressed = u32_at(cd, at + 20)?;
        let size = u32_at(cd, at + 24)?;
        let name_len = usize::from(u16_at(cd, at + 28)?);
        let extra_len = usize::from(u16_at(cd, at + 30)?);
        let comment_len = usize::from(u16_at(cd, at + 32)?);
        let offset = u32_at(cd, at + 42)?;
        let name = cd.get(at + CENTRAL_LEN..at + CENTRAL_LEN + name_len)?;
        at += CENTRAL_LEN + name_len + extra_len + comment_len;
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        let top_level = name
            .strip_suffix(".dist-info/METADATA")
            .is_some_and(|d| !d.is_empty() && !d.contains(['/', '\\']));
        if !top_level {
            continue;
        }
        let zip64 = [compressed, size, offset].contains(&u32::MAX);
        // Encrypted members are never metadata to pass on.
        if zip64 || flags & 1 != 0 {
            return None;
        }
        found.push(Member {
            name: name.to_owned(),
            offset: offset.into(),
            compressed: compressed.into(),
            size: size.into(),
            method,
            crc32,
        });
    }
    match found.len() {
        0 => None,
        1 => found.pop(),
        _ => {
            let mut named = found.into_iter().filter(|m| {
                m.name
                    .split('-')
                    .next()
                    .is_some_and(|d| normalize(d) == dist)
            });
            let first = named.next();
            if named.next().is_some() { None } else { first }
        }
    }
}

/// The member's contents, from `local` (the bytes of [`Member::range`]),
/// checked against the central directory's sizes and CRC-32.
pub fn extract(member: &Member, local: &[u8]) -> Option<Vec<u8>> {
    if member.size > METADATA_MAX || u32_at(local, 0)? != LOCAL_SIG {
        return None;
    }
    let name_len = usize::from(u16_at(local, 26)?);
    let extra_len = usize::from(u16_at(local, 28)?);
    if local.get(LOCAL_LEN..LOCAL_LEN + name_len)? != member.name.as_bytes() {
        return None;
    }
    let start = LOCAL_LEN + name_len + extra_len;
    let data = local.get(start..start + usize::try_from(member.compressed).ok()?)?;
    let size = usize::try_from(member.size).ok()?;
    let out = match member.method {
        0 => data.to_vec(),
        8 => miniz_oxide::inflate::decompress_to_vec_with_limit(data, size).ok()?,
        _ => return None,
    };
    (out.len() == size && crc32fast::hash(&out) == member.crc32).then_some(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A zip of `(name, contents, deflated)` members, with `comment`.
    pub(crate) fn zip(members: &[(&str, &[u8], bool)], comment: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data, deflate) in members {
            let stored = if *deflate {
                miniz_oxide::deflate::compress_to_vec(data, 6)
            } else {
                data.to_vec()
            };
            let method: u16 = if *deflate { 8 } else { 0 };
            let crc = crc32fast::hash(data);
            let offset = u32::try_from(out.len()).unwrap();
            let sizes = |v: &mut Vec<u8>| {
                v.extend(crc.to_le_bytes());
                v.extend(u32::try_from(stored.len()).unwrap().to_le_bytes());
                v.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
            };
            let name_len = u16::try_from(name.len()).unwrap().to_le_bytes();
            out.extend(LOCAL_SIG.to_le_bytes());
            out.extend([20, 0, 0, 0]);
            out.extend(method.to_le_bytes());
            out.extend([0; 4]);
            sizes(&mut out);
            out.extend(name_len);
            out.extend(3u16.to_le_bytes());
            out.extend(name.as_bytes());
            out.extend([1, 2, 3]); // an extra field the central directory lacks
            out.extend(&stored);
            central.extend(CENTRAL_SIG.to_le_bytes());
            central.extend([20, 3, 20, 0, 0, 0]);
            central.extend(method.to_le_bytes());
            central.extend([0; 4]);
            sizes(&mut central);
            central.extend(name_len);
            central.extend([0; 12]);
            central.extend(offset.to_le_bytes());
            central.extend(name.as_bytes());
        }
        let cd_offset = u32::try_from(out.len()).unwrap();
        let cd_len = u32::try_from(central.len()).unwrap();
        let n = u16::try_from(members.len()).unwrap().to_le_bytes();
        out.extend(central);
        out.extend(EOCD_SIG.to_le_bytes());
        out.extend([0; 4]);
        out.extend(n);
        out.extend(n);
        out.extend(cd_len.to_le_bytes());
        out.extend(cd_offset.to_le_bytes());
        out.extend(u16::try_from(comment.len()).unwrap().to_le_bytes());
        out.extend(comment);
        out
    }

    /// What a mount does: three range reads.
    pub(crate) fn read(wheel: &[u8], filename: &str) -> Option<Vec<u8>> {
        let len = wheel.len() as u64;
        let slice = |r: Range<u64>| &wheel[r.start as usize..r.end as usize];
        let tail = slice(len.saturating_sub(TAIL_MAX)..len);
        let dir = directory(tail, len)?;
        let member = metadata_member(slice(dir.range()), filename)?;
        extract(&member, slice(member.range(len)))
    }

    const META: &[u8] = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: idna\n";

    #[test]
    fn reads_metadata_stored_or_deflated_with_or_without_comment() {
        for deflate in [false, true] {
            for comment in [&b""[..], b"PK\x05\x06 a comment that looks like a record"] {
                let wheel = zip(
                    &[
                        ("demo/__init__.py", b"x = 1\n", deflate),
                        ("demo-1.0.dist-info/METADATA", META, deflate),
                        ("demo-1.0.dist-info/RECORD", b"", false),
                    ],
                    comment,
                );
                assert_eq!(
                    read(&wheel, "demo-1.0-py3-none-any.whl").as_deref(),
                    Some(META)
                );
            }
        }
    }

    #[test]
    fn several_dist_info_dirs_take_the_named_one_or_none() {
        let wheel = zip(
            &[
                (
                    "vendored-2.0.dist-info/METADATA",
                    b"Name: vendored\n",
                    false,
                ),
                ("Demo_Pkg-1.0.dist-info/METADATA", META, true),
            ],
            b"",
        );
        assert_eq!(
            read(&wheel, "demo.pkg-1.0-py3-none-any.whl").as_deref(),
            Some(META)
        );
        assert_eq!(read(&wheel, "other-1.0-py3-none-any.whl"), None);
    }

    #[test]
    fn odd_archives_give_no_metadata() {
        let good = zip(&[("demo-1.0.dist-info/METADATA", META, true)], b"");
        let name = "demo-1.0-py3-none-any.whl";
        // Not a zip, truncated, nested or missing metadata.
        assert_eq!(read(b"not a zip at all, just bytes", name), None);
        assert_eq!(read(&good[..good.len() - 1], name), None);
        assert_eq!(read(&good[10..], name), None);
        let nested = zip(&[("x/demo-1.0.dist-info/METADATA", META, false)], b"");
        assert_eq!(read(&nested, name), None);
        // A flipped data byte fails the CRC.
        let mut bad = zip(&[("demo-1.0.dist-info/METADATA", META, false)], b"");
        bad[LOCAL_LEN + "demo-1.0.dist-info/METADATA".len() + 3 + 5] ^= 1;
        assert_eq!(read(&bad, name), None);
        // A size past the limit is not inflated.
        let cd = directory(&good, good.len() as u64).unwrap();
        let mut m = metadata_member(&good[cd.range().start as usize..], name).unwrap();
        m.size = METADATA_MAX + 1;
        assert_eq!(extract(&m, &good[m.offset as usize..]), None);
    }
}
