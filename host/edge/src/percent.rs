//! `%XX` decoding for paths and query strings.

/// `%XX` escapes decoded; a `+` stays a `+` (literal in a path, and SigV4 encodes a space as
/// `%20`); an invalid escape is kept as written; invalid UTF-8 is replaced.
pub fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// A query string (without `?`) as a map, keys and values decoded; the first value of a
/// repeated key wins.
pub fn query_map(query: Option<&str>) -> std::collections::BTreeMap<String, String> {
    let mut map = std::collections::BTreeMap::new();
    for pair in query.unwrap_or("").split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        map.entry(percent_decode(k))
            .or_insert_with(|| percent_decode(v));
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_decoded_and_the_first_value_wins() {
        let map = query_map(Some("a=1&b=%2F&a=2&flag&&c="));
        assert_eq!(map["a"], "1");
        assert_eq!(map["b"], "/");
        assert_eq!(map["flag"], "");
        assert_eq!(map["c"], "");
        assert_eq!(map.len(), 4);
        assert!(query_map(None).is_empty());
    }

    #[test]
    fn escapes_are_decoded_and_the_rest_kept() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%E2%9C%93"), "✓");
        assert_eq!(percent_decode("a+b"), "a+b");
        assert_eq!(percent_decode("..%2Fevil"), "../evil");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        // A sign is not a hex digit (`u8::from_str_radix("+1", 16)` would take it).
        assert_eq!(percent_decode("%+1"), "%+1");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }
}
