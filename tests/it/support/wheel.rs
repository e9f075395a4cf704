//! Real wheels for tests: a zip (stored members, no compression) with a
//! `NAME-VERSION.dist-info/METADATA`, which awsproxy reads PEP 658 metadata from.

/// The bytes of a zip holding `members` (name, contents).
pub fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let offset = u32::try_from(out.len()).unwrap();
        let crc = crc32fast::hash(data);
        let len = u32::try_from(data.len()).unwrap();
        let name_len = u16::try_from(name.len()).unwrap();
        // Local header: signature, version, flags, method 0, time, date.
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for v in [crc, len, len] {
            out.extend(v.to_le_bytes());
        }
        out.extend(name_len.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(name.as_bytes());
        out.extend(*data);
        // Central directory entry.
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend([20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for v in [crc, len, len] {
            central.extend(v.to_le_bytes());
        }
        central.extend(name_len.to_le_bytes());
        central.extend([0; 12]);
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).unwrap();
    let cd_len = u32::try_from(central.len()).unwrap();
    let n = u16::try_from(members.len()).unwrap();
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0; 4]);
    out.extend(n.to_le_bytes());
    out.extend(n.to_le_bytes());
    out.extend(cd_len.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A wheel of `name` `version` whose METADATA is `metadata`.
pub fn wheel(name: &str, version: &str, metadata: &str) -> Vec<u8> {
    let dist_info = format!("{name}-{version}.dist-info");
    zip(&[
        (&format!("{name}/__init__.py"), b"VALUE = 1\n"),
        (&format!("{dist_info}/METADATA"), metadata.as_bytes()),
        (&format!("{dist_info}/WHEEL"), b"Wheel-Version: 1.0\n"),
        (&format!("{dist_info}/RECORD"), b""),
    ])
}
