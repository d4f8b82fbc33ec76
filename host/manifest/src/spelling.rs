//! "Did you mean": the closest candidate to a misspelt word, by edit distance.

/// The candidate closest to `word`, if it is close enough to be a likely typo: at most a third
/// of the word's length (and at least 2) edits away, ignoring case.
pub(crate) fn closest(word: &str, candidates: &[String]) -> Option<String> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|candidate| (distance(&word, &candidate.to_lowercase()), candidate))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate.clone())
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("memroy_mb", "memory_mb"), 2);
    }

    #[test]
    fn suggests_only_close_words() {
        let fields = names(&["source", "memory_mb", "timeout_s", "env"]);
        assert_eq!(closest("memroy_mb", &fields).as_deref(), Some("memory_mb"));
        assert_eq!(closest("Timeout_S", &fields).as_deref(), Some("timeout_s"));
        assert_eq!(closest("envs", &fields).as_deref(), Some("env"));
        assert_eq!(closest("handler", &fields), None);
    }
}
