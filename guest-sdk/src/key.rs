//! Object keys as S3 event notifications spell them.

/// Decode an S3 event's `object.key`, which is URL-encoded form-style: `+` is a space and `%XX`
/// is a byte of the UTF-8 key (`red+flower.jpg` → `red flower.jpg`).
///
/// A `%` not followed by two hex digits is kept as is; bytes that are not UTF-8 become U+FFFD.
pub fn url_decode_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(hex),
                bytes.get(i + 2).and_then(hex),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn hex(digit: &u8) -> Option<u8> {
    (*digit as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::url_decode_key;

    #[test]
    fn plus_is_space() {
        assert_eq!(url_decode_key("2026/red+flower.jpg"), "2026/red flower.jpg");
    }

    #[test]
    fn percent_escapes() {
        assert_eq!(url_decode_key("Happy%20Face.jpg"), "Happy Face.jpg");
        assert_eq!(url_decode_key("a%2Bb%2fc"), "a+b/c");
    }

    #[test]
    fn korean_utf8() {
        // "사진 파일.png" as S3 sends it.
        assert_eq!(
            url_decode_key("%EC%82%AC%EC%A7%84+%ED%8C%8C%EC%9D%BC.png"),
            "사진 파일.png"
        );
        // Already-decoded non-ASCII text passes through.
        assert_eq!(url_decode_key("보고서 2026.pdf"), "보고서 2026.pdf");
    }

    #[test]
    fn malformed_escapes_are_kept() {
        assert_eq!(url_decode_key("100%"), "100%");
        assert_eq!(url_decode_key("%zz%4"), "%zz%4");
        assert_eq!(url_decode_key("%FF.bin"), "\u{FFFD}.bin");
    }

    #[test]
    fn plain_keys_unchanged() {
        assert_eq!(url_decode_key(""), "");
        assert_eq!(url_decode_key("uploads/a-b_c.txt"), "uploads/a-b_c.txt");
    }
}
