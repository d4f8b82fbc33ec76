//! Finding banned words in text that arrives in chunks, free of host calls.
//!
//! A [`Scanner`] takes the object's bytes chunk by chunk (a chunk may end in the middle of a
//! UTF-8 sequence or a word) and keeps only the current word, so memory stays bounded however
//! large the object is. Bytes that are not UTF-8 are read as U+FFFD and the scan notes it.

use std::collections::BTreeSet;

use serde::Serialize;

/// At most this many matches are listed in a report; `matchCount` still counts all of them.
pub const MAX_LISTED_MATCHES: usize = 1000;

/// A word character: a letter or digit in any script, or `_` (as regex's `\w`).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The banned words, lowercased; matched case-insensitively as whole words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BannedWords {
    words: BTreeSet<String>,
    /// Length in characters of the longest word: longer words cannot match.
    longest: usize,
}

impl BannedWords {
    /// Parse a comma-separated list (`spam, Scam,phishing`); blanks between commas are ignored.
    /// Each entry must be a single word; the error names the entry that is not.
    pub fn parse(list: &str) -> Result<BannedWords, String> {
        let mut words = BTreeSet::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if !entry.chars().all(is_word_char) {
                return Err(format!(
                    "`{entry}` is not a single word (letters, digits and `_`); list words \
                     separated by commas, e.g. `spam,scam,phishing`"
                ));
            }
            words.insert(entry.to_lowercase());
        }
        let longest = words.iter().map(|w| w.chars().count()).max().unwrap_or(0);
        Ok(BannedWords { words, longest })
    }

    /// The words, lowercased, in order.
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(String::as_str)
    }
}

/// One banned word found in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// The banned word, lowercased (as listed), whatever its case in the text.
    pub word: String,
    /// 1-based line number.
    pub line: u64,
    /// 1-based column, in characters, of the word's first character.
    pub column: u64,
}

/// What a finished scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The first [`MAX_LISTED_MATCHES`] matches, in text order.
    pub matches: Vec<Match>,
    /// All matches, listed or not.
    pub match_count: u64,
    /// Words in the text.
    pub words: u64,
    /// Whether some bytes were not UTF-8 (and were read as U+FFFD).
    pub lossy: bool,
}

/// A scan in progress: feed it chunks in order, then [`Scanner::finish`].
#[derive(Debug)]
pub struct Scanner<'a> {
    banned: &'a BannedWords,
    /// The start of a UTF-8 sequence that the previous chunk cut off (at most 3 bytes).
    pending: Vec<u8>,
    line: u64,
    column: u64,
    /// The current word, lowercased; kept only while it could still match.
    word: String,
    word_chars: usize,
    word_start: (u64, u64),
    scan: Scan,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of a text.
    pub fn new(banned: &'a BannedWords) -> Self {
        Scanner {
            banned,
            pending: Vec::new(),
            line: 1,
            column: 1,
            word: String::new(),
            word_chars: 0,
            word_start: (1, 1),
            scan: Scan {
                matches: Vec::new(),
                match_count: 0,
                words: 0,
                lossy: false,
            },
        }
    }

    /// Scan the next chunk of bytes.
    pub fn feed(&mut self, chunk: &[u8]) {
        let joined;
        let mut rest = if self.pending.is_empty() {
            chunk
        } else {
            let mut bytes = std::mem::take(&mut self.pending);
            bytes.extend_from_slice(chunk);
            joined = bytes;
            &joined[..]
        };
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.text(text);
                    return;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    self.text(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(bad) => {
                            self.scan.lossy = true;
                            self.char(char::REPLACEMENT_CHARACTER);
                            rest = &after[bad..];
                        }
                        None => {
                            // Cut off by the chunk's end: finish it with the next chunk.
                            self.pending = after.to_vec();
                            return;
                        }
                    }
                }
            }
        }
    }

    /// End the text and return what was found.
    pub fn finish(mut self) -> Scan {
        if !self.pending.is_empty() {
            self.scan.lossy = true;
            self.char(char::REPLACEMENT_CHARACTER);
        }
        self.end_word();
        self.scan
    }

    fn text(&mut self, text: &str) {
        for c in text.chars() {
            self.char(c);
        }
    }

    fn char(&mut self, c: char) {
        if is_word_char(c) {
            if self.word_chars == 0 {
                self.word_start = (self.line, self.column);
            }
            self.word_chars += 1;
            // Lowercasing never shortens a word, so one already longer than every banned word
            // cannot match and need not be kept.
            if self.word_chars <= self.banned.longest {
                self.word.extend(c.to_lowercase());
            }
        } else {
            self.end_word();
        }
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
    }

    fn end_word(&mut self) {
        if self.word_chars == 0 {
            return;
        }
        self.scan.words += 1;
        if self.word_chars <= self.banned.longest && self.banned.words.contains(&self.word) {
            self.scan.match_count += 1;
            if self.scan.matches.len() < MAX_LISTED_MATCHES {
                self.scan.matches.push(Match {
                    word: self.word.clone(),
                    line: self.word_start.0,
                    column: self.word_start.1,
                });
            }
        }
        self.word.clear();
        self.word_chars = 0;
    }
}

/// The inclusive byte ranges that read an object of `size` bytes in chunks of `chunk` bytes.
pub fn ranges(size: u64, chunk: u64) -> impl Iterator<Item = (u64, u64)> {
    let chunk = chunk.max(1);
    (0..size.div_ceil(chunk)).map(move |i| {
        let start = i * chunk;
        (start, (start + chunk).min(size) - 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn banned() -> BannedWords {
        BannedWords::parse("spam,scam,phishing").unwrap()
    }

    fn scan_chunks(chunks: &[&[u8]], banned: &BannedWords) -> Scan {
        let mut scanner = Scanner::new(banned);
        for chunk in chunks {
            scanner.feed(chunk);
        }
        scanner.finish()
    }

    fn scan(text: &str) -> Scan {
        scan_chunks(&[text.as_bytes()], &banned())
    }

    fn m(word: &str, line: u64, column: u64) -> Match {
        Match {
            word: word.into(),
            line,
            column,
        }
    }

    #[test]
    fn whole_words_case_insensitive_with_lines_and_columns() {
        let s = scan("Hello SPAM world\nno spammer here, but Scam!\n\n  phishing_kit phishing.");
        assert_eq!(
            s.matches,
            [m("spam", 1, 7), m("scam", 2, 22), m("phishing", 4, 16)]
        );
        assert_eq!(s.match_count, 3);
        // Hello SPAM world / no spammer here but Scam / phishing_kit phishing
        assert_eq!(s.words, 10);
        assert!(!s.lossy);
    }

    #[test]
    fn punctuation_and_digits() {
        let s = scan("spam-filter (spam) 'spam' spam's spam2 2spam spam_ _spam");
        assert_eq!(
            s.matches,
            [
                m("spam", 1, 1),
                m("spam", 1, 14),
                m("spam", 1, 21),
                m("spam", 1, 27)
            ]
        );
        assert_eq!(s.words, 10);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let s = scan("사진 파일 SPAM\r\nÉté spam");
        assert_eq!(s.matches, [m("spam", 1, 7), m("spam", 2, 5)]);
        assert_eq!(s.words, 5);
    }

    #[test]
    fn chunks_may_split_words_and_characters() {
        let text = "ok 사진 sp".as_bytes().to_vec();
        // Split inside the three-byte 사 and inside "spam".
        let split_char = 4;
        let chunks: [&[u8]; 4] = [&text[..split_char], &text[split_char..], b"am\nsc", b"AM"];
        let s = scan_chunks(&chunks, &banned());
        assert_eq!(s.matches, [m("spam", 1, 7), m("scam", 2, 1)]);
        assert_eq!(s.words, 4);
        assert!(!s.lossy);
        // Every split point of the same text gives the same answer.
        let whole = "첫 줄 spam\n둘째 줄의 PHISHING, 끝".as_bytes();
        let expected = scan_chunks(&[whole], &banned());
        for cut in 0..=whole.len() {
            let s = scan_chunks(&[&whole[..cut], &whole[cut..]], &banned());
            assert_eq!(s, expected, "cut at {cut}");
        }
        assert_eq!(expected.matches, [m("spam", 1, 5), m("phishing", 2, 7)]);
    }

    #[test]
    fn invalid_utf8_is_read_lossily() {
        let s = scan_chunks(&[b"bad \xff\xfe spam\n\xc3"], &banned());
        assert!(s.lossy);
        // Two U+FFFD are not word characters; the words around them are intact.
        assert_eq!(s.matches, [m("spam", 1, 8)]);
        assert_eq!(s.words, 2);
        // A sequence cut off at the very end is one U+FFFD.
        let s = scan_chunks(&[b"spam \xe2\x82"], &banned());
        assert!(s.lossy);
        assert_eq!(s.words, 1);
    }

    #[test]
    fn listed_matches_are_capped_but_counted() {
        let text = "spam ".repeat(MAX_LISTED_MATCHES + 5);
        let s = scan(&text);
        assert_eq!(s.matches.len(), MAX_LISTED_MATCHES);
        assert_eq!(s.match_count, MAX_LISTED_MATCHES as u64 + 5);
        assert_eq!(s.words, MAX_LISTED_MATCHES as u64 + 5);
    }

    #[test]
    fn long_words_are_counted_not_kept() {
        let long = "spam".repeat(10_000);
        let s = scan(&format!("{long} spam"));
        assert_eq!(s.words, 2);
        assert_eq!(s.matches, [m("spam", 1, 40_002)]);
    }

    #[test]
    fn banned_word_lists() {
        let b = BannedWords::parse(" Spam ,,SCAM, 스팸 ,").unwrap();
        assert_eq!(b.iter().collect::<Vec<_>>(), ["scam", "spam", "스팸"]);
        let s = scan_chunks(&["이건 스팸 입니다".as_bytes()], &b);
        assert_eq!(s.matches, [m("스팸", 1, 4)]);
        let err = BannedWords::parse("spam,free money").unwrap_err();
        assert!(
            err.starts_with("`free money` is not a single word"),
            "{err}"
        );
        // An empty list flags nothing.
        let none = BannedWords::parse("").unwrap();
        let s = scan_chunks(&[b"spam"], &none);
        assert_eq!((s.match_count, s.words), (0, 1));
    }

    #[test]
    fn byte_ranges() {
        assert_eq!(ranges(0, 10).collect::<Vec<_>>(), []);
        assert_eq!(ranges(1, 10).collect::<Vec<_>>(), [(0, 0)]);
        assert_eq!(ranges(10, 10).collect::<Vec<_>>(), [(0, 9)]);
        assert_eq!(
            ranges(25, 10).collect::<Vec<_>>(),
            [(0, 9), (10, 19), (20, 24)]
        );
    }
}
