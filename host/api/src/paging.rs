//! Lambda's list paging, one rule for ListFunctions, ListAliases and ListFunctionUrlConfigs:
//! `MaxItems` within the operation's model range (pages hold at most [`MAX_PAGE`]), and an
//! opaque `Marker` — the URL-safe base64 of the last key of the previous page — over items
//! sorted by key.

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::error::ApiError;

/// Most items in one page, whatever `MaxItems` says (Lambda's cap).
pub const MAX_PAGE: usize = 50;

/// A request's page: how many items, after which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    max_items: usize,
    after: Option<String>,
}

impl Page {
    /// `MaxItems` (1 to `model_max`, Lambda's model range for the operation: a
    /// `ValidationException` outside it) and `Marker` (one `operation` returned, else
    /// `InvalidParameterValueException`).
    pub(crate) fn of(
        query: &BTreeMap<String, String>,
        model_max: usize,
        operation: &str,
    ) -> Result<Page, ApiError> {
        let max_items = match query.get("MaxItems") {
            None => MAX_PAGE,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=model_max).contains(&n) => n.min(MAX_PAGE),
                _ => {
                    return Err(ApiError::Validation(format!(
                        "1 validation error detected: Value '{text}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and {model_max}"
                    )));
                }
            },
        };
        let after = match query.get("Marker") {
            None => None,
            Some(marker) => Some(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(marker)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        ApiError::InvalidParameter(format!(
                            "Marker `{marker}` is not one {operation} returned"
                        ))
                    })?,
            ),
        };
        Ok(Page { max_items, after })
    }

    /// This page of `items` (sorted by key) and the `NextMarker` when more follow.
    pub(crate) fn slice<'a, T>(
        &self,
        items: &'a [(String, T)],
    ) -> (&'a [(String, T)], Option<String>) {
        let start = match &self.after {
            Some(after) => items.partition_point(|(key, _)| key <= after),
            None => 0,
        };
        let end = (start + self.max_items).min(items.len());
        let page = &items[start..end];
        let next = match page.last() {
            Some((last, _)) if end < items.len() => {
                Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last))
            }
            _ => None,
        };
        (page, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn pages_follow_their_markers_to_the_end() {
        let items: Vec<(String, u32)> = (0..5).map(|i| (format!("k{i}"), i)).collect();
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut q = vec![("MaxItems", "2".to_owned())];
            if let Some(m) = &marker {
                q.push(("Marker", m.clone()));
            }
            let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (page, next) = Page::of(&query(&q), 10_000, "ListX").unwrap().slice(&items);
            assert!(page.len() <= 2);
            seen.extend(page.iter().map(|(_, v)| *v));
            match next {
                Some(next) => marker = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn bad_limits_and_markers_are_refused_with_lambdas_codes() {
        for bad in ["0", "51", "x", "-1"] {
            let err = Page::of(&query(&[("MaxItems", bad)]), 50, "ListX").unwrap_err();
            assert_eq!(err.code(), "ValidationException", "{bad}");
            assert!(err.to_string().contains("between 1 and 50"), "{err}");
        }
        let err = Page::of(&query(&[("Marker", "!!")]), 50, "ListX").unwrap_err();
        assert_eq!(err.code(), "InvalidParameterValueException");
        assert_eq!(
            Page::of(&query(&[("MaxItems", "9999")]), 10_000, "ListX")
                .unwrap()
                .max_items,
            MAX_PAGE
        );
    }
}
