//! Console sessions: a random id in an HttpOnly, `SameSite=Strict` cookie, and a CSRF token
//! every mutating request must echo in a header. Sessions live in memory (a restart signs
//! everyone out), end after [`IDLE`] without use or [`LIFETIME`] after sign-in, and are capped
//! at [`MAX_SESSIONS`] (the least recently used goes first).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::HeaderValue;
use http::header::COOKIE;
use http::request::Parts;

/// The cookie's name.
pub const COOKIE_NAME: &str = "fnhost_console";
/// A session unused this long has ended.
pub const IDLE: Duration = Duration::from_secs(3600);
/// A session ends this long after it began, however busy.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Most sessions kept at once.
pub const MAX_SESSIONS: usize = 1024;

#[derive(Debug)]
struct Session {
    csrf: String,
    began: Instant,
    seen: Instant,
}

/// The live sessions.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    live: Mutex<HashMap<String, Session>>,
}

/// 256 random bits, hex.
pub(crate) fn token() -> String {
    let mut bytes = [0u8; 32];
    // The OS generator does not fail on the systems fnhost runs on; if it ever did, a session
    // must not be made from a predictable id.
    if let Err(err) = getrandom::fill(&mut bytes) {
        panic!("the operating system's random generator failed: {err}");
    }
    hex::encode(bytes)
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        match self.live.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A new session: its id and CSRF token.
    pub(crate) fn begin(&self) -> (String, String) {
        let (id, csrf) = (token(), token());
        let now = Instant::now();
        let mut live = self.lock();
        live.retain(|_, s| alive(s, now));
        if live.len() >= MAX_SESSIONS
            && let Some(oldest) = live
                .iter()
                .min_by_key(|(_, s)| s.seen)
                .map(|(k, _)| k.clone())
        {
            live.remove(&oldest);
        }
        live.insert(
            id.clone(),
            Session {
                csrf: csrf.clone(),
                began: now,
                seen: now,
            },
        );
        (id, csrf)
    }

    /// The CSRF token of live session `id` (which counts as used now).
    pub(crate) fn touch(&self, id: &str) -> Option<String> {
        let now = Instant::now();
        let mut live = self.lock();
        let session = live.get_mut(id)?;
        if !alive(session, now) {
            live.remove(id);
            return None;
        }
        session.seen = now;
        Some(session.csrf.clone())
    }

    /// End session `id`.
    pub(crate) fn end(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Sessions alive now.
    #[cfg(test)]
    fn len(&self) -> usize {
        let now = Instant::now();
        self.lock().values().filter(|s| alive(s, now)).count()
    }
}

fn alive(session: &Session, now: Instant) -> bool {
    now.duration_since(session.seen) < IDLE && now.duration_since(session.began) < LIFETIME
}

/// The session id the request's cookie carries.
pub(crate) fn cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `Set-Cookie` for session `id` (`Secure` when served over TLS).
pub(crate) fn set_cookie(id: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{COOKIE_NAME}={id}; Path=/console/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        LIFETIME.as_secs()
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub(crate) fn clear_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static(
            "fnhost_console=; Path=/console/; HttpOnly; SameSite=Strict; Max-Age=0; Secure",
        )
    } else {
        HeaderValue::from_static(
            "fnhost_console=; Path=/console/; HttpOnly; SameSite=Strict; Max-Age=0",
        )
    }
}

/// Whether two tokens are equal, in time independent of where they differ.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(cookie: &str) -> Parts {
        http::Request::builder()
            .header(COOKIE, cookie)
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    #[test]
    fn sessions_begin_are_touched_and_end() {
        let sessions = Sessions::default();
        let (id, csrf) = sessions.begin();
        assert_eq!(id.len(), 64);
        assert_ne!(id, csrf);
        assert_eq!(sessions.touch(&id).as_deref(), Some(csrf.as_str()));
        assert_eq!(sessions.touch("nope"), None);
        sessions.end(&id);
        assert_eq!(sessions.touch(&id), None);
    }

    #[test]
    fn the_oldest_session_makes_room_past_the_cap() {
        let sessions = Sessions::default();
        let (first, _) = sessions.begin();
        for _ in 0..MAX_SESSIONS {
            sessions.begin();
        }
        assert_eq!(sessions.len(), MAX_SESSIONS);
        assert_eq!(sessions.touch(&first), None);
    }

    #[test]
    fn the_cookie_is_found_among_others_and_must_look_like_an_id() {
        let id = token();
        assert_eq!(
            cookie(&parts(&format!("a=b; {COOKIE_NAME}={id}; c=d"))),
            Some(id)
        );
        assert_eq!(cookie(&parts("fnhost_console=short")), None);
        assert_eq!(cookie(&parts("other=1")), None);
        let set = set_cookie(&token(), true);
        let set = set.to_str().unwrap();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/console/", "Secure"] {
            assert!(set.contains(part), "{set}");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
    }
}
